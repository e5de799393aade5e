/**
 * forget, prune, copy, check and diff on every backend (memory, a local directory, Azure Blob on Azurite),
 * with the backend's clock; immutable storage through the WORM wrapper.
 */
import { describe, expect, it } from 'vitest'
import type { Clock } from '../../src/core/clock.js'
import { ExitCode } from '../../src/core/errors.js'
import { checkRepository } from '../../src/repo/check.js'
import { copyRepository } from '../../src/repo/copy.js'
import { diffSnapshots } from '../../src/repo/diff.js'
import { forgetSnapshots } from '../../src/repo/forget.js'
import { pruneRepository } from '../../src/repo/prune.js'
import { openRepository } from '../../src/repo/repository.js'
import { contentBlobName, type Entry, parseContentId } from '../../src/repo/types.js'
import { MemoryLocker } from '../../src/store/memory-lock.js'
import { RepoLockedError } from '../../src/store/errors.js'
import { LoggingStore, type StoreLogEvent } from '../../src/store/logging.js'
import type { ObjectStore } from '../../src/store/types.js'
import { WormStore } from '../../src/store/worm.js'
import { BACKENDS, openBackend } from './support/backends.js'
import { backendRepo, backupLike, blobNames, entriesOf, memoryRepo, names, PASSPHRASE, reopen, valueOf, VAULT } from './support/fixtures.js'

const HOUR = 3600_000
const DAY = 24 * HOUR
const OTHER = { ...VAULT, url: 'https://other-kv.vault.azure.net' }
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
/** Repository options that put the WORM wrapper (deletes refused for `retentionMs` after creation) over the backend. */
const worm = (retentionMs: number) => ({ wrap: (store: ObjectStore, clock: Clock) => new WormStore(store, { retentionMs, clock }) })

describe.each(BACKENDS)('forget on %s', (backend) => {
  /** Tests that write blobs after ageing need a backend whose creation times follow the clock (not Azure). */
  const itAges = it.skipIf(backend === 'azurite')

  it('applies the policy per vault, writes a forget record, and leaves contents for prune', async () => {
    const { repo, store, clock } = await backendRepo(backend)
    const ids: string[] = []
    for (let day = 0; day < 5; day++) {
      ids.push((await backupLike(repo, ['a'], { generation: day })).id)
      await backupLike(repo, ['b'], { generation: day, vault: OTHER })
      clock.advance(DAY)
    }
    const dataBefore = await blobNames(store, 'data/')
    const result = await forgetSnapshots(repo, { policy: { daily: 2 } })
    expect(result.groups.map((g) => [g.vault, g.keep.length, g.remove.length])).toEqual([
      [OTHER.url, 2, 3],
      [VAULT.url, 2, 3],
    ])
    expect(result.groups[1]?.keep.map((k) => k.id)).toEqual([ids[4], ids[3]])
    expect(result.removed.sort()).toEqual(result.groups.flatMap((g) => g.remove.map((r) => r.id)).sort())
    expect((await repo.listSnapshots()).snapshots).toHaveLength(4)
    expect(await blobNames(store, 'forgotten/')).toHaveLength(1)
    expect(await blobNames(store, 'data/')).toEqual(dataBefore)
  })

  it('dry run changes nothing; --vault limits the scope; ids are forgotten explicitly', async () => {
    const { repo, clock } = await backendRepo(backend)
    const a1 = await backupLike(repo, ['a'], { generation: 1 })
    clock.advance(DAY)
    await backupLike(repo, ['a'], { generation: 2 })
    await backupLike(repo, ['b'], { vault: OTHER })
    const dry = await forgetSnapshots(repo, { policy: { last: 1 }, dryRun: true })
    expect(dry.groups.find((g) => g.vault === VAULT.url)?.remove.map((r) => r.id)).toEqual([a1.id])
    expect(dry.removed).toEqual([])
    expect((await repo.listSnapshots()).snapshots).toHaveLength(3)
    const scoped = await forgetSnapshots(repo, { policy: { last: 1 }, vault: OTHER.url })
    expect(scoped.removed).toEqual([])
    const explicit = await forgetSnapshots(repo, { ids: [a1.id.slice(0, 8)] })
    expect(explicit.removed).toEqual([a1.id])
  })

  it('refuses an empty policy, and a policy that would remove every snapshot of a vault', async () => {
    const { repo } = await backendRepo(backend)
    await backupLike(repo, ['a'], { tags: ['daily'] })
    await expect(forgetSnapshots(repo, { policy: { last: 0 } })).rejects.toMatchObject({ exitCode: ExitCode.Usage })
    await expect(forgetSnapshots(repo, { policy: { tags: [['monthly']] } })).rejects.toMatchObject({ code: 'FORGET_ALL', exitCode: ExitCode.Refused })
    expect((await repo.listSnapshots()).snapshots).toHaveLength(1)
  })

  it('waits for nobody: a running backup (shared lock) makes forget and prune fail with the store\'s RepoLockedError (exit 11)', async () => {
    const { repo } = await backendRepo(backend)
    await backupLike(repo, ['a'])
    await repo.withWriter('backup', async () => {
      const err = await forgetSnapshots(repo, { policy: { last: 1 } }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RepoLockedError)
      expect(err).toMatchObject({ exitCode: ExitCode.RepoLocked, holders: [{ mode: 'shared', command: 'backup', pid: process.pid }] })
      await expect(pruneRepository(repo)).rejects.toBeInstanceOf(RepoLockedError)
    })
    expect((await forgetSnapshots(repo, { policy: { last: 1 } })).removed).toEqual([])
  })

  itAges('reports deletes refused by immutable storage per snapshot and keeps going', async () => {
    const t = await backendRepo(backend, worm(2 * DAY))
    const old = await backupLike(t.repo, ['a'], { generation: 1 })
    await t.age(3 * DAY)
    const young = await backupLike(t.repo, ['a'], { generation: 2 })
    await t.age(HOUR)
    await backupLike(t.repo, ['a'], { generation: 3 })
    const result = await forgetSnapshots(t.repo, { policy: { last: 1 } })
    expect(result.removed).toEqual([old.id])
    expect(result.refused).toEqual([{ id: young.id, message: expect.stringMatching(/immutable/) }])
  })
})

