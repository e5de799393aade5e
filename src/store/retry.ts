/** Retry wrapper: retries transient store failures with exponential backoff and jitter, on an injected Clock. */
import { type Clock, systemClock } from '../core/clock.js'
import { isTransient } from './errors.js'
import type { BlobInfo, ObjectStore, StoreOp } from './types.js'

export interface RetryEvent {
  /** The store operation, or 'open' for checking a location. */
  op: StoreOp | 'open'
  /** Blob name, or the prefix for list. */
  name: string
  /** The attempt that failed (1 = the first try). */
  attempt: number
  /** How long the wrapper waits before the next attempt. */
  delayMs: number
  error: unknown
}

export interface RetryOptions {
  clock?: Clock
  /** Tries per operation, the first included. Default 6. */
  maxAttempts?: number
  /** Backoff before the second try; doubles per try. Default 400 ms. */
  baseDelayMs?: number
  /** Upper bound of one backoff. Default 20 s. */
  maxDelayMs?: number
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number
  /** Called before each backoff (for logging). */
  onRetry?: (event: RetryEvent) => void
}

/**
 * Runs one operation with retries of transient failures (see isTransient: 5xx, throttling, timeouts,
 * connection resets); never retries refusals, not-found, auth or other 4xx errors. The wait before try n+1
 * is drawn from [d/2, d] with d = min(maxDelayMs, baseDelayMs * 2^(n-1)) ("equal jitter"). After
 * maxAttempts the last error is thrown unchanged. Used by RetryStore and for opening locations.
 */
export class Retrier {
  readonly maxAttempts: number
  private readonly clock: Clock
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly random: () => number
  private readonly onRetry: ((event: RetryEvent) => void) | undefined

  constructor(options: RetryOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 6)
    this.baseDelayMs = options.baseDelayMs ?? 400
    this.maxDelayMs = options.maxDelayMs ?? 20_000
    this.random = options.random ?? Math.random
    this.onRetry = options.onRetry
  }

  /** The wait after failed attempt `attempt` (1-based). */
  private delay(attempt: number): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1))
    return Math.round(cap / 2 + (this.random() * cap) / 2)
  }

  /** After failed attempt `attempt`: rethrow `error` when it is final, else wait the backoff. */
  async backoff(op: StoreOp | 'open', name: string, attempt: number, error: unknown): Promise<void> {
    if (!isTransient(error) || attempt >= this.maxAttempts) throw error
    const delayMs = this.delay(attempt)
    this.onRetry?.({ op, name, attempt, delayMs, error })
    await this.clock.sleep(delayMs)
  }

  /** Run `fn` until it succeeds, fails with a final error, or maxAttempts tries failed. */
  async run<T>(op: StoreOp | 'open', name: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        await this.backoff(op, name, attempt, err)
      }
    }
  }
}

/**
 * Wraps a store and retries each operation with a Retrier.
 *
 * putIfAbsent after an ambiguous failure (the write may have landed before the connection broke) can return
 * 'exists' for a blob this caller wrote; the content is then the caller's own or an identical write's.
 * list() restarts after a transient failure and skips names it already yielded; a listing that made progress
 * since its last failure gets maxAttempts afresh.
 */
export class RetryStore implements ObjectStore {
  readonly location: string
  private readonly retrier: Retrier

  constructor(
    private readonly inner: ObjectStore,
    options: RetryOptions = {},
  ) {
    this.location = inner.location
    this.retrier = new Retrier(options)
  }

  private run<T>(op: StoreOp, name: string, fn: () => Promise<T>): Promise<T> {
    return this.retrier.run(op, name, fn)
  }

  putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    return this.run('putIfAbsent', name, () => this.inner.putIfAbsent(name, data))
  }

  get(name: string): Promise<Uint8Array> {
    return this.run('get', name, () => this.inner.get(name))
  }

  stat(name: string): Promise<BlobInfo | undefined> {
    return this.run('stat', name, () => this.inner.stat(name))
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const seen = new Set<string>()
    // A listing that made progress since its last failure starts counting attempts afresh.
    for (let attempt = 1; ; ) {
      const before = seen.size
      try {
        for await (const blob of this.inner.list(prefix)) {
          if (seen.has(blob.name)) continue
          seen.add(blob.name)
          yield blob
        }
        return
      } catch (err) {
        attempt = seen.size > before ? 1 : attempt
        await this.retrier.backoff('list', prefix, attempt, err)
        attempt += 1
      }
    }
  }

  delete(name: string): Promise<void> {
    return this.run('delete', name, () => this.inner.delete(name))
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
