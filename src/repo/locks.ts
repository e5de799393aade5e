/** Repository locks beyond the store's Lockers: the reader's lock policy and `kvdr repo unlock`. */
import { hostname } from 'node:os'
import { type Clock, systemClock } from '../core/clock.js'
import { RepoLockedError, StoreError } from '../store/errors.js'
import type { HeldLock, ListedLock, Locker, LockInfo, LockMode, ObjectStore } from '../store/types.js'
import { CONFIG_BLOB } from './config.js'
import { RepoNotFoundError } from './errors.js'

/** Outcome of an unlock (also its `--json` shape). Times are ISO strings. */
export interface UnlockResult {
  removed: number
  remaining: Array<Omit<LockInfo, 'acquiredAt' | 'refreshedAt'> & { acquiredAt: string; refreshedAt: string; stale: boolean }>
}

/**
 * Remove stale locks (holders that stopped refreshing or died), or every lock with `all` - only safe when no
 * kvdr process uses the repository. Needs no keys. Throws RepoNotFoundError when there is no repository.
 */
export async function unlockRepository(store: ObjectStore, locker: Locker, options: { all?: boolean } = {}): Promise<UnlockResult> {
  if (!(await store.stat(CONFIG_BLOB))) throw new RepoNotFoundError(store.location)
  const removed = await locker.unlock(options)
  const remaining = (await locker.list()).map((l) => ({ ...l, acquiredAt: l.acquiredAt.toISOString(), refreshedAt: l.refreshedAt.toISOString() }))
  return { removed, remaining }
}

export interface ReaderLockOptions {
  /** Printable location, for the warning. */
  location: string
  /** Take no lock at all (`--no-lock`). */
  noLock?: boolean
  /** Told once when a lock could not be written and the reader goes on without one. */
  warn: (message: string) => void
  clock?: Clock
}

/**
 * The lock policy of commands that only read (restore, verify, check, listings, a copy's source), which DR
 * sites may run with read access only. Shared locks go through `inner`, except that
 * - with `noLock`, none is taken and none is looked at;
 * - when the storage refuses to write the lock (StoreError STORE_FORBIDDEN: a read-only SAS or role, a
 *   read-only file system), the reader still reads the locks, and unless someone holds the exclusive lock
 *   (RepoLockedError, exit 11) goes on without one after `warn` says what that risks.
 * Everything else passes through unchanged: exclusive locks, list, unlock, and lock conflicts.
 */
export class ReaderLocker implements Locker {
  private readonly clock: Clock

  constructor(
    private readonly inner: Locker,
    private readonly options: ReaderLockOptions,
  ) {
    this.clock = options.clock ?? systemClock
  }

  async acquire(mode: LockMode, command: string, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    if (mode === 'shared' && this.options.noLock) return this.unheld(command)
    try {
      return await this.inner.acquire(mode, command, options)
    } catch (err) {
      if (mode !== 'shared' || !(err instanceof StoreError) || err.code !== 'STORE_FORBIDDEN') throw err
      const exclusive = (await this.inner.list()).filter((l) => l.mode === 'exclusive' && !l.stale)
      if (exclusive.length > 0) throw new RepoLockedError(this.options.location, 'shared', exclusive)
      this.options.warn(
        `Could not take a shared lock on ${this.options.location}: ${err.message} Reading without a lock: a \`kvdr repo prune\` running at the same time could delete data this command is reading, which would show up as missing contents. Pass --no-lock to skip taking the lock.`,
      )
      return this.unheld(command)
    }
  }

  list(): Promise<ListedLock[]> {
    return this.inner.list()
  }

  unlock(options?: { all?: boolean }): Promise<number> {
    return this.inner.unlock(options)
  }

  /** A lock that was not taken: nothing to release, never lost. */
  private unheld(command: string): HeldLock {
    const now = new Date(this.clock.now())
    return { info: { id: 'none', mode: 'shared', host: hostname(), pid: process.pid, command, acquiredAt: now, refreshedAt: now }, release: async () => {} }
  }
}