describe.each(BACKENDS)('prune on %s', (backend) => {
  const itAges = it.skipIf(backend === 'azurite')

  itAges('deletes only unreferenced contents older than the safety margin', async () => {
    const t = await backendRepo(backend)
    const { repo, store } = t
    const first = await backupLike(repo, names(3), { generation: 1 })
    await t.age(2 * DAY)
    await backupLike(repo, names(3), { generation: 2 })
    await forgetSnapshots(repo, { ids: [first.id] })
    // An interrupted backup's upload: unreferenced and young.
    const orphan = await repo.withWriter('backup', (w) => w.saveContent('secret-value', text('in flight')))
    await t.age(HOUR)

    const dry = await pruneRepository(repo, { safetyMarginMs: DAY, dryRun: true })
    expect(dry.deleted.count).toBe(4) // three generation-1 values and the first snapshot's page
    expect(dry.keptTooRecent).toBe(1)
    expect(await blobNames(store, 'data/')).toHaveLength(9)

    const result = await pruneRepository(repo, { safetyMarginMs: DAY })
    expect(result).toMatchObject({ snapshots: 1, contents: { total: 9, referenced: 4, unreferenced: 5 }, deleted: { count: 4 }, keptTooRecent: 1 })
    expect(await store.stat(contentBlobName(parseContentId(orphan).hex))).toBeDefined()
    expect(await blobNames(store, 'data/')).toHaveLength(5)
    const check = await checkRepository(repo, { readData: 'all' })
    expect(check.problems).toEqual([])
    expect(check.stats.contentsUnreferenced).toBe(1)

    await t.age(DAY)
    expect((await pruneRepository(repo, { safetyMarginMs: DAY })).deleted.count).toBe(1)
    expect(await store.stat(contentBlobName(parseContentId(orphan).hex))).toBeUndefined()
  })

  it('skips contents under a stated retention and reports deletes the store refuses', async () => {
    const t = await backendRepo(backend, worm(10 * DAY))
    await backupLike(t.repo, ['a'])
    // Two uploads of an interrupted backup: unreferenced, and immutable for 10 days.
    await t.repo.withWriter('backup', async (w) => {
      await w.saveContent('secret-value', text('orphan 1'))
      await w.saveContent('secret-value', text('orphan 2'))
    })
    await t.age(2 * DAY)
    const told = await pruneRepository(t.repo, { safetyMarginMs: DAY, retentionMs: 10 * DAY })
    expect(told).toMatchObject({ keptRetention: 2, deleted: { count: 0 }, refused: [] })
    const untold = await pruneRepository(t.repo, { safetyMarginMs: DAY })
    expect(untold.deleted.count).toBe(0)
    expect(untold.refused).toHaveLength(2)
    expect(untold.refused[0]?.message).toMatch(/immutable/)
    expect(await blobNames(t.store, 'data/')).toHaveLength(4)
  })

  it('deletes nothing when a manifest cannot be read', async () => {
    const t = await backendRepo(backend)
    const a = await backupLike(t.repo, ['a'], { generation: 1 })
    await backupLike(t.repo, ['a'], { generation: 2 })
    await forgetSnapshots(t.repo, { ids: [a.id] })
    const [manifest] = await blobNames(t.store, 'snapshots/')
    await t.tamper(manifest as string, new Uint8Array(100))
    await t.age(7 * DAY)
    await expect(pruneRepository(t.repo)).rejects.toMatchObject({ exitCode: ExitCode.Integrity, message: expect.stringMatching(/deleted nothing/) })
    expect(await blobNames(t.store, 'data/')).toHaveLength(4)
  })
})

