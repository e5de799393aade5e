/**
 * ObjectStore: the blob-level storage interface every repository backend implements (Azure Blob, local
 * directory, memory) and every behaviour wrapper (retry, read-only, WORM, faults, logging) wraps.
 *
 * Names are `/`-separated relative paths such as `config`, `keys/<id>`, `data/ab/<id>`, `snapshots/<id>`.
 * The store never interprets contents. Nothing is ever overwritten: the only way to write is putIfAbsent.
 */
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
