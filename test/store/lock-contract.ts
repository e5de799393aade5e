/** The Locker contract: one suite, run against the memory, fs and Azure lockers (see *lock*.test.ts here). */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { RepoLockedError } from '../../src/store/errors.js'
import type { HeldLock, Locker } from '../../src/store/types.js'

export interface LockerUnderTest {
  /** Two lockers on one location, as two processes would open them (may be the same object for memory). */
  a: Locker
  b: Locker
  cleanup?: () => Promise<void>
}

async function lockedError(p: Promise<unknown>): Promise<RepoLockedError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(RepoLockedError)
    return err as RepoLockedError
  }
  throw new Error('expected RepoLockedError')
}

/** Settle all, return the held locks (failures must be RepoLockedError). */
async function heldOf(attempts: Array<Promise<HeldLock>>): Promise<HeldLock[]> {
  const results = await Promise.allSettled(attempts)
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(RepoLockedError)
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
}

/** Defines a describe block that checks a pair of lockers against the Locker contract. */
export function lockerContract(label: string, factory: () => Promise<LockerUnderTest>): void {
  describe(`Locker contract: ${label}`, () => {
    let sut: LockerUnderTest
    beforeAll(async () => {
      sut = await factory()
    })
    afterAll(async () => {
      await sut?.a.unlock({ all: true })
      await sut?.cleanup?.()
    })

    it('any number of shared holders at once; list names them; release removes them', async () => {
      const one = await sut.a.acquire('shared', 'verify')
      const two = await sut.b.acquire('shared', 'restore')
      const listed = await sut.a.list()
      expect(listed.map((l) => l.command).sort()).toEqual(['restore', 'verify'])
      for (const l of listed) {
        expect(l.mode).toBe('shared')
        expect(l.pid).toBe(process.pid)
        expect(l.stale).toBe(false)
        expect(l.host.length).toBeGreaterThan(0)
      }
      expect(listed.map((l) => l.id).sort()).toEqual([one.info.id, two.info.id].sort())
      await one.release()
      await two.release()
      expect(await sut.b.list()).toEqual([])
    })

    it('an exclusive lock excludes shared and exclusive takers, with an error that names the holder', async () => {
      const held = await sut.a.acquire('exclusive', 'backup --vault prod')
      for (const mode of ['shared', 'exclusive'] as const) {
        const err = await lockedError(sut.b.acquire(mode, 'prune'))
        expect(err.exitCode).toBe(ExitCode.RepoLocked)
        expect(err.code).toBe('REPO_LOCKED')
        expect(err.message).toContain('backup --vault prod')
        expect(err.message).toContain(`pid ${process.pid}`)
        expect(err.hint).toContain('kvdr repo unlock')
        expect(err.holders.map((h) => h.id)).toEqual([held.info.id])
      }
      // Failed attempts leave nothing behind.
      expect((await sut.a.list()).map((l) => l.id)).toEqual([held.info.id])
      await held.release()
      const next = await sut.b.acquire('exclusive', 'prune')
      await next.release()
    })

    it('a shared holder blocks an exclusive taker but not other shared ones', async () => {
      const reader = await sut.a.acquire('shared', 'verify')
      const err = await lockedError(sut.b.acquire('exclusive', 'prune'))
      expect(err.holders.map((h) => h.mode)).toEqual(['shared'])
      const other = await sut.b.acquire('shared', 'restore')
      await other.release()
      await reader.release()
      expect(await sut.a.list()).toEqual([])
    })

    it('release is idempotent', async () => {
      const held = await sut.a.acquire('exclusive', 'backup')
      await held.release()
      await held.release()
      const again = await sut.b.acquire('exclusive', 'backup')
      await again.release()
      await again.release()
      expect(await sut.a.list()).toEqual([])
    })

    it('waitMs waits for a conflicting holder to go, and gives up with RepoLockedError when it does not', async () => {
      const held = await sut.a.acquire('exclusive', 'backup')
      await lockedError(sut.b.acquire('shared', 'verify', { waitMs: 300 }))
      const waiting = sut.b.acquire('shared', 'verify', { waitMs: 20_000 })
      setTimeout(() => void held.release(), 200)
      const got = await waiting
      expect(got.info.mode).toBe('shared')
      await got.release()
    })

    it('an aborted signal stops waiting', async () => {
      const held = await sut.a.acquire('exclusive', 'backup')
      const controller = new AbortController()
      const waiting = sut.b.acquire('exclusive', 'prune', { waitMs: 60_000, signal: controller.signal })
      setTimeout(() => controller.abort(new Error('interrupted by test')), 100)
      await expect(waiting).rejects.toThrow('interrupted by test')
      await held.release()
      expect(await sut.a.list()).toEqual([])
    })

    it('concurrent exclusive takers on two lockers: exactly one wins', async () => {
      const held = await heldOf(Array.from({ length: 8 }, (_, i) => (i % 2 ? sut.a : sut.b).acquire('exclusive', `writer-${i}`)))
      expect(held).toHaveLength(1)
      await held[0]!.release()
    })

    it('concurrent mixed takers: never an exclusive holder next to any other holder', async () => {
      const modes = ['shared', 'exclusive', 'shared', 'shared', 'exclusive', 'shared'] as const
      const held = await heldOf(modes.map((m, i) => (i % 2 ? sut.a : sut.b).acquire(m, `job-${i}`)))
      const exclusive = held.filter((h) => h.info.mode === 'exclusive')
      if (exclusive.length > 0) expect(held).toHaveLength(1)
      for (const h of held) await h.release()
      expect(await sut.a.list()).toEqual([])
    })

    it('unlock() leaves live locks alone; unlock({ all }) removes them and their holders learn it', async () => {
      const held = await sut.a.acquire('shared', 'verify')
      expect(await sut.b.unlock()).toBe(0)
      expect(await sut.b.list()).toHaveLength(1)
      expect(await sut.b.unlock({ all: true })).toBe(1)
      expect(await sut.b.list()).toEqual([])
      await vi.waitFor(() => expect(held.signal?.aborted).toBe(true), { timeout: 10_000, interval: 50 })
      await held.release()
      const next = await sut.b.acquire('exclusive', 'prune')
      await next.release()
    })
  })
}
