/**
 * src/vault/deleted-ops.ts against the emulator through kvdr's connection (official SDK clients, host-name URL,
 * --ca-file, --resolve): deletion settings, recover and wait, guarded purge, being-deleted names, managed objects,
 * and the missing permission named by the emulator's RBAC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KvdrError } from '../../src/core/errors.js'
import type { AuditRecord } from '../../src/emulator/index.js'
import type { VaultConnection } from '../../src/vault/connection.js'
import { getDeleted, isBeingDeleted, nameState, purgeDeleted, purgeProtectedLevel, recoverDeleted, vaultDeletionSettings, waitUntilNameFree } from '../../src/vault/deleted-ops.js'
import { VaultError } from '../../src/vault/errors.js'
import { answered, startVaultFixture, type VaultFixture } from '../vault/support.js'
import { createCertificate, deleteCertificate, deleteKey, deleteSecret, rejection, SLOW } from './support.js'

let f: VaultFixture
/** Called with every audit record (the emulator's audit stage). */
let onRecord: ((r: AuditRecord) => void) | undefined
const conns: VaultConnection[] = []
async function connect(vault = 'kv-primary', credential?: string): Promise<VaultConnection> {
  const c = await f.connect(vault, credential ? { credential: f.em.credentialFor(credential) } : {})
  conns.push(c)
  return c
}

beforeAll(async () => {
  f = await startVaultFixture({
    vaults: [
      { name: 'kv-primary' },
      { name: 'kv-guarded', purgeProtection: true, softDeleteRetentionDays: 30 },
      { name: 'kv-slow', ...SLOW },
      { name: 'kv-empty' },
      { name: 'kv-certs' },
    ],
    principals: [{ name: 'reader-sp' }],
    roleAssignments: [{ principal: 'reader-sp', role: 'Key Vault Reader', scope: '/' }],
    stages: { audit: { record: (r) => onRecord?.(r) } },
  })
})
afterAll(async () => {
  for (const c of conns) c.close()
  await f?.stop()
})

describe('vaultDeletionSettings', () => {
  it('reads the recovery level, retention and purge protection from an object of the vault', async () => {
    await f.secrets().setSecret('settings-probe', 'v')
    expect(await vaultDeletionSettings(await connect())).toEqual({ recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90, purgeProtection: false })
    await f.keys('kv-guarded').createEcKey('guard-key', { curve: 'P-256' })
    expect(await vaultDeletionSettings(await connect('kv-guarded'))).toEqual({ recoveryLevel: 'CustomizedRecoverable', recoverableDays: 30, purgeProtection: true })
  })

  it('falls back to a certificate (whose listing has no recovery fields); undefined for an empty vault', async () => {
    await createCertificate(f, 'only-cert', 'kv-certs')
    await deleteSecretsAndKeysNone()
    expect(await vaultDeletionSettings(await connect('kv-certs'))).toEqual({ recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90, purgeProtection: false })
    expect(await vaultDeletionSettings(await connect('kv-empty'))).toEqual({ purgeProtection: undefined })
  })

  it('maps every DeletionRecoveryLevel of the spec', () => {
    expect(['Purgeable', 'Recoverable+Purgeable', 'CustomizedRecoverable+Purgeable'].map(purgeProtectedLevel)).toEqual([false, false, false])
    expect(['Recoverable', 'Recoverable+ProtectedSubscription', 'CustomizedRecoverable', 'CustomizedRecoverable+ProtectedSubscription'].map(purgeProtectedLevel)).toEqual([true, true, true, true])
    expect(purgeProtectedLevel(undefined)).toBeUndefined()
  })
})

/** kv-certs holds only a certificate's managed key and secret, which the secret and key listings show. */
async function deleteSecretsAndKeysNone(): Promise<void> {
  const names: string[] = []
  for await (const s of f.secrets('kv-certs').listPropertiesOfSecrets()) if (!s.managed) names.push(s.name)
  expect(names).toEqual([])
}

