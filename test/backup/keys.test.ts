/**
 * Backing up keys end to end: every version's public key, key_ops, attributes, tags, exportability and release
 * policy, the rotation policy, the native blob (the only way the key material travels, restorable in the same
 * world), managed keys left to their certificate, soft-deleted keys as state.
 */
import { CryptographyClient } from '@azure/keyvault-keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BackupResult } from '../../src/backup/backup.js'
import { CONTENT, FINGERPRINT, type KeyRecord } from '../../src/backup/records.js'
import { ExitCode } from '../../src/core/errors.js'
import { createManagedKey, keysOf } from '../../src/emulator/index.js'
import { generateKey } from '../../src/emulator/keys/crypto.js'
import { canonicalJson, utf8 } from '../../src/repo/encoding.js'
import type { ContentId, Entry } from '../../src/repo/types.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo, type TestRepo, text } from './support.js'

let f: VaultFixture
let t: TestRepo
let result: BackupResult
let entries: Map<string, Entry>

const b64url = (b?: Uint8Array): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('base64url'))
const RELEASE = { version: '1.0.0', anyOf: [{ authority: 'https://attest.example.test', allOf: [{ claim: 'x-ms-attestation-type', equals: 'sevsnpvm' }] }] }

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full' })
  const k = f.keys()
  const v1 = await k.createRsaKey('cmk', { keySize: 2048, tags: { purpose: 'storage-cmk' } })
  await k.createRsaKey('cmk', { keySize: 2048, tags: { purpose: 'storage-cmk', gen: '2' }, expiresOn: new Date('2031-01-01T00:00:00Z') })
  await k.updateKeyProperties('cmk', v1.properties.version as string, { enabled: false })
  await k.createEcKey('signer', { curve: 'P-256', keyOps: ['sign', 'verify'] })
  await k.updateKeyRotationPolicy('signer', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P90D' })
  await k.createRsaKey('releasable', { exportable: true, releasePolicy: { encodedPolicy: utf8(JSON.stringify(RELEASE)) } })
  await k.createEcKey('retired', { curve: 'P-384' })
  await (await k.beginDeleteKey('retired', FAST_POLL)).pollUntilDone()
  // The key behind a certificate: listed with managed=true, backed up through its certificate.
  createManagedKey(f.em.model('kv-primary'), 'tls-cert', '0123456789abcdef0123456789abcdef', await generateKey({ kty: 'EC', crv: 'P-256' }))
  f.em.clock.advance(2000)
  t = await newRepo()
  result = await backup(f, t.repo, { kinds: ['secret', 'key'] })
  entries = await entriesByName(t.repo, result.vaults[0]?.snapshot as { id: string })
})
afterAll(() => f.stop())

describe('backup of keys', () => {
  it('backs up every key but the managed one, and the deleted one as state', () => {
    expect(result.exitCode).toBe(ExitCode.Success)
    expect([...entries.keys()].sort()).toEqual(['key/cmk', 'key/releasable', 'key/retired', 'key/signer'])
    expect((entries.get('key/retired')?.data as unknown as KeyRecord).state).toBe('deleted')
  })

  it('captures every version: public key, key_ops, attributes, tags, exportability, release policy, fingerprint', async () => {
    const k = f.keys()
    for (const name of ['cmk', 'signer', 'releasable']) {
      const e = entries.get(`key/${name}`) as Entry
      const rec = e.data as unknown as KeyRecord
      const truth = keysOf(f.em.model('kv-primary')).listVersions(name)
      expect(rec.versions.map((v) => v.version).sort()).toEqual(truth.map((v) => v.version).sort())
      for (const v of rec.versions) {
        const sdk = await k.getKey(name, { version: v.version })
        expect(v.capture).toBe('public')
        expect(v.keyType).toBe(sdk.key?.kty)
        expect(v.keyOps).toEqual(sdk.keyOperations)
        expect(v.attributes.enabled).toBe(sdk.properties.enabled)
        expect(v.attributes.expiresOn).toBe(sdk.properties.expiresOn?.toISOString())
        expect(v.tags).toEqual(sdk.properties.tags ?? {})
        expect(v.exportable).toBe(sdk.properties.exportable)
        const jwk = JSON.parse(await text(t.repo, v.publicKey as string)) as Record<string, string>
        expect(jwk).toEqual(JSON.parse(canonicalJson({ kty: sdk.key?.kty, n: b64url(sdk.key?.n), e: b64url(sdk.key?.e), crv: sdk.key?.crv, x: b64url(sdk.key?.x), y: b64url(sdk.key?.y) })))
        expect(jwk.d).toBeUndefined()
        expect(v.publicKey?.startsWith(`${CONTENT.keyPublic}:`)).toBe(true)
        const expected = t.repo.fingerprint(
          FINGERPRINT.key,
          utf8(canonicalJson({ jwk, keyOps: v.keyOps, exportable: v.exportable ?? null, releasePolicy: v.releasePolicy ?? null, enabled: v.attributes.enabled, notBefore: v.attributes.notBefore ?? null, expiresOn: v.attributes.expiresOn ?? null, tags: v.tags })),
        )
        expect(v.fingerprint).toBe(expected)
      }
      expect(rec.restore).toEqual({ sameWorld: true, anywhere: 'none', notes: ['key material only in native blob'] })
    }
    const rel = (entries.get('key/releasable')?.data as unknown as KeyRecord).versions[0]
    expect(rel?.exportable).toBe(true)
    expect(JSON.parse(Buffer.from(rel?.releasePolicy?.data as string, 'base64').toString('utf8'))).toEqual(RELEASE)
    const cmk = entries.get('key/cmk')?.data as unknown as KeyRecord
    expect(cmk.versions.map((v) => v.keySize)).toEqual([2048, 2048])
    expect(cmk.versions.map((v) => v.attributes.enabled)).toEqual([false, true])
  })

  it('records the rotation policy as the vault reports it', async () => {
    const rec = entries.get('key/signer')?.data as unknown as KeyRecord
    const sdk = await f.keys().getKeyRotationPolicy('signer')
    expect(rec.rotationPolicy).toMatchObject({ expiresIn: 'P90D', lifetimeActions: JSON.parse(JSON.stringify(sdk.lifetimeActions)), id: sdk.id })
  })

  it('the native blob carries the key material: restored in the same world it decrypts what the original encrypted', async () => {
    const rec = entries.get('key/cmk')?.data as unknown as KeyRecord
    const blob = await t.repo.loadContent(rec.native?.content as ContentId)
    const dr = f.keys('kv-dr')
    const restored = await dr.restoreKeyBackup(blob)
    expect(restored.properties.version).toBe(rec.versions.at(-1)?.version)
    const versions: string[] = []
    for await (const p of dr.listPropertiesOfKeyVersions('cmk')) versions.push(p.version as string)
    expect(versions.sort()).toEqual(rec.versions.map((v) => v.version).sort())
    const setup = (vault: string) => f.em.clientSetup(vault)
    const original = new CryptographyClient((await f.keys().getKey('cmk')).id as string, f.em.credential, setup('kv-primary').options)
    const copy = new CryptographyClient(restored.id as string, f.em.credential, setup('kv-dr').options)
    const sealed = await original.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: utf8('only the key material can open this') })
    const opened = await copy.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: sealed.result })
    expect(Buffer.from(opened.result).toString('utf8')).toBe('only the key material can open this')
  })
})
