/** forget, prune, copy and check on repositories in memory, with an injected clock. */
import { describe, expect, it } from 'vitest'
import { MemoryLocker } from '../../src/cli/location.js'
import { ManualClock } from '../../src/core/clock.js'
import { ExitCode } from '../../src/core/errors.js'
import { checkRepository } from '../../src/repo/check.js'
import { copyRepository } from '../../src/repo/copy.js'
import { diffSnapshots } from '../../src/repo/diff.js'
import { forgetSnapshots } from '../../src/repo/forget.js'
import { pruneRepository } from '../../src/repo/prune.js'
import { openRepository } from '../../src/repo/repository.js'
import { contentBlobName, type Entry, parseContentId } from '../../src/repo/types.js'
import { MemoryStore } from '../../src/store/memory.js'
import { backupLike, blobNames, entriesOf, memoryRepo, names, PASSPHRASE, reopen, valueOf, VAULT } from './support/fixtures.js'
import { RefuseYoungDeletes } from './support/worm.js'

const HOUR = 3600_000
const DAY = 24 * HOUR
const OTHER = { ...VAULT, url: 'https://other-kv.vault.azure.net' }

describe('forget', () => {
  it('applies the policy per vault, writes a forget record, and leaves contents for prune', async () => {
    const { repo, store, clock } = await memoryRepo()
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
    const { repo, clock } = await memoryRepo()
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
    const { repo } = await memoryRepo()
    await backupLike(repo, ['a'], { tags: ['daily'] })
    await expect(forgetSnapshots(repo, { policy: { last: 0 } })).rejects.toMatchObject({ exitCode: ExitCode.Usage })
    await expect(forgetSnapshots(repo, { policy: { tags: [['monthly']] } })).rejects.toMatchObject({ code: 'FORGET_ALL', exitCode: ExitCode.Refused })
    expect((await repo.listSnapshots()).snapshots).toHaveLength(1)
  })

  it('waits for nobody: a running backup (shared lock) makes forget fail with exit 11', async () => {
    const { repo } = await memoryRepo()
    await backupLike(repo, ['a'])
    await repo.withWriter('backup', async () => {
      await expect(forgetSnapshots(repo, { policy: { last: 1 } })).rejects.toMatchObject({ exitCode: ExitCode.RepoLocked })
    })
  })

  it('reports deletes refused by immutable storage per snapshot and keeps going', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'), { running: false })
    const store = new MemoryStore({ clock })
    const { repo } = await memoryRepo({ clock, store: new RefuseYoungDeletes(store, 2 * DAY, clock) as unknown as MemoryStore })
    const old = await backupLike(repo, ['a'], { generation: 1 })
    clock.advance(3 * DAY)
    const young = await backupLike(repo, ['a'], { generation: 2 })
    clock.advance(HOUR)
    await backupLike(repo, ['a'], { generation: 3 })
    const result = await forgetSnapshots(repo, { policy: { last: 1 } })
    expect(result.removed).toEqual([old.id])
    expect(result.refused).toEqual([{ id: young.id, message: expect.stringMatching(/immutable/) }])
  })
})

describe('prune', () => {
  it('deletes only unreferenced contents older than the safety margin', async () => {
    const { repo, store, clock } = await memoryRepo()
    const first = await backupLike(repo, names(3), { generation: 1 })
    clock.advance(2 * DAY)
    await backupLike(repo, names(3), { generation: 2 })
    await forgetSnapshots(repo, { ids: [first.id] })
    // An interrupted backup's upload: unreferenced and young.
    const orphan = await repo.withWriter('backup', (w) => w.saveContent('secret-value', new TextEncoder().encode('in flight')))
    clock.advance(HOUR)

    const dry = await pruneRepository(repo, { safetyMarginMs: DAY, dryRun: true })
    expect(dry.deleted.count).toBe(4) // three generation-1 values and the first snapshot's page
    expect(dry.keptTooRecent).toBe(1)
    expect(await blobNames(store, 'data/')).toHaveLength(9)

    const result = await pruneRepository(repo, { safetyMarginMs: DAY })
    expect(result).toMatchObject({ snapshots: 1, contents: { total: 9, referenced: 4, unreferenced: 5 }, deleted: { count: 4 }, keptTooRecent: 1 })
    expect(await store.stat(contentBlobName(parseContentId(orphan).hex))).toBeDefined()
    const check = await checkRepository(repo, { readData: 'all' })
    expect(check.problems).toEqual([])
    expect(check.stats.contentsUnreferenced).toBe(1)

    clock.advance(DAY)
    expect((await pruneRepository(repo, { safetyMarginMs: DAY })).deleted.count).toBe(1)
  })

  it('skips contents under a stated retention and reports deletes the store refuses', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'), { running: false })
    const inner = new MemoryStore({ clock })
    const { repo } = await memoryRepo({ clock, store: new RefuseYoungDeletes(inner, 10 * DAY, clock) as unknown as MemoryStore })
    await backupLike(repo, ['a'])
    // Two uploads of an interrupted backup: unreferenced, and immutable for 10 days.
    await repo.withWriter('backup', async (w) => {
      await w.saveContent('secret-value', new TextEncoder().encode('orphan 1'))
      await w.saveContent('secret-value', new TextEncoder().encode('orphan 2'))
    })
    clock.advance(2 * DAY)
    const told = await pruneRepository(repo, { safetyMarginMs: DAY, retentionMs: 10 * DAY })
    expect(told).toMatchObject({ keptRetention: 2, deleted: { count: 0 }, refused: [] })
    const untold = await pruneRepository(repo, { safetyMarginMs: DAY })
    expect(untold.deleted.count).toBe(0)
    expect(untold.refused).toHaveLength(2)
    expect(untold.refused[0]?.message).toMatch(/immutable/)
  })

  it('deletes nothing when a manifest cannot be read', async () => {
    const { repo, store, clock } = await memoryRepo()
    const a = await backupLike(repo, ['a'], { generation: 1 })
    await backupLike(repo, ['a'], { generation: 2 })
    await forgetSnapshots(repo, { ids: [a.id] })
    const [manifest] = await blobNames(store, 'snapshots/')
    store.tamper(manifest as string, new Uint8Array(100))
    clock.advance(7 * DAY)
    await expect(pruneRepository(repo)).rejects.toMatchObject({ exitCode: ExitCode.Integrity, message: expect.stringMatching(/deleted nothing/) })
    expect(await blobNames(store, 'data/')).toHaveLength(4)
  })
})

