/**
 * Contents: sealed, content-addressed blobs under `data/`. Saving is idempotent (same type and plaintext ->
 * same id -> putIfAbsent finds it), so dedup across snapshots and reuse after a crash come for free; a writer
 * that knows the stored ids skips sealing and uploading those altogether.
 */
import { openEnvelope, sealEnvelope } from '../crypto/envelope.js'
import { AuthenticationError } from '../crypto/errors.js'
import { contentIdHex } from '../crypto/ids.js'
import type { MasterKeys } from '../crypto/master.js'
import { type ObjectStore, StoreNotFoundError } from '../store/types.js'
import { IntegrityError } from './errors.js'
import { CONTENT_TYPE_RE, type ContentId, contentBlobName, contentHexOf, DATA_PREFIX, makeContentId, parseContentId } from './types.js'

/** Outcome of one save: the id, and whether this call uploaded it (false: it was already stored). */
export interface SavedContent {
  id: ContentId
  created: boolean
  /** Sealed size in bytes (plaintext + envelope overhead); 0 when the id was known and nothing was sealed. */
  size: number
}

/** Reads and writes contents of one repository. */
export class Contents {
  constructor(
    private readonly store: ObjectStore,
    private readonly keys: MasterKeys,
    private readonly repositoryId: string,
  ) {}

  private context(type: string, hex: string): string {
    return `kvdr/content/v1\0${this.repositoryId}\0${type}\0${hex}`
  }

  /** The id `data` would have as a `type` content, without storing anything. */
  idOf(type: string, data: Uint8Array): ContentId {
    checkType(type)
    return makeContentId(type, contentIdHex(this.keys.idKey, type, data))
  }

  /**
   * Hex ids of every content stored, from one listing of `data/` (5000 names per request on Azure). Names
   * under `data/` that are not content names are skipped. Memory: one 64-character string per content.
   */
  async storedIds(): Promise<Set<string>> {
    const ids = new Set<string>()
    for await (const blob of this.store.list(DATA_PREFIX)) {
      const hex = contentHexOf(blob.name)
      if (hex !== undefined) ids.add(hex)
    }
    return ids
  }

  /**
   * Seal and store `data` as a content of `type` unless it is already stored. Idempotent and safe to call
   * concurrently. When it returns, the content exists in the store - provided that every id in `known` was
   * stored and cannot be removed meanwhile (the caller holds a lock that keeps prune out): ids in `known`
   * are neither sealed nor uploaded, and ids this call stores are added to it.
   */
  async save(type: string, data: Uint8Array, known?: Set<string>): Promise<SavedContent> {
    const id = this.idOf(type, data)
    const { hex } = parseContentId(id)
    if (known?.has(hex)) return { id, created: false, size: 0 }
    const sealed = sealEnvelope(this.keys.encKey, 'content', this.context(type, hex), data)
    const result = await this.store.putIfAbsent(contentBlobName(hex), sealed)
    known?.add(hex)
    return { id, created: result === 'created', size: sealed.byteLength }
  }

  /**
   * The plaintext of content `id`, authenticated against its id and type and re-derived to its id.
   * Throws IntegrityError when it is missing, altered, truncated or stored under the wrong name.
   */
  async load(id: ContentId): Promise<Uint8Array> {
    const { hex } = parseContentId(id)
    const name = contentBlobName(hex)
    let bytes: Uint8Array
    try {
      bytes = await this.store.get(name)
    } catch (err) {
      if (err instanceof StoreNotFoundError) throw new IntegrityError(name, `Content ${id} is missing from the repository.`)
      throw err
    }
    return this.openBytes(id, bytes)
  }

  /** Authenticate and decrypt already-fetched bytes of content `id` (see load). */
  openBytes(id: ContentId, bytes: Uint8Array): Uint8Array {
    const { type, hex } = parseContentId(id)
    const name = contentBlobName(hex)
    let plain: Uint8Array
    try {
      plain = openEnvelope(this.keys.encKey, 'content', this.context(type, hex), bytes)
    } catch (err) {
      if (err instanceof AuthenticationError) throw new IntegrityError(name, `Content ${id} is damaged or altered (${err.message}).`)
      throw err
    }
    if (contentIdHex(this.keys.idKey, type, plain) !== hex) {
      throw new IntegrityError(name, `Content ${id} does not hash to its id.`)
    }
    return plain
  }
}

function checkType(type: string): void {
  if (!CONTENT_TYPE_RE.test(type)) throw new RangeError(`"${type}" is not a content type (1-32 of a-z, 0-9, '-', starting with a letter)`)
}
