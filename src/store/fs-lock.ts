/**
 * Locker for a local-directory repository: lock files under `<root>/locks/`, created exclusively, holder info
 * inside, kept fresh by an mtime heartbeat. Works across processes on one machine (and on shared file systems
 * with working hard links and O_EXCL).
 */
import { link, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { type Clock, systemClock } from '../core/clock.js'
import { fsCode, fsError, writeFileOnce } from './fs.js'
import { LOCKS_PREFIX } from './names.js'
import { acquireWithWait, decodeLock, encodeLock, heartbeat, type LockAttempt, newLockInfo, processIsGone } from './lock-common.js'
import type { HeldLock, ListedLock, Locker, LockInfo, LockMode } from './types.js'

export interface FsLockerOptions {
  clock?: Clock
  /** A lock whose heartbeat is older than this is stale. Default 5 minutes. */
  staleAfterMs?: number
  /** How often a holder refreshes its lock file's mtime. Default 30 s. */
  heartbeatMs?: number
}

const EXCLUSIVE = 'exclusive'
const SHARED = 'shared-'

interface FoundLock extends ListedLock {
  file: string
  /** The holder is certainly gone (its pid does not exist on this host): safe to remove without asking. */
  dead: boolean
}

/**
 * Exclusive: create `locks/exclusive` (fails if present), then check that no `locks/shared-*` exists.
 * Shared: create `locks/shared-<id>`, then check that `locks/exclusive` does not exist. Each side writes
 * before it reads, so two conflicting takers can both back off but never both win.
 * Locks of processes that no longer run on this host are removed on the way; other stale locks (no
 * heartbeat for staleAfterMs) still block until `unlock()`.
 */
export class FsLocker implements Locker {
  private readonly dir: string
  private readonly clock: Clock
  private readonly staleAfterMs: number
  private readonly heartbeatMs: number
  private readonly host = hostname()

  constructor(
    root: string,
    private readonly location: string,
    options: FsLockerOptions = {},
  ) {
    this.dir = join(root, LOCKS_PREFIX)
    this.clock = options.clock ?? systemClock
    this.staleAfterMs = options.staleAfterMs ?? 300_000
    this.heartbeatMs = options.heartbeatMs ?? 30_000
  }

  /** See Locker.acquire. Throws RepoLockedError (exit 11) naming the holders, StoreError on I/O failure. */
  acquire(mode: LockMode, command: string, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    return acquireWithWait(() => this.attempt(mode, command), { location: this.location, mode, clock: this.clock, ...options })
  }

  private async attempt(mode: LockMode, command: string): Promise<LockAttempt<HeldLock>> {
    const info = newLockInfo(mode, command, this.clock)
    const file = mode === 'exclusive' ? EXCLUSIVE : `${SHARED}${info.id}`
    for (let tries = 0; ; tries++) {
      if ((await writeFileOnce(join(this.dir, file), encodeLock(info))) === 'created') break
      // Only `exclusive` can exist already. Try again if it vanished meanwhile or its holder is dead.
      const holder = await this.read(EXCLUSIVE)
      if (tries < 3 && (!holder || (holder.dead && (await this.remove(holder))))) continue
      return { conflict: holder ? [holder] : [] }
    }
    const others = (await this.find()).filter((l) => l.id !== info.id && (mode === 'exclusive' || l.mode === 'exclusive'))
    const live: FoundLock[] = []
    for (const other of others) if (!(other.dead && (await this.remove(other)))) live.push(other)
    if (live.length > 0) {
      await this.remove({ file, id: info.id })
      return { conflict: live }
    }
    return { held: this.hold(info, file) }
  }

  private hold(info: LockInfo, file: string): HeldLock {
    const lost = new AbortController()
    const path = join(this.dir, file)
    const beat = heartbeat(
      async () => {
        const now = new Date(this.clock.now())
        await utimes(path, now, now)
        info.refreshedAt = now
      },
      this.heartbeatMs,
      (err) => {
        // The file is gone (someone ran unlock) or unwritable: the lock can no longer be trusted.
        beat.stop()
        lost.abort(fsError(err, 'refresh the lock file', path))
      },
    )
    let released = false
    return {
      info,
      signal: lost.signal,
      release: async () => {
        if (released) return
        released = true
        beat.stop()
        await this.remove({ file, id: info.id }).catch(() => {})
      },
    }
  }

  /** Every lock file, parsed, with staleness. */
  private async find(): Promise<FoundLock[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (err) {
      if (fsCode(err) === 'ENOENT') return []
      throw fsError(err, 'list the locks in', this.dir)
    }
    const found = await Promise.all(names.filter((n) => n === EXCLUSIVE || n.startsWith(SHARED)).map((n) => this.read(n)))
    return found.filter((l): l is FoundLock => l !== undefined)
  }

  /** Read one lock file; undefined when it vanished. An unreadable record is listed as an unknown holder. */
  private async read(file: string): Promise<FoundLock | undefined> {
    const path = join(this.dir, file)
    let bytes: Uint8Array
    let mtime: Date
    try {
      mtime = (await stat(path)).mtime
      bytes = await readFile(path)
    } catch (err) {
      if (fsCode(err) === 'ENOENT') return undefined
      throw fsError(err, 'read the lock file', path)
    }
    const info = decodeLock(bytes, mtime) ?? {
      id: file,
      mode: file === EXCLUSIVE ? 'exclusive' : 'shared',
      host: 'unknown',
      pid: 0,
      command: 'unknown (unreadable lock file)',
      acquiredAt: mtime,
      refreshedAt: mtime,
    }
    const dead = info.host === this.host && processIsGone(info.pid)
    const silentMs = this.clock.now() - mtime.getTime()
    const staleReason = dead
      ? `process ${info.pid} is not running on ${info.host}`
      : silentMs > this.staleAfterMs
        ? `no heartbeat for ${Math.round(silentMs / 1000)} s`
        : undefined
    return { ...info, file, dead, stale: staleReason !== undefined, ...(staleReason ? { staleReason } : {}) }
  }

  /**
   * Remove lock file `file` only if it still holds lock `id`: rename it aside (atomic), check, then delete it
   * or put it back. Returns whether it was removed.
   */
  private async remove(lock: { file: string; id: string }): Promise<boolean> {
    const path = join(this.dir, lock.file)
    const aside = join(this.dir, `.removing-${process.pid}-${Math.random().toString(36).slice(2)}`)
    try {
      await rename(path, aside)
    } catch (err) {
      if (fsCode(err) === 'ENOENT') return false
      throw fsError(err, 'remove the lock file', path)
    }
    const moved = decodeLock(await readFile(aside).catch(() => new Uint8Array()), new Date(0))
    if ((moved?.id ?? lock.file) !== lock.id) {
      // Someone replaced it in between: put the new lock back (unless yet another one took its place).
      await link(aside, path).catch(() => {})
      await unlink(aside).catch(() => {})
      return false
    }
    await unlink(aside)
    return true
  }

  async list(): Promise<ListedLock[]> {
    return (await this.find()).map(({ file: _file, dead: _dead, ...lock }) => lock)
  }

  /** Remove stale locks (dead holder or no heartbeat), or every lock with `all`. Returns how many were removed. */
  async unlock(options: { all?: boolean } = {}): Promise<number> {
    let removed = 0
    for (const lock of await this.find()) {
      if ((options.all || lock.stale) && (await this.remove(lock))) removed += 1
    }
    return removed
  }
}