describe('recoverDeleted', () => {
  it('recovers a secret with every version and waits until it is usable', async () => {
    await f.secrets().setSecret('rec-secret', 'first')
    await f.secrets().setSecret('rec-secret', 'second')
    await deleteSecret(f, 'rec-secret')
    const conn = await connect()
    expect(await nameState(conn, 'secret', 'rec-secret')).toBe('deleted')
    await recoverDeleted(conn, 'secret', 'rec-secret', { pollMs: 20 })
    expect((await f.secrets().getSecret('rec-secret')).value).toBe('second')
    const versions: string[] = []
    for await (const v of f.secrets().listPropertiesOfSecretVersions('rec-secret')) versions.push(v.version ?? '')
    expect(versions).toHaveLength(2)
    expect(await nameState(conn, 'secret', 'rec-secret')).toBe('live')
    expect(await getDeleted(conn, 'secret', 'rec-secret')).toBeUndefined()
  })

  it('refuses live and unknown names with NOT_DELETED', async () => {
    const conn = await connect()
    await f.keys().createEcKey('live-key', { curve: 'P-256' })
    const live = await rejection(recoverDeleted(conn, 'key', 'live-key'))
    expect(live).toBeInstanceOf(VaultError)
    expect(live).toMatchObject({ code: 'NOT_DELETED', scope: 'object' })
    expect(live.message).toContain('key/live-key is live')
    const unknown = await rejection(recoverDeleted(conn, 'secret', 'never-there'))
    expect(unknown).toMatchObject({ code: 'NOT_DELETED', status: 404 })
    expect(unknown.message).toContain('secret/never-there is not a soft-deleted object')
  })

  it('waits out "currently being deleted" and then recovers', async () => {
    await f.secrets('kv-slow').setSecret('racing', 'v')
    await f.secrets('kv-slow').beginDeleteSecret('racing') // DELETE sent; the deletion takes SLOW.deleteDelayMs
    const conn = await connect('kv-slow')
    const before = f.audit.length
    await recoverDeleted(conn, 'secret', 'racing', { pollMs: 50 })
    const recovers = answered(f.audit.slice(before)).filter((a) => a.operationName === 'SecretRecover').map((a) => a.resultSignature)
    expect(recovers[0]).toBe(409)
    expect(recovers.at(-1)).toBe(200)
    expect(await nameState(conn, 'secret', 'racing')).toBe('live')
  })

  it('gives up on a name that stays "being deleted" with BEING_DELETED', async () => {
    await f.secrets('kv-slow').setSecret('stuck', 'v')
    await f.secrets('kv-slow').beginDeleteSecret('stuck')
    const err = await rejection(recoverDeleted(await connect('kv-slow'), 'secret', 'stuck', { pollMs: 20, timeoutMs: 100 }))
    expect(err).toMatchObject({ code: 'BEING_DELETED', status: 409 })
  })

  it('a certificate comes back with its key and secret; the managed secret alone is refused', async () => {
    await createCertificate(f, 'web-cert')
    await deleteCertificate(f, 'web-cert')
    const conn = await connect()
    const managed = await rejection(recoverDeleted(conn, 'secret', 'web-cert'))
    expect(managed).toMatchObject({ code: 'MANAGED_BY_CERTIFICATE' })
    expect(managed.message).toContain('belongs to certificate/web-cert')
    await recoverDeleted(conn, 'certificate', 'web-cert', { pollMs: 20 })
    expect((await f.certificates().getCertificate('web-cert')).properties.enabled).toBe(true)
    expect((await f.keys().getKey('web-cert')).properties.managed).toBe(true)
    expect((await f.secrets().getSecret('web-cert')).properties.managed).toBe(true)
  })

  it('names the missing data action and role (emulator RBAC: Key Vault Reader cannot recover)', async () => {
    await f.keys().createEcKey('guarded-by-rbac', { curve: 'P-256' })
    await deleteKey(f, 'guarded-by-rbac')
    const err = await rejection(recoverDeleted(await connect('kv-primary', 'reader-sp'), 'key', 'guarded-by-rbac'))
    expect(err).toMatchObject({ code: 'VAULT_FORBIDDEN', exitCode: 21, missingPermission: 'Microsoft.KeyVault/vaults/keys/recover/action' })
    expect((err as unknown as KvdrError).hint).toContain('Key Vault Crypto Officer')
    expect(await nameState(await connect(), 'key', 'guarded-by-rbac')).toBe('deleted')
  })
})

