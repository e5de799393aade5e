/**
 * Keys through their lifecycle with the official KeyClient: soft delete, get and list deleted, recover with every
 * version, purge (and purge protection), native backup and restore with the world rules, and the managed key behind
 * a certificate, which the Keys API refuses to change.
 */
import { createHash } from 'node:crypto'
import type { KeyClient } from '@azure/keyvault-keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagedKey, type EmulatorHandle } from '../../src/emulator/index.js'
import { generateKey } from '../../src/emulator/keys/crypto.js'
import { cryptographyClient, FAST_POLL, FAST_TIMING, keyClient, secretClient, startTestEmulator } from '../support/emulator.js'

const SUB_B = '22222222-2222-4222-8222-222222222222'

let em: EmulatorHandle
let primary: KeyClient
beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [
      { name: 'kv-primary', region: 'westeurope' },
      { name: 'kv-dr', region: 'northeurope' },
      { name: 'kv-us', region: 'eastus' },
      { name: 'kv-other-sub', region: 'westeurope', subscriptionId: SUB_B },
      { name: 'kv-protected', region: 'westeurope', purgeProtection: true, softDeleteRetentionDays: 7 },
    ],
  })
  primary = keyClient(em, 'kv-primary')
})
afterAll(async () => {
  await em?.stop()
})

interface ServiceError extends Error {
  statusCode?: number
  code?: string
  details?: unknown
}

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect((err as Error | undefined)?.name).toBe('RestError')
  return err as ServiceError
}

/** Retry while the name is still blocked by a purge that is completing (409), as real clients do. */
async function whenNameFree<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (e) {
      if ((e as ServiceError).statusCode !== 409 || attempt > 100) throw e
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}

describe('soft delete', () => {
  it('deletes all versions, lists and gets the deleted key, blocks the name, and recovers every version', async () => {
    const v1 = await primary.createKey('doomed', 'EC', { tags: { t: '1' } })
    const v2 = await primary.createKey('doomed', 'EC')
    const deleted = await (await primary.beginDeleteKey('doomed', FAST_POLL)).pollUntilDone()
    expect(deleted.properties.recoveryId).toBe(`${em.vault('kv-primary').hostUrl}/deletedkeys/doomed`)
    expect(deleted.properties.version).toBe(v2.properties.version)
    expect(deleted.key?.x).toEqual(v2.key?.x)
    const days = ((deleted.properties.scheduledPurgeDate?.getTime() ?? 0) - (deleted.properties.deletedOn?.getTime() ?? 0)) / 86_400_000
    expect(days).toBe(90)
    expect((await rejection(primary.getKey('doomed'))).code).toBe('KeyNotFound')
    expect((await primary.getDeletedKey('doomed')).properties.version).toBe(v2.properties.version)
    const listed = []
    for await (const d of primary.listDeletedKeys()) listed.push(d)
    expect(listed.map((d) => d.name)).toContain('doomed')
    expect(listed.find((d) => d.name === 'doomed')?.properties.recoveryId).toBe(deleted.properties.recoveryId)

    const reuse = await rejection(primary.createKey('doomed', 'EC'))
    expect([reuse.statusCode, reuse.message]).toEqual([409, 'Key doomed is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.'])
    expect(JSON.stringify(reuse.details)).toContain('ObjectIsDeletedButRecoverable')

    const recovered = await (await primary.beginRecoverDeletedKey('doomed', FAST_POLL)).pollUntilDone()
    expect(recovered.properties.version).toBe(v2.properties.version)
    const versions = []
    for await (const v of primary.listPropertiesOfKeyVersions('doomed')) versions.push(v.version)
    expect(versions.sort()).toEqual([v1, v2].map((k) => k.properties.version).sort())
    expect((await primary.getKey('doomed', { version: v1.properties.version as string })).properties.tags).toEqual({ t: '1' })
  })

  it('purges a deleted key for good, and refuses purge under purge protection with 403', async () => {
    await primary.createKey('purged', 'EC')
    await (await primary.beginDeleteKey('purged', FAST_POLL)).pollUntilDone()
    await primary.purgeDeletedKey('purged')
    expect((await rejection(primary.getDeletedKey('purged'))).statusCode).toBe(404)
    const fresh = await whenNameFree(() => primary.createKey('purged', 'EC'))
    let count = 0
    for await (const _ of primary.listPropertiesOfKeyVersions('purged')) count++
    expect([count, fresh.name]).toEqual([1, 'purged'])

    const prot = keyClient(em, 'kv-protected')
    await prot.createKey('kept', 'EC')
    const deleted = await (await prot.beginDeleteKey('kept', FAST_POLL)).pollUntilDone()
    expect(deleted.properties.recoveryLevel).toBe('CustomizedRecoverable')
    const err = await rejection(prot.purgeDeletedKey('kept'))
    expect(err.statusCode).toBe(403)
    expect(err.message).toContain('Operation "purge" is not allowed because purge protection is enabled for this vault.')
    em.clock.advance(7 * 86_400_000)
    expect((await rejection(prot.getDeletedKey('kept'))).statusCode).toBe(404)
  })
})

