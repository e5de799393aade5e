/**
 * Incremental runs, proved by the emulator's audit log: a run after changes sends the listings plus requests for
 * the changed objects only, and still writes a snapshot of the whole vault (unchanged entries reused, deleted
 * objects as soft-deleted state with their last capture). A property change on an old version is invisible to
 * listings - found by --full, as documented. An unchanged vault costs listings only and uploads nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BackupResult } from '../../src/backup/backup.js'
import type { SecretRecord } from '../../src/backup/records.js'
import { type AuditRecord, secretsOf } from '../../src/emulator/index.js'
import type { Entry } from '../../src/repo/types.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo, type TestRepo } from './support.js'

/** What every run reads: the six listings, plus the vault's certificate issuers and contacts (never incremental). */
const LISTINGS = new Set(['SecretList', 'SecretListDeleted', 'KeyList', 'KeyListDeleted', 'CertificateList', 'CertificateListDeleted', 'CertificateIssuersList', 'CertificateIssuerGet', 'CertificateContactsGet'])

let f: VaultFixture
let t: TestRepo

/** Run a backup and return it with the audit records of the requests it made (challenges excluded). */
async function observed(options: Parameters<typeof backup>[2] = {}): Promise<{ result: BackupResult; audit: AuditRecord[]; all: AuditRecord[]; entries: Map<string, Entry> }> {
  f.em.clock.advance(2000)
  const before = f.audit.length
  const result = await backup(f, t.repo, options)
  const all = f.audit.slice(before)
  const audit = all.filter((r) => r.operationName !== 'Authentication')
  return { result, audit, all, entries: await entriesByName(t.repo, result.vaults[0]?.snapshot as { id: string }) }
}

/** `kind/name` of the objects that per-object operations touched. */
function touched(audit: AuditRecord[]): string[] {
  const names = audit.filter((r) => !LISTINGS.has(r.operationName)).map((r) => {
    const [collection, name] = new URL(r.requestUri).pathname.split('/').slice(1)
    return `${(collection as string).replace(/s$/, '')}/${name}`
  })
  return [...new Set(names)].sort()
}

const names = Array.from({ length: 8 }, (_, i) => `s${i}`)
let first: Awaited<ReturnType<typeof observed>>

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full' })
  t = await newRepo()
  const c = f.secrets()
  for (const n of names) {
    await c.setSecret(n, `${n}-v1`, { tags: { app: 'shop' } })
    await c.setSecret(n, `${n}-v2`, { tags: { app: 'shop' } })
  }
  await f.keys().createEcKey('k1', { curve: 'P-256' })
  await f.keys().createEcKey('k2', { curve: 'P-256' })
  await (await f.certificates().beginCreateCertificate('c1', { issuerName: 'Self', subject: 'CN=c1' }, FAST_POLL)).pollUntilDone()
  await f.certificates().createIssuer('ca', 'DigiCert', { accountId: 'a' })
  first = await observed()
})
afterAll(() => f.stop())

describe('incremental backups', () => {
  it('the first run reads everything', () => {
    expect(first.result.vaults[0]?.counts).toMatchObject({ listed: 11, captured: 11, reused: 0 })
    // The certificate's PFX is read through its managed secret (same name).
    expect(touched(first.audit)).toEqual(['certificate/c1', 'key/k1', 'key/k2', 'secret/c1', ...names.map((n) => `secret/${n}`)])
  })

  it('after changes: listings plus the changed objects only, and a snapshot of the whole vault', async () => {
    const c = f.secrets()
    f.em.clock.advance(2000)
    await c.setSecret('s1', 's1-v3', { tags: { app: 'shop' } }) // new version
    const s2 = await c.getSecret('s2')
    await c.updateSecretProperties('s2', s2.properties.version as string, { tags: { app: 'shop', owner: 'ops' } }) // tags
    await (await c.beginDeleteSecret('s3', FAST_POLL)).pollUntilDone() // soft delete
    await c.setSecret('s9', 's9-v1') // new object
    await f.keys().rotateKey('k2') // new key version
    const second = await observed()
    expect(touched(second.audit)).toEqual(['key/k2', 'secret/s1', 'secret/s2', 'secret/s9'])
    expect(second.audit.filter((r) => LISTINGS.has(r.operationName)).length).toBeGreaterThan(0)
    expect(second.result.vaults[0]?.counts).toMatchObject({ listed: 12, captured: 4, reused: 7, deleted: 1 })
    // kvdr's count of requests is the emulator's: nothing retried behind its back.
    expect(second.result.vaults[0]?.requests?.requests).toBe(second.all.length)

    const e = second.entries
    expect([...e.keys()].sort()).toEqual(['certificate-issuer/ca', 'certificate/c1', 'key/k1', 'key/k2', ...['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's9'].map((n) => `secret/${n}`)])
    for (const k of ['certificate/c1', 'key/k1']) expect(e.get(k)).toEqual(first.entries.get(k))
    for (const n of ['s0', 's4', 's5', 's6', 's7']) expect(e.get(`secret/${n}`)).toEqual(first.entries.get(`secret/${n}`))
    expect((e.get('secret/s1')?.data as unknown as SecretRecord).versions).toHaveLength(3)
    expect((e.get('secret/s2')?.data as unknown as SecretRecord).versions.at(-1)?.tags).toEqual({ app: 'shop', owner: 'ops' })
    const gone = e.get('secret/s3')
    expect((gone?.data as unknown as SecretRecord).state).toBe('deleted')
    // The deleted secret keeps its last capture: restorable after a purge.
    expect(gone?.refs).toEqual(first.entries.get('secret/s3')?.refs)
    expect((gone?.data as unknown as SecretRecord).versions).toEqual((first.entries.get('secret/s3')?.data as unknown as SecretRecord).versions)
  })

  it('a change to an old version is invisible to listings: the incremental run misses it, --full finds it', async () => {
    const c = f.secrets()
    // Creation order (both versions share a second, so the emulator's record is the authority).
    const oldest = secretsOf(f.em.model('kv-primary')).active('s4').versions[0]
    // Disable the OLD version: the top-level listing still shows the (unchanged) latest version.
    await c.updateSecretProperties('s4', oldest?.version as string, { enabled: false })
    const missed = await observed()
    expect(touched(missed.audit)).toEqual([])
    const stale = (missed.entries.get('secret/s4')?.data as unknown as SecretRecord).versions.find((v) => v.version === oldest?.version)
    expect(stale?.attributes.enabled).toBe(true)

    const full = await observed({ full: true })
    expect(full.result.vaults[0]?.counts).toMatchObject({ captured: 11, reused: 0, deleted: 1 })
    const fresh = (full.entries.get('secret/s4')?.data as unknown as SecretRecord).versions.find((v) => v.version === oldest?.version)
    expect(fresh?.attributes.enabled).toBe(false)
    expect(fresh?.capture).toBe('native-only')
  })

  it('an unchanged vault: listings only, every entry and page reused, nothing uploaded', async () => {
    const previous = await observed()
    const again = await observed()
    expect(touched(again.audit)).toEqual([])
    expect(again.audit.every((r) => LISTINGS.has(r.operationName))).toBe(true)
    expect(again.result.contents.uploaded).toBe(0)
    const [a, b] = [previous.result.vaults[0]?.snapshot?.id, again.result.vaults[0]?.snapshot?.id]
    const pagesA = (await t.repo.loadSnapshot(a as never)).pages
    const pagesB = (await t.repo.loadSnapshot(b as never)).pages
    expect(pagesB).toEqual(pagesA)
  })
})
