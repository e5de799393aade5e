/**
 * The plan for every conflict kind, against the emulator: a live object that differs (skip, fail, new-version), a
 * soft-deleted object holding the snapshot's versions (recover), one holding other versions (conflict; purge only
 * with --purge-deleted and a confirmation; refused under purge protection, exit 23), a name Key Vault is still
 * deleting (waited for, then recovered), and missing permissions (RBAC) - with the audit log proving what was
 * (not) written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode, KvdrError } from '../../src/core/errors.js'
import { secretsOf } from '../../src/emulator/index.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, newRepo, type TestRepo } from '../backup/support.js'
import { restore, writesIn } from './support.js'

let f: VaultFixture
let t: TestRepo
const original = new Map<string, string[]>()

const ids = (vault: string, name: string): string[] => secretsOf(f.em.model(vault)).listVersions(name).map((v) => v.version).sort()
const currentValue = async (vault: string, name: string): Promise<string | undefined> => (await f.secrets(vault).getSecret(name)).value

beforeAll(async () => {
  f = await startVaultFixture({
    vaults: [
      { name: 'kv-primary', region: 'westeurope' },
      { name: 'kv-dr', region: 'northeurope' },
      { name: 'kv-guard', region: 'westeurope', purgeProtection: true },
      { name: 'kv-slow', region: 'westeurope', deleteDelayMs: 2500 },
      { name: 'kv-stuck', region: 'westeurope', deleteDelayMs: 600_000 },
    ],
    principals: [{ name: 'restore-sp' }],
    roleAssignments: [{ principal: 'restore-sp', role: 'Key Vault Secrets User', scope: 'kv-dr' }],
  })
  const c = f.secrets()
  for (const name of ['changed', 'softdel', 'replaced', 'keep', 'retagged']) await c.setSecret(name, `${name}-original`, { tags: { from: 'backup' } })
  await f.keys().createEcKey('k1', { curve: 'P-256' })
  await f.secrets('kv-guard').setSecret('guarded', 'guarded-original')
  await f.secrets('kv-slow').setSecret('slow', 'slow-original')
  await f.secrets('kv-stuck').setSecret('stuck', 'stuck-original')
  f.em.clock.advance(2000)
  t = await newRepo()
  for (const vaults of [['kv-primary'], ['kv-guard'], ['kv-slow'], ['kv-stuck']]) expect((await backup(f, t.repo, { vaults })).exitCode).toBe(ExitCode.Success)
  for (const name of ['changed', 'softdel', 'replaced', 'keep']) original.set(name, ids('kv-primary', name))
  // After the backup: one overwritten, one soft-deleted, one purged, re-created and soft-deleted again.
  await c.setSecret('changed', 'changed-overwritten')
  await c.updateSecretProperties('retagged', (await c.getSecret('retagged')).properties.version as string, { tags: { from: 'edited' } })
  await (await c.beginDeleteSecret('softdel', FAST_POLL)).pollUntilDone()
  await (await c.beginDeleteSecret('replaced', FAST_POLL)).pollUntilDone()
  await c.purgeDeletedSecret('replaced')
  await new Promise((r) => setTimeout(r, 100))
  await c.setSecret('replaced', 'replaced-new')
  await (await c.beginDeleteSecret('replaced', FAST_POLL)).pollUntilDone()
  f.em.clock.advance(1000)
})
afterAll(() => f.stop())

const primary = (extra: Parameters<typeof restore>[3] = {}): ReturnType<typeof restore> => restore(f, t.repo, 'kv-primary', extra)

describe('conflicts in the target', () => {
  it('plans each kind of conflict with its reason and a dry run writes nothing', async () => {
    const mark = f.audit.length
    const r = await primary({ dryRun: true })
    const by = new Map(r.plan.objects.map((o) => [`${o.kind}/${o.name}`, o]))
    expect(by.get('secret/changed')).toMatchObject({ action: 'conflict', target: 'live' })
    expect(by.get('secret/changed')?.reason).toContain('differs from the snapshot (1 of its 2 versions match)')
    expect(by.get('secret/softdel')).toMatchObject({ action: 'recover', target: 'deleted' })
    expect(by.get('secret/replaced')).toMatchObject({ action: 'conflict', target: 'deleted' })
    expect(by.get('secret/replaced')?.reason).toContain('--purge-deleted')
    expect(by.get('secret/keep')).toMatchObject({ action: 'skip' })
    // Same version id, other tags: a change the plan must see (the fingerprint covers tags).
    expect(by.get('secret/retagged')).toMatchObject({ action: 'conflict', target: 'live' })
    expect(by.get('key/k1')).toMatchObject({ action: 'skip' })
    expect(r.plan.target.deletion).toMatchObject({ purgeProtection: false })
    expect(writesIn(f.audit, 'kv-primary', mark)).toEqual([])
  })

  it('--on-conflict fail writes nothing and exits 1', async () => {
    const mark = f.audit.length
    const r = await primary({ onConflict: 'fail' })
    expect(r.exitCode).toBe(ExitCode.Failure)
    expect(r.outcomes?.find((o) => o.name === 'changed')).toMatchObject({ status: 'error', code: 'CONFLICT' })
    expect(writesIn(f.audit, 'kv-primary', mark)).toEqual([])
  })

  it('planned purges need a confirmation: without one nothing is written (exit 23)', async () => {
    const mark = f.audit.length
    const err = await primary({ purgeDeleted: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KvdrError)
    expect((err as KvdrError).exitCode).toBe(ExitCode.Refused)
    expect(writesIn(f.audit, 'kv-primary', mark)).toEqual([])
  })

  it('recovers the soft-deleted object, leaves the differing one, and skips the identical ones', async () => {
    const r = await primary()
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.outcomes?.find((o) => o.name === 'softdel')).toMatchObject({ action: 'recover', status: 'done' })
    expect(ids('kv-primary', 'softdel')).toEqual(original.get('softdel'))
    expect(await currentValue('kv-primary', 'changed')).toBe('changed-overwritten')
    expect(r.outcomes?.find((o) => o.name === 'changed')).toMatchObject({ status: 'warning', code: 'CONFLICT' })
  })

  it('--on-conflict new-version makes the snapshot\'s value current again as a new version', async () => {
    const r = await primary({ onConflict: 'new-version' })
    expect(r.outcomes?.find((o) => o.name === 'changed')).toMatchObject({ action: 'add-versions', method: 'value', status: 'done', written: 1 })
    expect(await currentValue('kv-primary', 'changed')).toBe('changed-original')
    expect(ids('kv-primary', 'changed')).toHaveLength(3)
    const again = await primary({ onConflict: 'new-version' })
    expect(again.outcomes?.find((o) => o.name === 'changed')?.action).toBe('skip')
  })

  it('--purge-deleted with a confirmation purges the other soft-deleted object and restores natively', async () => {
    let asked = 0
    const r = await primary({ purgeDeleted: true, confirmPurge: async (plan) => (asked++, plan.objects.some((o) => o.purgeFirst && o.name === 'replaced')) })
    expect(asked).toBe(1)
    expect(r.outcomes?.find((o) => o.name === 'replaced')).toMatchObject({ action: 'create', method: 'native', purgeFirst: true, status: 'done' })
    expect(ids('kv-primary', 'replaced')).toEqual(original.get('replaced'))
    expect(await currentValue('kv-primary', 'replaced')).toBe('replaced-original')
  })

  it('refuses purges under purge protection (exit 23) and sends no purge', async () => {
    const g = f.secrets('kv-guard')
    await g.setSecret('guarded', 'guarded-later')
    await (await g.beginDeleteSecret('guarded', FAST_POLL)).pollUntilDone()
    const mark = f.audit.length
    const r = await restore(f, t.repo, 'kv-guard', { purgeDeleted: true, confirmPurge: async () => true })
    expect(r.exitCode).toBe(ExitCode.Refused)
    const o = r.outcomes?.find((x) => x.name === 'guarded')
    expect(o).toMatchObject({ action: 'conflict', refused: true, code: 'REFUSED' })
    expect(o?.reason).toContain('purge protection is on')
    expect(r.plan.target.deletion?.purgeProtection).toBe(true)
    expect(writesIn(f.audit, 'kv-guard', mark)).toEqual([])
  })

  it('waits for a name Key Vault is still deleting, then recovers it', async () => {
    const before = ids('kv-slow', 'slow')
    await f.secrets('kv-slow').beginDeleteSecret('slow')
    const r = await restore(f, t.repo, 'kv-slow')
    const o = r.outcomes?.find((x) => x.name === 'slow')
    expect(o).toMatchObject({ action: 'create', target: 'absent', status: 'warning' })
    expect(o?.message).toContain('still deleting')
    expect(ids('kv-slow', 'slow')).toEqual(before)
    expect(await currentValue('kv-slow', 'slow')).toBe('slow-original')
  })

  it('reports a name still being deleted when the bounded wait expires, and writes nothing', async () => {
    // This vault takes ten minutes to finish a deletion: the wait (300 ms) always runs out first.
    await f.secrets('kv-stuck').beginDeleteSecret('stuck')
    const r = await restore(f, t.repo, 'kv-stuck', { nameWaitMs: 300 })
    expect(r.outcomes?.find((x) => x.name === 'stuck')).toMatchObject({ action: 'create', status: 'error', code: 'BEING_DELETED' })
    expect(r.exitCode).toBe(ExitCode.Failure)
    expect(secretsOf(f.em.model('kv-stuck')).listActive()).toEqual([])
  })
})

describe('permissions in the target (RBAC)', () => {
  it('names the missing read permission per kind in the plan and the missing write permission per object', async () => {
    const r = await restore(f, t.repo, 'kv-dr', { from: f.url('kv-primary'), credential: f.em.credentialFor('restore-sp') })
    const keys = r.plan.permissions.find((p) => p.kind === 'key')
    expect(keys).toMatchObject({ readable: false, missing: { dataAction: 'Microsoft.KeyVault/vaults/keys/read' } })
    expect(r.outcomes?.find((o) => o.kind === 'key')).toMatchObject({ action: 'impossible', status: 'error' })
    const secret = r.outcomes?.find((o) => o.name === 'keep')
    expect(secret).toMatchObject({ action: 'create', status: 'error', code: 'VAULT_FORBIDDEN' })
    expect(secret?.message).toContain('Microsoft.KeyVault/vaults/secrets/restore/action')
    expect(secret?.message).toContain('Key Vault Secrets Officer')
    expect(r.exitCode).toBe(ExitCode.Failure)
  })
})
