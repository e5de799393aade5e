/** In-process Locker for memory:// repositories (tests, dry runs). Holders never go stale. */
import { type Clock, systemClock } from '../core/clock.js'
import { acquireWithWait, type LockAttempt, newLockInfo } from './lock-common.js'
import type { HeldLock, ListedLock, Locker, LockInfo, LockMode } from './types.js'

/** Shared/exclusive locks within one process. unlock() without `all` removes nothing (no holder is stale). */
export class MemoryLocker implements Locker {
  private readonly holders = new Map<string, { info: LockInfo; lost: AbortController }>()
  private readonly clock: Clock

  constructor(
    private readonly location: string,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock
  }

  /** See Locker.acquire. Throws RepoLockedError naming the holders after `waitMs`. */
  acquire(mode: LockMode, command: string, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    return acquireWithWait(
      async (): Promise<LockAttempt<HeldLock>> => {
        const conflict = [...this.holders.values()].filter((h) => mode === 'exclusive' || h.info.mode === 'exclusive').map((h) => ({ ...h.info, stale: false }))
        if (conflict.length > 0) return { conflict }
        const info = newLockInfo(mode, command, this.clock)
        const lost = new AbortController()
        this.holders.set(info.id, { info, lost })
        const release = async (): Promise<void> => {
          if (this.holders.get(info.id)?.lost === lost) this.holders.delete(info.id)
        }
        return { held: { info, signal: lost.signal, release } }
      },
      { location: this.location, mode, clock: this.clock, ...options },
    )
  }

  async list(): Promise<ListedLock[]> {
    return [...this.holders.values()].map((h) => ({ ...h.info, stale: false }))
  }

  /** With `all`, removes every lock (their holders' signals abort). Returns how many were removed. */
  async unlock(options: { all?: boolean } = {}): Promise<number> {
    if (!options.all) return 0
    const n = this.holders.size
    for (const h of this.holders.values()) h.lost.abort(new Error('The repository lock was removed by unlock.'))
    this.holders.clear()
    return n
  }
}