describe('copy', () => {
  it('initialises an empty target as a replica, copies sealed blobs as they are, and skips what is there', async () => {
    const { repo, store, clock } = await memoryRepo({ pageSize: 2 })
    await backupLike(repo, names(5), { generation: 1 })
    clock.advance(HOUR)
    await backupLike(repo, names(5), { generation: 2 })
    const target = new MemoryStore({ name: 'replica', clock })
    const locker = new MemoryLocker(clock)

    const first = await copyRepository(repo, { store: target, locker })
    expect(first.initialized).toBe(true)
    expect(first.snapshots.copied).toHaveLength(2)
    for (const name of await blobNames(store)) {
      expect(Buffer.from(await target.get(name)).equals(Buffer.from(await store.get(name))), name).toBe(true)
    }
    expect(first.contents.copied).toBe((await blobNames(store, 'data/')).length)

    clock.advance(HOUR)
    const third = await backupLike(repo, names(6), { generation: 2 })
    const second = await copyRepository(repo, { store: target, locker })
    expect(second).toMatchObject({ initialized: false, snapshots: { copied: [third.id] }, contents: { copied: 2 } }) // one value, one page
    expect(second.snapshots.skipped).toHaveLength(2)

    const replica = await reopen(target, locker)
    expect(replica.repositoryId).toBe(repo.repositoryId)
    expect((await checkRepository(replica, { readData: 'all' })).problems).toEqual([])
    const last = await replica.loadSnapshot(third.id)
    const entries = await entriesOf(replica, last)
    expect(new TextDecoder().decode(await replica.loadContent(entries[5]?.refs[0] as NonNullable<(typeof entries)[0]['refs'][0]>))).toBe(valueOf('secret-00005', 2))
  })

  it('refuses a different repository as the target', async () => {
    const a = await memoryRepo()
    const b = await memoryRepo()
    await expect(copyRepository(a.repo, { store: b.store, locker: b.locker })).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: expect.stringMatching(/different kvdr repository/),
    })
    const junk = new MemoryStore({ name: 'junk' })
    await junk.putIfAbsent('data/aa/whatever', new Uint8Array(1))
    await expect(copyRepository(a.repo, { store: junk, locker: new MemoryLocker() })).rejects.toThrow(/not empty/)
  })
})

describe('check', () => {
  it('reads a random subset with --read-data-subset and everything with --read-data', async () => {
    const { repo, store } = await memoryRepo()
    await backupLike(repo, names(20))
    const all = await checkRepository(repo, { readData: 'all' })
    expect(all.stats).toMatchObject({ snapshots: 1, entries: 20, contentsRead: 20, contentsReferenced: 21 })
    let seed = 1
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const some = await checkRepository(repo, { readData: { percent: 25 }, random })
    expect(some.stats.contentsRead).toBe(5)
    expect(some.ok).toBe(true)
    // Damage every value: a 25% subset must find exactly the damaged contents it read.
    const snap = (await repo.listSnapshots()).snapshots[0]
    for (const e of await entriesOf(repo, snap as NonNullable<typeof snap>)) {
      const blob = contentBlobName(parseContentId(e.refs[0] as string).hex)
      store.tamper(blob, new Uint8Array(64))
    }
    const damaged = await checkRepository(repo, { readData: { percent: 25 }, random })
    expect(damaged.problems).toHaveLength(5)
    expect(damaged.ok).toBe(false)
  })
})

describe('diff', () => {
  it('lists added, removed and changed objects between two snapshots', async () => {
    const { repo, clock } = await memoryRepo({ pageSize: 3 })
    const a = await backupLike(repo, ['keep', 'change', 'drop'], { generation: 1 })
    clock.advance(HOUR)
    const b = await repo.withWriter('backup', async (w) => {
      const v = async (s: string) => w.saveContent('secret-value', new TextEncoder().encode(s))
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

describe('opening a repository with a locker of its own', () => {
  it('works through openRepository with explicit options', async () => {
    const { store } = await memoryRepo()
    const repo = await openRepository(store, { passphrase: PASSPHRASE }, { locker: new MemoryLocker(), lockWaitMs: 10 })
    await expect(repo.withLock('exclusive', 'x', async () => 'done')).resolves.toBe('done')
  })
})
