/**
 * The one place the CLI turns a repository location string into an ObjectStore and a Locker. Until the
 * storage backends' `openLocation()` (src/store/location.ts) is merged, only `memory://<name>` locations
 * work (process-wide, for tests and demos); re-point `openLocation` below to the store module then.
 */
import { type Clock, systemClock } from '../core/clock.js'
import { ExitCode, KvdrError, UsageError } from '../core/errors.js'
import { MemoryStore } from '../store/memory.js'
import type { HeldLock, Locker, LockInfo, LockMode, ObjectStore } from '../store/types.js'

export interface OpenedLocation {
  store: ObjectStore
  locker: Locker
}

/**
 * In-process locks for memory:// repositories: any number of shared holders or one exclusive holder.
 * Waits with backoff up to `waitMs`; a conflict throws KvdrError REPO_LOCKED (exit 11) naming the holder.
 */
export class MemoryLocker implements Locker {
  private readonly held = new Map<string, LockInfo>()
  private counter = 0
  constructor(private readonly clock: Clock = systemClock) {}

  async acquire(mode: LockMode, command: string, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    const deadline = this.clock.now() + (options.waitMs ?? 0)
    for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
      const conflict = [...this.held.values()].find((h) => mode === 'exclusive' || h.mode === 'exclusive')
      if (!conflict) return this.take(mode, command)
      const left = deadline - this.clock.now()
      if (left <= 0) {
        throw new KvdrError('REPO_LOCKED', ExitCode.RepoLocked, `The repository is locked (${conflict.mode}) by "${conflict.command}" (pid ${conflict.pid} on ${conflict.host}, since ${conflict.acquiredAt.toISOString()}).`, {
          hint: 'Wait for that run to finish and retry, or wait for it with a lock timeout. If it is dead, remove its lock with `kvdr repo unlock`.',
          details: { holder: { ...conflict, acquiredAt: conflict.acquiredAt.toISOString(), refreshedAt: conflict.refreshedAt.toISOString() } },
        })
      }
      await this.clock.sleep(Math.min(delay, left), options.signal)
    }
  }

  private take(mode: LockMode, command: string): HeldLock {
    const now = new Date(this.clock.now())
    const info: LockInfo = { id: `mem-${++this.counter}`, mode, host: 'localhost', pid: process.pid, command, acquiredAt: now, refreshedAt: now }
    this.held.set(info.id, info)
    return { info, release: async () => void this.held.delete(info.id) }
  }

  async list(): Promise<Array<LockInfo & { stale: boolean }>> {
    return [...this.held.values()].map((h) => ({ ...h, stale: false }))
  }

  /** In-process holders are never stale; `all` removes every lock. */
  async unlock(options: { all?: boolean } = {}): Promise<number> {
    if (!options.all) return 0
    const n = this.held.size
    this.held.clear()
    return n
  }
}

const memory = new Map<string, OpenedLocation>()

/**
 * Open a repository location. Throws UsageError (with what to write) when none is given or it cannot be
 * opened by this build. Never includes credentials in `store.location`.
 */
export async function openLocation(location: string | undefined): Promise<OpenedLocation> {
  if (!location) {
    throw new UsageError('No repository location was given.', { hint: 'Pass --repo <location> or set KVDR_REPO.' })
  }
  const m = /^memory:\/\/([A-Za-z0-9._-]+)$/.exec(location)
  if (m) {
    const name = m[1] as string
    let opened = memory.get(name)
    if (!opened) {
      opened = { store: new MemoryStore({ name }), locker: new MemoryLocker() }
      memory.set(name, opened)
    }
    return opened
  }
  throw new UsageError(`This kvdr build cannot open "${location}": only memory://<name> locations are available until the storage backends are merged.`, {
    hint: 'Use memory://<name> for a throwaway repository in this process.',
  })
}
