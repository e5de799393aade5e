/** Store-level errors: failures with a transient flag (what the retry wrapper may retry) and lock conflicts. */
import { ExitCode, type ExitCodeValue, KvdrError } from '../core/errors.js'
import type { ListedLock, LockMode } from './types.js'

/** What went wrong with a store operation, as far as the caller needs to branch on it. */
export type StoreErrorCode =
  | 'STORE_AUTH'
  | 'STORE_FORBIDDEN'
  | 'STORE_UNREACHABLE'
  | 'STORE_TIMEOUT'
  | 'STORE_THROTTLED'
  | 'STORE_SERVER'
  | 'STORE_IO'
  | 'STORE_INVALID_NAME'
  | 'REPO_NOT_FOUND'
  | 'STORE_FAILED'

const EXIT: Record<StoreErrorCode, ExitCodeValue> = {
  STORE_AUTH: ExitCode.Auth,
  STORE_FORBIDDEN: ExitCode.Forbidden,
  STORE_UNREACHABLE: ExitCode.Unreachable,
  STORE_TIMEOUT: ExitCode.Unreachable,
  STORE_THROTTLED: ExitCode.Unreachable,
  STORE_SERVER: ExitCode.Failure,
  STORE_IO: ExitCode.Failure,
  STORE_INVALID_NAME: ExitCode.Failure,
  REPO_NOT_FOUND: ExitCode.RepoNotFound,
  STORE_FAILED: ExitCode.Failure,
}

export interface StoreErrorOptions {
  /** True when trying the same operation again may succeed (5xx, timeouts, resets, throttling). */
  transient?: boolean
  hint?: string
  /** Safe structured detail (HTTP status, service error code, request id). Never credentials. */
  details?: Record<string, unknown>
  /** Only causes that are known to be free of credentials (e.g. a Node system error). */
  cause?: unknown
}

/**
 * A store operation failed. `transient` says whether a retry may help; the retry wrapper retries only these.
 * The message names the operation and the blob, never credentials or contents.
 */
export class StoreError extends KvdrError {
  override readonly code: StoreErrorCode
  readonly transient: boolean

  constructor(code: StoreErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(code, EXIT[code], message, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.details === undefined ? {} : { details: options.details }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    })
    this.name = 'StoreError'
    this.code = code
    this.transient = options.transient ?? false
  }
}

/** True for errors a retry may cure: StoreErrors marked transient. Everything else is final. */
export function isTransient(err: unknown): boolean {
  return err instanceof StoreError && err.transient
}

/** Describes a lock holder in one line: `exclusive lock by kvdr backup (pid 12 on host-a, since ...)`. */
export function describeLock(lock: ListedLock): string {
  const stale = lock.stale ? `; looks stale${lock.staleReason ? `: ${lock.staleReason}` : ''}` : ''
  return `${lock.mode} lock held by "${lock.command}" (pid ${lock.pid} on ${lock.host}, since ${lock.acquiredAt.toISOString()}${stale})`
}

/**
 * The repository is locked by someone else in a conflicting mode (exit code 11). `holders` lists who, so a
 * person can decide whether to wait or to run `kvdr repo unlock`.
 */
export class RepoLockedError extends KvdrError {
  readonly holders: ListedLock[]

  constructor(location: string, wanted: LockMode, holders: ListedLock[]) {
    const who = holders.length === 0 ? 'another process' : holders.map(describeLock).join('; ')
    const anyStale = holders.some((h) => h.stale)
    super('REPO_LOCKED', ExitCode.RepoLocked, `Cannot take a${wanted === 'exclusive' ? 'n exclusive' : ' shared'} lock on ${location}: ${who}.`, {
      hint: anyStale
        ? 'If that process is no longer running, run `kvdr repo unlock` to remove stale locks, then try again.'
        : 'Wait for that command to finish (or pass a longer wait), or, if it is no longer running, run `kvdr repo unlock`.',
      details: {
        location,
        wanted,
        holders: holders.map((h) => ({ id: h.id, mode: h.mode, host: h.host, pid: h.pid, command: h.command, acquiredAt: h.acquiredAt.toISOString(), stale: h.stale })),
      },
    })
    this.name = 'RepoLockedError'
    this.holders = holders
  }
}
