/**
 * What the pipeline stages learn about Keys API requests: Key Vault's audit operation names, the RBAC data actions
 * an authorizer checks, and throttling classes that name the addressed key's family so a throttle can weight it.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import type { KeyClient } from '@azure/keyvault-keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyOperationWeight } from '../../src/core/limits.js'
import { KEY_OPERATIONS, KvHttpError, parseKeyThrottleClass, type AuditRecord, type EmulatorHandle, type OperationDescriptor } from '../../src/emulator/index.js'
import { cryptographyClient, FAST_POLL, keyClient, startTestEmulator } from '../support/emulator.js'

const audit: AuditRecord[] = []
const seen: OperationDescriptor[] = []
let em: EmulatorHandle
let client: KeyClient

beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [{ name: 'kv-pipe' }],
    stages: {
      authorizer: {
        authorize: (_principal, op) => {
          if (op.dataAction === KEY_OPERATIONS.decrypt.dataAction) {
            throw new KvHttpError(403, 'Forbidden', `Caller is not authorized to perform action on resource. Action: '${op.dataAction}'`, { innerCode: 'ForbiddenByRbac' })
          }
        },
      },
      throttle: { admit: (_principal, op) => void seen.push(op) },
      audit: { record: (r) => void audit.push(r) },
    },
  })
  client = keyClient(em, 'kv-pipe')
})
afterAll(async () => {
  await em?.stop()
})

/** The throttle classes the stage saw for audited requests named `name`. */
function classesOf(name: string): string[] {
  return seen.filter((o) => o.name === name).map((o) => o.throttleClass)
}

describe('keys in the pipeline', () => {
  it('audits every operation under its Key Vault AuditEvent name', async () => {
    const key = await client.createKey('audited', 'RSA')
    await client.getKey('audited')
    await client.updateKeyProperties('audited', { tags: { a: 'b' } })
    for await (const _ of client.listPropertiesOfKeys());
    for await (const _ of client.listPropertiesOfKeyVersions('audited'));
    await client.updateKeyRotationPolicy('audited', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }] })
    await client.getKeyRotationPolicy('audited')
    await client.rotateKey('audited')
    const crypto = cryptographyClient(em, 'kv-pipe', key.id as string)
    const digest = createHash('sha256').update('m').digest()
    const signature = (await crypto.sign('RS256', digest)).result
    await crypto.verify('RS256', digest, signature)
    const encrypted = await crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('x') })
    await crypto.wrapKey('RSA-OAEP-256', Buffer.alloc(16))
    const blob = (await client.backupKey('audited')) as Uint8Array
    await (await client.beginDeleteKey('audited', FAST_POLL)).pollUntilDone()
    for await (const _ of client.listDeletedKeys());
    await client.purgeDeletedKey('audited')
    for (let attempt = 0; ; attempt++) {
      try {
        await client.restoreKeyBackup(blob)
        break
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 409 || attempt > 100) throw e
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    const denied = await crypto.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: encrypted.result }).then(
      () => undefined,
      (e: unknown) => e as { statusCode?: number },
    )
    expect(denied?.statusCode).toBe(403)
    const names = new Set(audit.filter((r) => r.operationName !== 'Authentication').map((r) => r.operationName))
    for (const name of [
      'KeyCreate', 'KeyGet', 'KeyUpdate', 'KeyList', 'KeyListVersions', 'KeyRotationPolicySet', 'KeyRotationPolicyGet', 'KeyRotate',
      'KeySign', 'KeyVerify', 'KeyEncrypt', 'KeyWrap', 'KeyBackup', 'KeyDelete', 'KeyGetDeleted', 'KeyListDeleted', 'KeyPurge', 'KeyRestore', 'KeyDecrypt',
    ]) {
      expect(names, name).toContain(name)
    }
    const decrypt = audit.find((r) => r.operationName === 'KeyDecrypt')
    expect([decrypt?.resultSignature, decrypt?.errorCode]).toEqual([403, 'Forbidden'])
    expect(audit.find((r) => r.operationName === 'KeySign')?.id).toMatch(/\/keys\/audited\/[0-9a-f]{32}$/)
    expect(JSON.stringify(audit)).not.toContain(Buffer.from(signature).toString('base64url'))
  })

  it('names the data action of the Azure permissions reference on every descriptor', () => {
    for (const op of Object.values(KEY_OPERATIONS)) {
      expect(op.kind).toBe('key')
      expect(op.dataAction).toMatch(/^Microsoft\.KeyVault\/vaults\/(keys\/(read|delete|(create|import|update|recover|restore|backup|purge|encrypt|decrypt|wrap|unwrap|sign|verify|release|rotate)\/action)|keyrotationpolicies\/(read|write))$/)
    }
    expect(KEY_OPERATIONS.getDeleted.dataAction).toBe('Microsoft.KeyVault/vaults/keys/read')
    expect(KEY_OPERATIONS.setRotationPolicy.dataAction).toBe('Microsoft.KeyVault/vaults/keyrotationpolicies/write')
  })

  it('names the key family in the throttling class: requested on create and import, addressed otherwise', async () => {
    await client.createKey('fam-ec-hsm', 'EC-HSM', { curve: 'P-521' })
    await client.createRsaKey('fam-rsa-hsm', { hsm: true })
    await client.getKey('fam-rsa-hsm')
    const jwk = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ format: 'jwk' })
    const b = (s: string | undefined): Uint8Array => Buffer.from(s as string, 'base64url')
    await client.importKey('fam-3072', { kty: 'RSA', n: b(jwk.n), e: b(jwk.e), d: b(jwk.d), p: b(jwk.p), q: b(jwk.q), dp: b(jwk.dp), dq: b(jwk.dq), qi: b(jwk.qi) })
    const key3072 = await client.getKey('fam-3072')
    await cryptographyClient(em, 'kv-pipe', key3072.id as string).sign('PS256', Buffer.alloc(32))
    for await (const _ of client.listPropertiesOfKeys());

    expect(classesOf('KeyCreate')).toEqual(expect.arrayContaining(['key-create/EC/hsm', 'key-create/RSA-2048/hsm']))
    expect(classesOf('KeyImport')).toContain('key-create/RSA-3072/software')
    expect(classesOf('KeyGet')).toEqual(expect.arrayContaining(['key-other/RSA-2048/hsm', 'key-other/RSA-3072/software']))
    expect(classesOf('KeySign')).toContain('key-other/RSA-3072/software')
    expect(classesOf('KeyList').at(-1)).toBe('key-other')
    const sign = parseKeyThrottleClass('key-other/RSA-3072/software')
    expect(sign).toEqual({ kind: 'other', family: 'RSA-3072', protection: 'software' })
    expect(keyOperationWeight(sign!.family, sign!.protection, sign!.kind)).toBe(4)
    expect(parseKeyThrottleClass('key-other')).toEqual({ kind: 'other', family: 'RSA-2048', protection: 'software' })
    expect(parseKeyThrottleClass('secret-other')).toBeUndefined()
  })
})
