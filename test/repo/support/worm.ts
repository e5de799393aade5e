/**
 * The smallest immutable-storage stand-in the repository tests need until src/store's WORM wrapper lands:
 * deletes of blobs younger than `retentionMs` are refused with StoreRefusedError, everything else passes.
 */
import type { Clock } from '../../../src/core/clock.js'
import { type BlobInfo, type ObjectStore, StoreRefusedError } from '../../../src/store/types.js'

export class RefuseYoungDeletes implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    private readonly retentionMs: number,
    private readonly clock: Clock,
  ) {}
  get location(): string {
    return this.inner.location
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
  async delete(name: string): Promise<void> {
    const info = await this.inner.stat(name)
    if (info && this.clock.now() - info.created.getTime() < this.retentionMs) throw new StoreRefusedError(name, 'immutable until its retention period ends')
    return this.inner.delete(name)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}
