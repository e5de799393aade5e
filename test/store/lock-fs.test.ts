import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import { RepoLockedError } from '../../src/store/errors.js'
import { FsLocker } from '../../src/store/fs-lock.js'
import { MemoryLocker } from '../../src/store/memory-lock.js'
import { lockerContract } from './lock-contract.js'
import { spawnFixture, tempDir } from './support.js'

lockerContract('memory', async () => {
  const locker = new MemoryLocker('memory://locks')
  return { a: locker, b: locker }
})

lockerContract('fs (two lockers on one directory)', async () => {
  const tmp = await tempDir('lock-contract')
  return {
    a: new FsLocker(tmp.dir, `file://${tmp.dir}`, { heartbeatMs: 50 }),
    b: new FsLocker(tmp.dir, `file://${tmp.dir}`, { heartbeatMs: 50 }),
    cleanup: tmp.remove,
  }
})

describe('fs locker across processes', () => {
  let dir: string
  let remove: () => Promise<void>
  beforeAll(async () => {
    ;({ dir, remove } = await tempDir('lock-procs'))
  })
  afterAll(async () => remove())

  it('a lock held by another process excludes this one and another, names it, and waiting works', async () => {
    const holder = spawnFixture('lock-holder.ts', ['fs', dir, 'exclusive', 'backup --vault prod'])
    try {
      await holder.next('acquired')
      const locker = new FsLocker(dir, `file://${dir}`)
      let err: unknown
      await locker.acquire('shared', 'verify').catch((e: unknown) => (err = e))
      expect(err).toBeInstanceOf(RepoLockedError)
      expect((err as RepoLockedError).holders[0]).toMatchObject({ pid: holder.pid, command: 'backup --vault prod', mode: 'exclusive', stale: false })
      expect((err as RepoLockedError).message).toContain(`pid ${holder.pid}`)

      const rival = spawnFixture('lock-holder.ts', ['fs', dir, 'exclusive', 'prune'])
      expect(await rival.next('failed')).toMatchObject({ code: 'REPO_LOCKED' })
      expect(await rival.exited).toBe(1)

      const waiting = locker.acquire('shared', 'verify', { waitMs: 30_000 })
      holder.send('release')
      await holder.next('released')
      const got = await waiting
      await got.release()
    } finally {
      holder.kill('SIGKILL')
      await holder.exited
    }
    expect(await new FsLocker(dir, 'x').list()).toEqual([])
  })

  it('two processes taking shared locks at once both get them', async () => {
    const a = spawnFixture('lock-holder.ts', ['fs', dir, 'shared', 'verify'])
    const b = spawnFixture('lock-holder.ts', ['fs', dir, 'shared', 'restore'])
    try {
      await Promise.all([a.next('acquired'), b.next('acquired')])
      const listed = await new FsLocker(dir, 'x').list()
      expect(listed.map((l) => l.pid).sort()).toEqual([a.pid, b.pid].sort())
      a.send('release')
      b.send('release')
      await Promise.all([a.next('released'), b.next('released')])
    } finally {
      a.kill('SIGKILL')
      b.kill('SIGKILL')
      await Promise.all([a.exited, b.exited])
    }
  })

  it('a lock of a killed process is stale ("not running"), unlock() removes it, and acquire removes it by itself', async () => {
    const locker = new FsLocker(dir, `file://${dir}`)
    for (const how of ['unlock', 'acquire'] as const) {
      const holder = spawnFixture('lock-holder.ts', ['fs', dir, 'exclusive', 'backup'])
      await holder.next('acquired')
      holder.kill('SIGKILL')
      expect(await holder.exited).toBe('SIGKILL')
      const [listed] = await locker.list()
      expect(listed).toMatchObject({ pid: holder.pid, stale: true })
      expect(listed?.staleReason).toMatch(/not running/)
      if (how === 'unlock') {
        expect(await locker.unlock()).toBe(1)
        expect(await locker.list()).toEqual([])
      } else {
        const held = await locker.acquire('exclusive', 'prune')
        expect((await locker.list()).map((l) => l.id)).toEqual([held.info.id])
        await held.release()
      }
    }
  })
})

describe('fs locker on one host', () => {
  it('a lock without heartbeat is stale but still blocks (with a hint to unlock); unlock() removes it and its holder learns', async () => {
    const { dir, remove } = await tempDir('lock-stale')
    try {
      const live = new FsLocker(dir, `file://${dir}`, { heartbeatMs: 50 })
      const held = await live.acquire('shared', 'verify')
      const later = new ManualClock(Date.now() + 10 * 60_000)
      const observer = new FsLocker(dir, `file://${dir}`, { clock: later, staleAfterMs: 5 * 60_000 })
      const [listed] = await observer.list()
      expect(listed).toMatchObject({ id: held.info.id, stale: true })
      expect(listed?.staleReason).toMatch(/no heartbeat for \d+ s/)
      let err: unknown
      await observer.acquire('exclusive', 'prune').catch((e: unknown) => (err = e))
      expect(err).toBeInstanceOf(RepoLockedError)
      expect((err as RepoLockedError).hint).toMatch(/no longer running.*kvdr repo unlock/)
      expect(await observer.unlock()).toBe(1)
      await vi.waitFor(() => expect(held.signal?.aborted).toBe(true), { timeout: 5000, interval: 20 })
      await held.release()
    } finally {
      await remove()
    }
  })

  it('the heartbeat keeps a held lock fresh (mtime moves)', async () => {
    const { dir, remove } = await tempDir('lock-beat')
    try {
      const clock = new ManualClock()
      const locker = new FsLocker(dir, `file://${dir}`, { heartbeatMs: 20, clock })
      const held = await locker.acquire('exclusive', 'backup')
      const file = join(dir, 'locks', 'exclusive')
      const first = (await stat(file)).mtimeMs
      clock.advance(60_000)
      await vi.waitFor(async () => expect((await stat(file)).mtimeMs).toBeGreaterThan(first + 30_000), { timeout: 5000, interval: 20 })
      await held.release()
    } finally {
      await remove()
    }
  })

  it.skipIf(process.platform === 'win32')('lock files are private (0600 in a 0700 directory) and hold only holder info', async () => {
    const { dir, remove } = await tempDir('lock-mode')
    try {
      const locker = new FsLocker(dir, `file://${dir}`)
      const held = await locker.acquire('shared', 'verify')
      const locks = join(dir, 'locks')
      expect((await stat(locks)).mode & 0o777).toBe(0o700)
      const files = await readdir(locks)
      expect(files).toEqual([`shared-${held.info.id}`])
      expect((await stat(join(locks, files[0]!))).mode & 0o777).toBe(0o600)
      await held.release()
      expect(await readdir(locks)).toEqual([])
    } finally {
      await remove()
    }
  })
})