describe('purgeDeleted', () => {
  it('purges and waits until the deleted object is gone', async () => {
    await f.secrets().setSecret('to-purge', 'v')
    await deleteSecret(f, 'to-purge')
    const conn = await connect()
    await purgeDeleted(conn, 'secret', 'to-purge', { pollMs: 20 })
    expect(await getDeleted(conn, 'secret', 'to-purge')).toBeUndefined()
    expect(await nameState(conn, 'secret', 'to-purge')).toBe('free')
  })

  it('refuses under purge protection before sending the purge (exit 23, scheduled purge date named)', async () => {
    await f.secrets('kv-guarded').setSecret('kept', 'v')
    await deleteSecret(f, 'kept', 'kv-guarded')
    const conn = await connect('kv-guarded')
    const info = await getDeleted(conn, 'secret', 'kept')
    const before = f.audit.length
    const err = await rejection(purgeDeleted(conn, 'secret', 'kept'))
    expect(err).toBeInstanceOf(KvdrError)
    expect(err).toMatchObject({ code: 'PURGE_PROTECTED', exitCode: 23 })
    expect(err.message).toContain(info?.scheduledPurgeDate as string)
    expect(f.audit.slice(before).filter((a) => a.operationName === 'SecretPurge')).toEqual([])
    expect(await nameState(conn, 'secret', 'kept')).toBe('deleted')
    // Known settings refuse without a single request.
    const settings = await vaultDeletionSettings(conn)
    const mark = f.audit.length
    expect(await rejection(purgeDeleted(conn, 'secret', 'kept', { settings }))).toMatchObject({ code: 'PURGE_PROTECTED', exitCode: 23 })
    expect(answered(f.audit.slice(mark)).filter((a) => a.operationName !== 'SecretGetDeleted')).toEqual([])
  })

  it('maps the service\'s own purge-protection refusal to exit 23', async () => {
    await f.secrets('kv-slow').setSecret('flip', 'v')
    await deleteSecret(f, 'flip', 'kv-slow')
    const conn = await connect('kv-slow')
    // Purge protection switched on after kvdr read the deleted object (the emulator's vault model, between calls).
    const vault = f.em.model('kv-slow')
    const original = vault.settings.purgeProtection
    onRecord = (r) => {
      if (r.operationName === 'SecretGetDeleted' && r.resultSignature === 200) vault.settings.purgeProtection = true
    }
    try {
      const err = await rejection(purgeDeleted(conn, 'secret', 'flip'))
      expect(err).toMatchObject({ code: 'PURGE_PROTECTED', exitCode: 23, status: undefined })
      expect(f.audit.filter((a) => a.operationName === 'SecretPurge').at(-1)?.resultSignature).toBe(403)
    } finally {
      onRecord = undefined
      vault.settings.purgeProtection = original
    }
  })
})

describe('waitUntilNameFree', () => {
  it('says live, deleted or free; with a probe it waits out the purge window', async () => {
    const conn = await connect('kv-slow')
    await f.secrets('kv-slow').setSecret('cycle', 'old')
    expect(await waitUntilNameFree(conn, 'secret', 'cycle')).toBe('live')
    await deleteSecret(f, 'cycle', 'kv-slow')
    expect(await waitUntilNameFree(conn, 'secret', 'cycle')).toBe('deleted')
    await purgeDeleted(conn, 'secret', 'cycle', { pollMs: 20 })
    // Reads see nothing; the name is still blocked while the purge runs.
    const blocked = await rejection(f.secrets('kv-slow').setSecret('cycle', 'x'))
    expect(isBeingDeleted(blocked)).toBe(true)
    const before = f.audit.length
    const state = await waitUntilNameFree(conn, 'secret', 'cycle', { pollMs: 50, probe: () => f.secrets('kv-slow').setSecret('cycle', 'new') })
    expect(state).toBe('free')
    const sets = answered(f.audit.slice(before)).filter((a) => a.operationName === 'SecretSet').map((a) => a.resultSignature)
    expect(sets.at(-1)).toBe(200)
    expect(sets.filter((s) => s === 409).length).toBeGreaterThan(0)
  })
})
