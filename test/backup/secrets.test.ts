/**
 * Backing up secrets end to end (official SDK seeding, kvdr's vault layer over HTTPS, the emulator): every
 * version and field captured and compared with what the emulator holds, disabled versions native-only, managed
 * secrets left to their certificate, soft-deleted secrets recorded as state, and the native blob restorable in
 * the same world.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsOf } from '../../src/emulator/index.js'
import { CONTENT, FINGERPRINT, type SecretRecord } from '../../src/backup/records.js'
import { canonicalJson, utf8 } from '../../src/repo/encoding.js'
import type { ContentId, Entry } from '../../src/repo/types.js'
import { ExitCode } from '../../src/core/errors.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo, SUBSCRIPTION, type TestRepo, text } from './support.js'
import type { BackupResult } from '../../src/backup/backup.js'

let f: VaultFixture
let t: TestRepo
let result: BackupResult
let entries: Map<string, Entry>

const iso = (s?: number): string | undefined => (s === undefined ? undefined : new Date(s * 1000).toISOString())

beforeAll(async () => {
  f = await startVaultFixture()
  const c = f.secrets()
  await c.setSecret('db-password', 'pw-1', { tags: { env: 'prod' } })
  await c.setSecret('db-password', 'pw-2', { tags: { env: 'prod', rotated: 'yes' }, contentType: 'text/plain' })
  const v3 = await c.setSecret('db-password', 'pw-3', { tags: { env: 'prod' }, notBefore: new Date('2030-01-01T00:00:00Z') })
  await c.setSecret('old-token', 'token-1', { expiresOn: new Date('2020-01-01T00:00:00Z') })
  const off = await c.setSecret('old-token', 'token-2')
  await c.updateSecretProperties('old-token', off.properties.version as string, { enabled: false })
  await c.setSecret('empty', '')
  await c.setSecret('unicode', 'päss – 🔑')
  await c.setSecret('gone', 'gone-value', { tags: { owner: 'team-x' } })
  await (await c.beginDeleteSecret('gone', FAST_POLL)).pollUntilDone()
  // The secret behind a certificate: listed by Key Vault with managed=true, backed up through its certificate.
  secretsOf(f.em.model('kv-primary')).create('tls-cert', { payload: { value: 'managed-pfx' }, managed: true })
  void v3
  // Every change above is in the past for the backup's view of the vault clock.
  f.em.clock.advance(2000)
  t = await newRepo()
  result = await backup(f, t.repo, { kinds: ['secret'] })
  const snap = result.vaults[0]?.snapshot
  entries = await entriesByName(t.repo, snap as { id: string })
})
afterAll(() => f.stop())

describe('backup of secrets', () => {
  it('succeeds with one snapshot describing the vault and its world', async () => {
    expect(result.exitCode).toBe(ExitCode.Success)
    const v = result.vaults[0]
    expect(v?.status).toBe('ok')
    expect(v?.world).toEqual({ subscriptionId: SUBSCRIPTION, tenantId: f.em.vault('kv-primary').tenantId, region: 'westeurope', geography: 'Europe' })
    expect(v?.counts).toMatchObject({ listed: 5, captured: 4, deleted: 1, reused: 0 })
    expect([...entries.keys()].sort()).toEqual(['secret/db-password', 'secret/empty', 'secret/gone', 'secret/old-token', 'secret/unicode'])
  })

  it('captures every version with attributes, tags and content type, values sealed and fingerprinted', async () => {
    const model = secretsOf(f.em.model('kv-primary'))
    for (const name of ['db-password', 'old-token', 'empty', 'unicode']) {
      const e = entries.get(`secret/${name}`) as Entry
      const rec = e.data as unknown as SecretRecord
      const truth = model.listVersions(name)
      expect(rec.versions.map((v) => v.version).sort()).toEqual(truth.map((v) => v.version).sort())
      for (const v of truth) {
        const r = rec.versions.find((x) => x.version === v.version)!
        expect(r.attributes.enabled).toBe(v.attributes.enabled)
        expect(r.attributes.createdOn).toBe(iso(v.attributes.created))
        expect(r.attributes.updatedOn).toBe(iso(v.attributes.updated))
        expect(r.attributes.notBefore).toBe(iso(v.attributes.nbf))
        expect(r.attributes.expiresOn).toBe(iso(v.attributes.exp))
        expect(r.tags).toEqual(v.tags ?? {})
        expect(r.contentType).toBe(v.payload.contentType)
        if (!v.attributes.enabled) {
          // Key Vault refuses to read disabled versions: native backup only, never enabled to read it.
          expect(r.capture).toBe('native-only')
          expect(r.value).toBeUndefined()
          expect(r.fingerprint).toBeUndefined()
          continue
        }
        expect(r.capture).toBe('value')
        expect(r.value?.startsWith(`${CONTENT.secretValue}:`)).toBe(true)
        expect(await text(t.repo, r.value as string)).toBe(v.payload.value)
        const expected = t.repo.fingerprint(
          FINGERPRINT.secret,
          utf8(canonicalJson({ value: v.payload.value, contentType: v.payload.contentType ?? null, enabled: true, notBefore: iso(v.attributes.nbf) ?? null, expiresOn: iso(v.attributes.exp) ?? null, tags: v.tags ?? {} })),
        )
        expect(r.fingerprint).toBe(expected)
      }
      expect(rec.native?.versions).toBe(truth.length)
      expect(e.refs).toContain(rec.native?.content)
      for (const r of rec.versions) if (r.value) expect(e.refs).toContain(r.value)
    }
    const old = entries.get('secret/old-token')?.data as unknown as SecretRecord
    expect(old.restore).toEqual({ sameWorld: true, anywhere: 'partial', notes: ['1 disabled version(s): native only'] })
    const db = entries.get('secret/db-password')?.data as unknown as SecretRecord
    expect(db.restore).toEqual({ sameWorld: true, anywhere: 'all', notes: [] })
  })

  it('records the soft-deleted secret as state (deletion date, purge date, recovery id)', () => {
    const rec = entries.get('secret/gone')?.data as unknown as SecretRecord
    const truth = secretsOf(f.em.model('kv-primary')).deleted('gone')
    expect(rec.state).toBe('deleted')
    expect(rec.deleted?.deletedOn).toBe(new Date(Math.floor((truth.deleted?.deletedAt as number) / 1000) * 1000).toISOString())
    expect(rec.deleted?.scheduledPurgeDate).toBe(new Date(Math.floor((truth.deleted?.scheduledPurgeAt as number) / 1000) * 1000).toISOString())
    expect(rec.deleted?.recoveryId).toMatch(/\/deletedsecrets\/gone$/)
    expect(rec.versions).toEqual([])
  })

  it('the native blob restores every version, with its ids, into a vault of the same subscription and geography', async () => {
    const rec = entries.get('secret/db-password')?.data as unknown as SecretRecord
    const blob = await t.repo.loadContent(rec.native?.content as ContentId)
    const dr = f.secrets('kv-dr')
    await dr.restoreSecretBackup(blob)
    const restored: string[] = []
    for await (const p of dr.listPropertiesOfSecretVersions('db-password')) restored.push(p.version as string)
    expect(restored.sort()).toEqual(rec.versions.map((v) => v.version).sort())
    expect((await dr.getSecret('db-password', { version: rec.versions.at(-1)?.version as string })).value).toBe('pw-3')
  })
})