describe.each(BACKENDS.filter((b) => b !== 'azurite'))('immutable (WORM) storage on %s', (backend) => {
  it('a backup, forget and prune cycle skips and reports what is still immutable, and the repository stays whole', async () => {
    const t = await backendRepo(backend, worm(7 * DAY))
    const gen1 = await backupLike(t.repo, names(4), { generation: 1 })
    await t.age(8 * DAY)
    const gen2 = await backupLike(t.repo, names(4), { generation: 2 })
    // An interrupted backup's upload, immutable for another 5 days once the next one has run.
    await t.repo.withWriter('backup', (w) => w.saveContent('secret-value', text('interrupted')))
    await t.age(2 * DAY)
    const gen3 = await backupLike(t.repo, names(4), { generation: 3 })

    const forgot = await forgetSnapshots(t.repo, { policy: { last: 1 } })
    expect(forgot.removed).toEqual([gen1.id])
    expect(forgot.refused).toEqual([{ id: gen2.id, message: expect.stringMatching(/immutable until/) }])

    // Told the retention, prune does not even try the young orphan; not told, it tries and reports the refusal.
    const told = await pruneRepository(t.repo, { safetyMarginMs: DAY, retentionMs: 7 * DAY })
    expect(told).toMatchObject({ deleted: { count: 5 }, keptRetention: 1, refused: [] }) // gen1's four values and its page
    const untold = await pruneRepository(t.repo, { safetyMarginMs: DAY })
    expect(untold).toMatchObject({ deleted: { count: 0 }, refused: [{ blob: expect.stringMatching(/^data\//), message: expect.stringMatching(/immutable until/) }] })

    // Nothing was lost: every remaining snapshot reads back, check is clean, and backups go on.
    const check = await checkRepository(t.repo, { readData: 'all' })
    expect(check.problems).toEqual([])
    expect((await t.repo.listSnapshots()).snapshots.map((s) => s.id)).toEqual([gen2.id, gen3.id])
    const entries = await entriesOf(t.repo, gen2)
    expect(new TextDecoder().decode(await t.repo.loadContent(entries[0]?.refs[0] as Entry['refs'][number]))).toBe(valueOf('secret-00000', 2))
    await backupLike(t.repo, names(4), { generation: 4 })

    // Once the retention has passed, the same commands finish the job.
    await t.age(8 * DAY)
    expect((await forgetSnapshots(t.repo, { ids: [gen2.id] })).removed).toEqual([gen2.id])
    const later = await pruneRepository(t.repo, { safetyMarginMs: DAY })
    expect(later.refused).toEqual([])
    expect(later.deleted.count).toBe(6) // the orphan, gen2's four values and its page
    expect((await checkRepository(t.repo, { readData: 'all' })).problems).toEqual([])
  })
})

describe.each(BACKENDS)('copy on %s', (backend) => {
  it('initialises an empty target as a replica, copies sealed blobs as they are, and skips what is there', async () => {
    const { repo, store, clock } = await backendRepo(backend, { pageSize: 2 })
    await backupLike(repo, names(5), { generation: 1 })
    clock.advance(HOUR)
    await backupLike(repo, names(5), { generation: 2 })
    const target = await openBackend(backend)

    const first = await copyRepository(repo, target)
    expect(first.initialized).toBe(true)
    expect(first.snapshots.copied).toHaveLength(2)
    for (const name of await blobNames(store)) {
      expect(Buffer.from(await target.store.get(name)).equals(Buffer.from(await store.get(name))), name).toBe(true)
    }
    expect(first.contents.copied).toBe((await blobNames(store, 'data/')).length)

    clock.advance(HOUR)
    const third = await backupLike(repo, names(6), { generation: 2 })
    const second = await copyRepository(repo, target)
    expect(second).toMatchObject({ initialized: false, snapshots: { copied: [third.id] }, contents: { copied: 2 } }) // one value, one page
    expect(second.snapshots.skipped).toHaveLength(2)

    const replica = await reopen(target.store, target.locker)
    expect(replica.repositoryId).toBe(repo.repositoryId)
    expect((await checkRepository(replica, { readData: 'all' })).problems).toEqual([])
    const entries = await entriesOf(replica, await replica.loadSnapshot(third.id))
    expect(new TextDecoder().decode(await replica.loadContent(entries[5]?.refs[0] as Entry['refs'][number]))).toBe(valueOf('secret-00005', 2))
  })

  it('refuses a different repository as the target, and a location holding other data', async () => {
    const a = await backendRepo(backend)
    const b = await backendRepo(backend)
    await expect(copyRepository(a.repo, { store: b.store, locker: b.locker })).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: expect.stringMatching(/different kvdr repository/),
    })
    const junk = await openBackend(backend)
    await junk.store.putIfAbsent('data/aa/whatever', new Uint8Array(1))
    await expect(copyRepository(a.repo, junk)).rejects.toThrow(/not empty/)
  })
})

describe.each(BACKENDS)('check and diff on %s', (backend) => {
  it('reads a random subset with --read-data-subset and everything with --read-data', async () => {
    const t = await backendRepo(backend)
    await backupLike(t.repo, names(20))
    const all = await checkRepository(t.repo, { readData: 'all' })
    expect(all.stats).toMatchObject({ snapshots: 1, entries: 20, contentsRead: 20, contentsReferenced: 21 })
    let seed = 1
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const some = await checkRepository(t.repo, { readData: { percent: 25 }, random })
    expect(some.stats.contentsRead).toBe(5)
    expect(some.ok).toBe(true)
    // Damage every value: a 25% subset must find exactly the damaged contents it read.
    const snap = (await t.repo.listSnapshots()).snapshots[0]
    for (const e of await entriesOf(t.repo, snap as NonNullable<typeof snap>)) {
      await t.tamper(contentBlobName(parseContentId(e.refs[0] as string).hex), new Uint8Array(64))
    }
    const damaged = await checkRepository(t.repo, { readData: { percent: 25 }, random })
    expect(damaged.problems).toHaveLength(5)
    expect(damaged.ok).toBe(false)
  })

  it('diff lists added, removed and changed objects between two snapshots', async () => {
    const { repo, clock } = await backendRepo(backend, { pageSize: 3 })
    const a = await backupLike(repo, ['keep', 'change', 'drop'], { generation: 1 })
    clock.advance(HOUR)
    const b = await repo.withWriter('backup', async (w) => {
      const v = async (s: string) => w.saveContent('secret-value', text(s))
      const entries: Entry[] = [
        { kind: 'secret', name: 'keep', refs: [await v(valueOf('keep', 1))], data: { enabled: true, tags: { team: 'core' }, generation: 1 } },
        { kind: 'secret', name: 'change', refs: [await v('new value')], data: { enabled: true, tags: { team: 'core' }, generation: 1 } },
        { kind: 'secret', name: 'new', refs: [], data: {} },
      ]
      return w.writeSnapshot({ vault: VAULT }, entries, { done: 3, warnings: 0, errors: 0, problems: [] })
    })
    expect(await diffSnapshots(repo, a, b)).toEqual({
      from: a.id,
      to: b.id,
      added: [{ kind: 'secret', name: 'new' }],
      removed: [{ kind: 'secret', name: 'drop' }],
      changed: [{ kind: 'secret', name: 'change', contents: true, metadata: false }],
      unchanged: 1,
    })
  })
})

describe.each(BACKENDS)('writers on %s', (backend) => {
  it('list the stored contents once and upload only what is not stored yet', async () => {
    const events: StoreLogEvent[] = []
    const t = await backendRepo(backend, { wrap: (store) => new LoggingStore(store, (e) => events.push(e)) })
    await backupLike(t.repo, names(10), { generation: 1 })
    events.length = 0
    const stats = await t.repo.withWriter('backup', async (w) => {
      for (const n of names(12)) await w.saveContent('secret-value', text(valueOf(n, 1)))
      await w.saveContent('secret-value', text(valueOf('secret-00011', 1))) // saved a moment ago
      return w.stats
    })
    expect(stats).toMatchObject({ contentsCreated: 2, contentsReused: 11 })
    expect(events.filter((e) => e.op === 'list').map((e) => [e.name, e.size])).toEqual([['data/', 11]]) // ten values and a page
    expect(events.filter((e) => e.op === 'putIfAbsent').map((e) => e.outcome)).toEqual(['created', 'created'])
    expect((await checkRepository(t.repo, { readData: 'all' })).problems).toEqual([])
  })
})

describe('locks', () => {
  it('waits for a conflicting lock up to lockWaitMs, then fails naming the holder', async () => {
    const { store } = await memoryRepo()
    const locker = new MemoryLocker(store.location)
    const repo = await openRepository(store, { passphrase: PASSPHRASE }, { locker, lockWaitMs: 10 })
    await expect(repo.withLock('exclusive', 'x', async () => 'done')).resolves.toBe('done')
    const held = await locker.acquire('shared', 'backup elsewhere')
    await expect(repo.withLock('exclusive', 'prune', async () => 'never')).rejects.toMatchObject({ exitCode: ExitCode.RepoLocked, message: expect.stringMatching(/backup elsewhere/) })
    await held.release()
  })
})