describe('native backup and restore', () => {
  let blob: Uint8Array
  let versions: string[]
  beforeAll(async () => {
    const first = await primary.createRsaKey('escrowed', { tags: { owner: 'sec' }, keyOps: ['wrapKey', 'unwrapKey'] })
    const second = await primary.createRsaKey('escrowed')
    await primary.updateKeyProperties('escrowed', first.properties.version as string, { enabled: false })
    versions = [first, second].map((k) => k.properties.version as string)
    blob = (await primary.backupKey('escrowed')) as Uint8Array
  })

  it('gives an opaque blob that never holds key material in the clear', () => {
    const text = Buffer.from(blob).toString('latin1')
    expect(text.startsWith('KVDR-EMULATOR-BACKUP')).toBe(true)
    expect(text).not.toMatch(/"(d|p|q|dp|dq|qi|n)":/)
  })

  it('restores into the same vault after purge with the original version ids, attributes, tags and material', async () => {
    const before = await primary.getKey('escrowed')
    const wrapped = await cryptographyClient(em, 'kv-primary', before.id as string).wrapKey('RSA-OAEP-256', Buffer.alloc(32, 7))
    await (await primary.beginDeleteKey('escrowed', FAST_POLL)).pollUntilDone()
    await primary.purgeDeletedKey('escrowed')
    const restored = await whenNameFree(() => primary.restoreKeyBackup(blob))
    expect(restored.properties.version).toBe(versions[1])
    const all = []
    for await (const v of primary.listPropertiesOfKeyVersions('escrowed')) all.push(v)
    expect(all.map((v) => v.version).sort()).toEqual([...versions].sort())
    const first = await primary.getKey('escrowed', { version: versions[0] as string })
    expect([first.properties.enabled, first.properties.tags, first.keyOperations]).toEqual([false, { owner: 'sec' }, ['wrapKey', 'unwrapKey']])
    const unwrapped = await cryptographyClient(em, 'kv-primary', restored.id as string).unwrapKey('RSA-OAEP-256', wrapped.result)
    expect(Buffer.from(unwrapped.result).equals(Buffer.alloc(32, 7))).toBe(true)
  })

  it('restores into another vault of the same subscription and geography, with ids of that vault', async () => {
    const restored = await keyClient(em, 'kv-dr').restoreKeyBackup(blob)
    expect(restored.id).toBe(`${em.vault('kv-dr').hostUrl}/keys/escrowed/${versions[1]}`)
  })

  it.each([['kv-us'], ['kv-other-sub']])('refuses to restore into %s with 400 "Cannot decrypt backup blob."', async (vault) => {
    const err = await rejection(keyClient(em, vault).restoreKeyBackup(blob))
    expect([err.statusCode, err.message]).toEqual([400, 'Cannot decrypt backup blob.'])
    expect((await rejection(keyClient(em, vault).getKey('escrowed'))).statusCode).toBe(404)
  })

  it('refuses a name in use (409 conflict) or soft-deleted (409 ObjectIsDeletedButRecoverable), and a secret backup (400)', async () => {
    const live = await rejection(primary.restoreKeyBackup(blob))
    expect(live.statusCode).toBe(409)
    expect(live.message).toMatch(/^There was a conflict restoring the key 'https:\/\/.+\/keys\/escrowed\/[0-9a-f]{32}'\./)
    const dr = keyClient(em, 'kv-dr')
    await (await dr.beginDeleteKey('escrowed', FAST_POLL)).pollUntilDone()
    const deleted = await rejection(dr.restoreKeyBackup(blob))
    expect(deleted.statusCode).toBe(409)
    expect(JSON.stringify(deleted.details)).toContain('ObjectIsDeletedButRecoverable')
    const secrets = secretClient(em, 'kv-primary')
    await secrets.setSecret('not-a-key', 'v')
    const secretBlob = (await secrets.backupSecret('not-a-key')) as Uint8Array
    const wrongKind = await rejection(primary.restoreKeyBackup(secretBlob))
    expect([wrongKind.statusCode, wrongKind.code, wrongKind.message]).toEqual([400, 'Malformed backup blob', 'Backup blob contains invalid or corrupt version.'])
  })
})

