/**
 * ObjectStore: the blob-level storage interface every repository backend implements (Azure Blob, local
 * directory, memory) and every behaviour wrapper (retry, read-only, WORM, faults, logging) wraps.
 *
 * Names are `/`-separated relative paths such as `config`, `keys/<id>`, `data/ab/<id>`, `snapshots/<id>`:
 * segments of `A-Z a-z 0-9 . _ -`, not starting with `.`, at most 255 characters each and 900 in all (portable
 * to every backend; see names.ts). The prefix `locks/` is reserved for the Locker of the same location.
 * The store never interprets contents. Nothing is ever overwritten: the only way to write is putIfAbsent.
 */
import { ExitCode, KvdrError } from '../core/errors.js'

export interface BlobInfo {
  /** Full name relative to the store root (no leading slash). */
  name: string
  /** Size in bytes. */
  size: number
  /** When the blob was created (last-modified; never changes because blobs are never overwritten). */
  created: Date
}

export interface ObjectStore {
  /** Human-readable location, without credentials (safe to print). */
  readonly location: string

  /**
   * Create `name` with `data` only if no blob of that name exists (If-None-Match: *). Atomic: readers see
   * either nothing or the whole blob. Returns 'exists' (and writes nothing) when the name is taken.
   */
  putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'>

  /** Whole contents of `name`. Throws StoreNotFoundError when absent. */
  get(name: string): Promise<Uint8Array>

  /** Metadata of `name`, or undefined when absent. */
  stat(name: string): Promise<BlobInfo | undefined>

  /** Every blob whose name starts with `prefix` (e.g. `snapshots/`), in no particular order. */
  list(prefix: string): AsyncIterable<BlobInfo>

  /** Remove `name`. Absent names are not an error. May be refused (WORM, read-only). */
  delete(name: string): Promise<void>

  /** Release connections and handles. */
  close(): Promise<void>
}

/** The operations of ObjectStore that touch blobs (for wrappers that log, inject faults or retry per operation). */
export type StoreOp = 'putIfAbsent' | 'get' | 'stat' | 'list' | 'delete'

/**
 * Raised by ObjectStore.get for a name that does not exist. Exit code Integrity: a caller that asks for a blob
 * expects it (callers for whom absence is normal use stat, or catch this and say what is missing).
 */
export class StoreNotFoundError extends KvdrError {
  readonly blobName: string
  constructor(name: string, location: string) {
    super('STORE_NOT_FOUND', ExitCode.Integrity, `${name} was not found in ${location}.`, {
      hint: 'The repository is missing data it refers to; run `kvdr repo check` to see what is affected.',
      details: { blob: name, location },
    })
    this.name = 'StoreNotFoundError'
    this.blobName = name
  }
}

/** Raised when a store refuses an operation by design (read-only, WORM retention). Never retried. */
export class StoreRefusedError extends KvdrError {
  readonly blobName: string
  constructor(name: string, reason: string) {
    super('STORE_REFUSED', ExitCode.Refused, `${name}: ${reason}`, { details: { blob: name } })
    this.name = 'StoreRefusedError'
    this.blobName = name
  }
}

export type LockMode = 'exclusive' | 'shared'

/** Who holds a repository lock. Written into the lock so `kvdr repo unlock` can tell people what it breaks. */
export interface LockInfo {
  id: string
  mode: LockMode
  host: string
  pid: number
  command: string
  acquiredAt: Date
  /** Last heartbeat; a lock whose holder stopped refreshing is stale. */
  refreshedAt: Date
}

export interface HeldLock {
  readonly info: LockInfo
  /**
   * Aborted when the lock is lost while held (renewal failed for longer than the lease, or someone removed it
   * with `kvdr repo unlock --all`). Long-running writers should stop when it fires. Not aborted by release().
   */
  readonly signal?: AbortSignal
  /** Stop refreshing and release. Idempotent. */
  release(): Promise<void>
}

/** A lock as listed: its holder, whether it looks stale, and why (e.g. "process 123 is not running"). */
export type ListedLock = LockInfo & { stale: boolean; staleReason?: string }

/**
 * Repository locks: any number of shared holders, or one exclusive holder. Backend-specific (blob leases on
 * Azure, lock files on a local directory, a table in memory); all keep the store write-once compatible.
 */
export interface Locker {
  /** Take a lock, waiting up to `waitMs` (default 0) for conflicting holders. Throws RepoLockedError. */
  acquire(mode: LockMode, command: string, options?: { waitMs?: number; signal?: AbortSignal }): Promise<HeldLock>
  /** Current holders, with whether each looks stale. */
  list(): Promise<ListedLock[]>
  /** Remove stale locks (or all locks with `all`). Returns how many were removed. */
  unlock(options?: { all?: boolean }): Promise<number>
}
