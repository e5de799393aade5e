/** Logging wrapper: one event per store operation (operation, name, size, duration, outcome), never contents. */
import { type Clock, systemClock } from '../core/clock.js'
import { KvdrError } from '../core/errors.js'
import { StoreNotFoundError, StoreRefusedError, type BlobInfo, type ObjectStore, type StoreOp } from './types.js'

export interface StoreLogEvent {
  op: StoreOp
  /** Blob name, or the prefix for list. */
  name: string
  /** Bytes written (putIfAbsent), read (get) or found (stat); entries for list. */
  size?: number
  durationMs: number
  outcome: 'created' | 'exists' | 'ok' | 'absent' | 'not-found' | 'refused' | 'error'
  /** The error's stable code (e.g. STORE_UNREACHABLE) when outcome is 'error'. */
  error?: string
}

export type StoreLogger = (event: StoreLogEvent) => void

function errorCode(err: unknown): string {
  if (err instanceof KvdrError) return err.code
  return err instanceof Error ? err.name : 'unknown'
}

function failure(err: unknown): Pick<StoreLogEvent, 'outcome' | 'error'> {
  if (err instanceof StoreNotFoundError) return { outcome: 'not-found' }
  if (err instanceof StoreRefusedError) return { outcome: 'refused' }
  return { outcome: 'error', error: errorCode(err) }
}

/** Wraps a store and reports every operation to `log` after it finishes. Errors are rethrown unchanged. */
export class LoggingStore implements ObjectStore {
  readonly location: string
  private readonly clock: Clock

  constructor(
    private readonly inner: ObjectStore,
    private readonly log: StoreLogger,
    options: { clock?: Clock } = {},
  ) {
    this.location = inner.location
    this.clock = options.clock ?? systemClock
  }

  private async timed<T>(op: StoreOp, name: string, fn: () => Promise<T>, describe: (r: T) => Pick<StoreLogEvent, 'outcome' | 'size'>): Promise<T> {
    const start = this.clock.now()
    try {
      const result = await fn()
      this.log({ op, name, durationMs: this.clock.now() - start, ...describe(result) })
      return result
    } catch (err) {
      this.log({ op, name, durationMs: this.clock.now() - start, ...failure(err) })
      throw err
    }
  }

  putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    return this.timed('putIfAbsent', name, () => this.inner.putIfAbsent(name, data), (r) => ({ outcome: r, size: data.byteLength }))
  }

  get(name: string): Promise<Uint8Array> {
    return this.timed('get', name, () => this.inner.get(name), (r) => ({ outcome: 'ok', size: r.byteLength }))
  }

  stat(name: string): Promise<BlobInfo | undefined> {
    return this.timed('stat', name, () => this.inner.stat(name), (r) => (r ? { outcome: 'ok', size: r.size } : { outcome: 'absent' }))
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const start = this.clock.now()
    let count = 0
    let failed = false
    try {
      for await (const blob of this.inner.list(prefix)) {
        count += 1
        yield blob
      }
    } catch (err) {
      failed = true
      this.log({ op: 'list', name: prefix, size: count, durationMs: this.clock.now() - start, ...failure(err) })
      throw err
    } finally {
      // Also when the consumer stops early: the entries it received were listed fine.
      if (!failed) this.log({ op: 'list', name: prefix, size: count, durationMs: this.clock.now() - start, outcome: 'ok' })
    }
  }

  delete(name: string): Promise<void> {
    return this.timed('delete', name, () => this.inner.delete(name), () => ({ outcome: 'ok' }))
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