describe('the managed key behind a certificate', () => {
  const VERSION = 'aabbccddeeff00112233445566778899'
  beforeAll(async () => {
    createManagedKey(em.model('kv-primary'), 'tls-cert', VERSION, await generateKey({ kty: 'RSA' }), { keyOps: ['sign', 'verify'], tags: { cert: 'yes' } })
  })

  it('is readable and usable, with the certificate version and managed: true', async () => {
    const key = await primary.getKey('tls-cert')
    expect([key.properties.version, key.properties.managed, key.properties.tags, key.keyOperations]).toEqual([VERSION, true, { cert: 'yes' }, ['sign', 'verify']])
    const digest = createHash('sha256').update('csr').digest()
    const crypto = cryptographyClient(em, 'kv-primary', key.id as string)
    expect((await crypto.verify('RS256', digest, (await crypto.sign('RS256', digest)).result)).result).toBe(true)
  })

  it('refuses backup, delete, update, rotate, create and import with 403 KeyManagedByKeyVault', async () => {
    const backup = await rejection(primary.backupKey('tls-cert'))
    expect([backup.statusCode, backup.message]).toEqual([
      403,
      'Operation "backup" is not allowed on this Key, since it is associated with a certificate. Perform the operation on the corresponding certificate.',
    ])
    expect(JSON.stringify(backup.details)).toContain('"innerError":{"code":"KeyManagedByKeyVault"}')
    const del = await rejection(primary.beginDeleteKey('tls-cert'))
    expect(del.message).toMatch(/^Operation "delete" is not allowed on this key, since it is associated with a certificate\./)
    for (const call of [
      () => primary.updateKeyProperties('tls-cert', { enabled: false }),
      () => primary.rotateKey('tls-cert'),
      () => primary.createKey('tls-cert', 'RSA'),
      () => primary.updateKeyRotationPolicy('tls-cert', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }] }),
    ]) {
      expect((await rejection(call())).statusCode).toBe(403)
    }
    expect((await primary.getKey('tls-cert')).properties.enabled).toBe(true)
  })

  it('refuses a certificate taking the name of a key that is not managed', async () => {
    await primary.createKey('plain-key', 'EC')
    const material = await generateKey({ kty: 'EC' })
    expect(() => createManagedKey(em.model('kv-primary'), 'plain-key', '0123456789abcdef0123456789abcdef', material)).toThrow(/not managed by a certificate/)
  })
})

it('keeps the lifecycle delays: a deleted key becomes visible only after the delete delay', async () => {
  await primary.createKey('slow-delete', 'EC')
  const started = em.clock.now()
  await (await primary.beginDeleteKey('slow-delete', FAST_POLL)).pollUntilDone()
  expect(em.clock.now() - started).toBeGreaterThanOrEqual(FAST_TIMING.deleteDelayMs)
})
