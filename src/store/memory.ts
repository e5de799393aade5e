/** In-memory ObjectStore: for tests and dry runs. Same contract as every other backend. */
import { type Clock, systemClock } from '../core/clock.js'
import { checkName, checkPrefix } from './names.js'
import { type BlobInfo, type ObjectStore, StoreNotFoundError } from './types.js'

export class MemoryStore implements ObjectStore {
  readonly location: string
  private readonly blobs = new Map<string, { data: Uint8Array; created: Date }>()
  private readonly clock: Clock

  constructor(options: { name?: string; clock?: Clock } = {}) {
    this.location = `memory://${options.name ?? 'default'}`
    this.clock = options.clock ?? systemClock
  }

  async putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    checkName(name)
    if (this.blobs.has(name)) return 'exists'
    this.blobs.set(name, { data: Uint8Array.from(data), created: new Date(this.clock.now()) })
    return 'created'
  }

  async get(name: string): Promise<Uint8Array> {
    checkName(name)
    const blob = this.blobs.get(name)
    if (!blob) throw new StoreNotFoundError(name, this.location)
    return Uint8Array.from(blob.data)
  }

  async stat(name: string): Promise<BlobInfo | undefined> {
    checkName(name)
    const blob = this.blobs.get(name)
    return blob && { name, size: blob.data.byteLength, created: blob.created }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    checkPrefix(prefix)
    for (const [name, blob] of [...this.blobs]) {
      if (name.startsWith(prefix)) yield { name, size: blob.data.byteLength, created: blob.created }
    }
  }

  async delete(name: string): Promise<void> {
    checkName(name)
    this.blobs.delete(name)
  }

  async close(): Promise<void> {}

  /**
   * Test hook: replace a blob's bytes in place, as an attacker or bit rot with raw storage access would.
   * Not part of ObjectStore; kvdr itself never overwrites.
   */
  tamper(name: string, data: Uint8Array): void {
    const blob = this.blobs.get(name)
    if (!blob) throw new StoreNotFoundError(name, this.location)
    blob.data = Uint8Array.from(data)
  }
}
