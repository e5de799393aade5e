/** Read-only wrapper: for restore, verify and DR sites; refuses every write and delete. */
import { type BlobInfo, type ObjectStore, StoreRefusedError } from './types.js'

const REASON = 'the repository is open read-only (restore, verify or a DR copy); nothing may be written or deleted'

/** Passes reads through; putIfAbsent and delete throw StoreRefusedError without touching the inner store. */
export class ReadOnlyStore implements ObjectStore {
  readonly location: string

  constructor(private readonly inner: ObjectStore) {
    this.location = inner.location
  }

  async putIfAbsent(name: string, _data?: Uint8Array): Promise<'created' | 'exists'> {
    throw new StoreRefusedError(name, REASON)
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
    throw new StoreRefusedError(name, REASON)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
