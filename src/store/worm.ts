/** WORM wrapper: models Azure version-level immutability (time-based retention) for tests and drills. */
import { type Clock, systemClock } from '../core/clock.js'
import { type BlobInfo, type ObjectStore, StoreRefusedError } from './types.js'

export interface WormOptions {
  /** How long after creation a blob may not be deleted. */
  retentionMs: number
  clock?: Clock
}

/**
 * Refuses (StoreRefusedError) every delete of a blob younger than the retention period, judged by the inner
 * store's `created` time and the injected clock, as Azure does for blobs under a time-based immutability
 * policy. Writes pass through: the inner store's putIfAbsent never overwrites, so an existing name stays
 * 'exists'. Azurite does not implement immutability; tests exercise it through this wrapper.
 */
export class WormStore implements ObjectStore {
  readonly location: string
  private readonly clock: Clock
  private readonly retentionMs: number

  constructor(
    private readonly inner: ObjectStore,
    options: WormOptions,
  ) {
    if (!(options.retentionMs >= 0)) throw new RangeError('WormStore: retentionMs must be a non-negative number')
    this.location = inner.location
    this.clock = options.clock ?? systemClock
    this.retentionMs = options.retentionMs
  }

  putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    return this.inner.putIfAbsent(name, data)
  }

  get(name: string): Promise<Uint8Array> {
    return this.inner.get(name)
  }

  stat(name: string): Promise<BlobInfo | undefined> {
    return this.inner.stat(name)
  }

  list(prefix: string): AsyncIterable<BlobInfo> {
    return this.inner.list(prefix)
  }

  /** Deletes only blobs older than the retention period; absent names are not an error. */
  async delete(name: string): Promise<void> {
    const info = await this.inner.stat(name)
    if (!info) return
    const until = info.created.getTime() + this.retentionMs
    if (this.clock.now() < until) {
      throw new StoreRefusedError(name, `is immutable until ${new Date(until).toISOString()} (WORM retention); it cannot be deleted before then`)
    }
    await this.inner.delete(name)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
