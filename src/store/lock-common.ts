/** Pieces every Locker shares: holder identity, the lock record format, waiting with backoff, heartbeats. */
import { hostname } from 'node:os'
import type { Clock } from '../core/clock.js'
import { RepoLockedError } from './errors.js'
import type { ListedLock, LockInfo, LockMode } from './types.js'

/** A fresh LockInfo for this process. */
export function newLockInfo(mode: LockMode, command: string, clock: Clock): LockInfo {
  const now = new Date(clock.now())
  return { id: globalThis.crypto.randomUUID(), mode, host: hostname(), pid: process.pid, command, acquiredAt: now, refreshedAt: now }
}

/** The lock record as stored in a lock file or blob (JSON, no secrets: host, pid, command, times). */
export function encodeLock(info: LockInfo): Uint8Array {
  return new TextEncoder().encode(
    `${JSON.stringify({ kvdrLock: 1, id: info.id, mode: info.mode, host: info.host, pid: info.pid, command: info.command, acquiredAt: info.acquiredAt.toISOString() })}\n`,
  )
}

/** Parse a lock record; undefined when it is not one (corrupt or foreign file). */
export function decodeLock(bytes: Uint8Array, refreshedAt: Date): LockInfo | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
    if (v.kvdrLock !== 1 || typeof v.id !== 'string' || (v.mode !== 'shared' && v.mode !== 'exclusive')) return undefined
    if (typeof v.host !== 'string' || typeof v.pid !== 'number' || typeof v.command !== 'string' || typeof v.acquiredAt !== 'string') return undefined
    const acquiredAt = new Date(v.acquiredAt)
    if (Number.isNaN(acquiredAt.getTime())) return undefined
    return { id: v.id, mode: v.mode, host: v.host, pid: v.pid, command: v.command, acquiredAt, refreshedAt }
  } catch {
    return undefined
  }
}

/** True when `pid` is certainly not running on this machine (ESRCH). EPERM means it runs as another user. */
export function processIsGone(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH'
  }
}

/** One try at taking a lock: the held lock, or the holders in the way. */
export type LockAttempt<T> = { held: T } | { conflict: ListedLock[] }

/**
 * Try `attempt` until it succeeds or `waitMs` has passed, sleeping with exponential backoff (100 ms doubling
 * to 5 s, jittered) between tries. Throws RepoLockedError with the last conflicting holders, or the signal's
 * reason when aborted.
 */
export async function acquireWithWait<T>(
  attempt: () => Promise<LockAttempt<T>>,
  options: { location: string; mode: LockMode; clock: Clock; waitMs?: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = options.clock.now() + Math.max(0, options.waitMs ?? 0)
  for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
    options.signal?.throwIfAborted()
    const result = await attempt()
    if ('held' in result) return result.held
    const left = deadline - options.clock.now()
    if (left <= 0) throw new RepoLockedError(options.location, options.mode, result.conflict)
    await options.clock.sleep(Math.min(left, delay / 2 + (Math.random() * delay) / 2), options.signal)
  }
}

/**
 * Call `beat` every `everyMs` in the background (unref'd timer) until stop(). A beat that throws is reported
 * to `onError`; runs never overlap.
 */
export function heartbeat(beat: () => Promise<void>, everyMs: number, onError: (err: unknown) => void): { stop(): void } {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    beat()
      .catch(onError)
      .finally(() => {
        running = false
      })
  }, everyMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
