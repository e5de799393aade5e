/**
 * Choosing what to restore, against the emulator: --as-of picks the vault's snapshot current at that time, a single
 * version is made current again, --rollback makes the value current at a time the newest version (never printing
 * it), --rename and --prefix restore under other names (by value, since native blobs keep their names), and name
 * globs, tags and kinds narrow the selection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { secretsOf } from '../../src/emulator/index.js'
import { initRepository, type Repository } from '../../src/repo/repository.js'
import { MemoryLocker } from '../../src/store/memory-lock.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { RestoreRun } from '../../src/restore/restore.js'
import { FAST_KDF, PASSPHRASE } from '../repo/support/data.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup } from '../backup/support.js'
import { restore } from './support.js'

let f: VaultFixture
let repo: Repository
const times: number[] = []
const versions: string[] = []
const VALUES = ['db-value-one', 'db-value-two', 'db-value-three', 'cache-value']

const current = async (vault: string, name: string): Promise<string | undefined> => (await f.secrets(vault).getSecret(name)).value
const count = (vault: string, name: string): number => secretsOf(f.em.model(vault)).listVersions(name).length
const noValues = (r: RestoreRun): void => {
  for (const v of VALUES) expect(JSON.stringify(r)).not.toContain(v)
}

beforeAll(async () => {
  f = await startVaultFixture()
  // Snapshots are timed by the emulator's clock, like the versions, so --as-of can be stepped exactly.
  const store = new MemoryStore({ name: 'restore-selection' })
  ;({ repo } = await initRepository(store, { locker: new MemoryLocker('memory://restore-selection'), clock: f.em.clock, toolVersion: 'test', kdf: FAST_KDF, slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }] }))
  const c = f.secrets()
  await c.setSecret('cache', VALUES[3] as string, { tags: { tier: 'cache' } })
  await f.keys().createEcKey('signing', { curve: 'P-256' })
  for (const [i, value] of VALUES.slice(0, 3).entries()) {
    versions.push((await c.setSecret('db', value, { tags: { tier: 'data' } })).properties.version as string)
    f.em.clock.advance(60_000)
    expect((await backup(f, repo)).exitCode).toBe(ExitCode.Success)
    times.push(f.em.clock.now())
    f.em.clock.advance(60_000)
    void i
  }
})
afterAll(() => f.stop())

describe('choosing snapshots and versions', () => {
  it('--as-of restores the state current at that time (the vault\'s newest snapshot before it)', async () => {
    const asOf = new Date((times[0] as number) + 30_000)
    const r = await restore(f, repo, 'kv-us', { asOf, selection: { objects: [{ kind: 'secret', name: 'db' }] } })
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.plan.asOf).toBe(asOf.toISOString())
    expect(Date.parse(r.plan.snapshot.time)).toBeLessThanOrEqual(asOf.getTime())
    expect(count('kv-us', 'db')).toBe(1)
    expect(await current('kv-us', 'db')).toBe(VALUES[0])
    noValues(r)
  })

  it('--rollback makes the value current at a time the newest version again, and only once', async () => {
    const asOf = new Date((times[1] as number) + 30_000)
    const r = await restore(f, repo, 'kv-primary', { rollback: { kind: 'secret', name: 'db' }, asOf })
    expect(r.outcomes).toEqual([expect.objectContaining({ name: 'db', action: 'add-versions', method: 'value', status: 'done', written: 1 })])
    expect(await current('kv-primary', 'db')).toBe(VALUES[1])
    expect(count('kv-primary', 'db')).toBe(4)
    noValues(r)
    const again = await restore(f, repo, 'kv-primary', { rollback: { kind: 'secret', name: 'db' }, asOf })
    expect(again.outcomes?.[0]).toMatchObject({ action: 'skip' })
    expect(count('kv-primary', 'db')).toBe(4)
  })

  it('a single version (secret/name/<version>) becomes the current version', async () => {
    const r = await restore(f, repo, 'kv-primary', { selection: { objects: [{ kind: 'secret', name: 'db', version: versions[0] as string }] } })
    expect(r.outcomes?.[0]).toMatchObject({ source: `secret/db/${versions[0]}`, action: 'add-versions', status: 'done' })
    expect(await current('kv-primary', 'db')).toBe(VALUES[0])
  })

  it('refuses a version the snapshot does not hold', async () => {
    await expect(restore(f, repo, 'kv-primary', { selection: { objects: [{ kind: 'secret', name: 'db', version: 'f'.repeat(32) }] } })).rejects.toMatchObject({ exitCode: ExitCode.Usage })
  })
})

describe('names', () => {
  it('--rename restores under a new name by value (every version), leaving the original alone', async () => {
    const before = count('kv-primary', 'db')
    const r = await restore(f, repo, 'kv-primary', { selection: { objects: [{ kind: 'secret', name: 'db' }] }, mapping: { rename: new Map([['db', 'db-restored']]) } })
    expect(r.outcomes?.[0]).toMatchObject({ name: 'db-restored', action: 'create', method: 'value', versions: 3, status: 'done' })
    expect(r.outcomes?.[0]?.reason).toContain('renamed')
    expect(count('kv-primary', 'db-restored')).toBe(3)
    expect(await current('kv-primary', 'db-restored')).toBe(VALUES[2])
    expect(count('kv-primary', 'db')).toBe(before)
  })

  it('--prefix maps every name; keys cannot be renamed (native only) and say so', async () => {
    const r = await restore(f, repo, 'kv-dr', { mapping: { prefix: 'dr-' } })
    expect(r.plan.objects.map((o) => `${o.kind}/${o.name}:${o.action}`).sort()).toEqual(['key/dr-signing:impossible', 'secret/dr-cache:create', 'secret/dr-db:create'])
    expect(r.plan.objects.find((o) => o.kind === 'key')?.reason).toContain('renamed')
    expect(await current('kv-dr', 'dr-cache')).toBe(VALUES[3])
    expect(r.exitCode).toBe(ExitCode.Partial)
  })

  it('name globs, tags and kinds narrow the selection', async () => {
    const byGlob = await restore(f, repo, 'kv-dr', { dryRun: true, selection: { names: ['c*'] } })
    expect(byGlob.plan.objects.map((o) => o.name)).toEqual(['cache'])
    const byTag = await restore(f, repo, 'kv-dr', { dryRun: true, selection: { tags: ['tier=data'] } })
    expect(byTag.plan.objects.map((o) => o.name)).toEqual(['db'])
    const byKind = await restore(f, repo, 'kv-dr', { dryRun: true, selection: { kinds: ['key'] } })
    expect(byKind.plan.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['key/signing'])
  })
})
