/**
 * Snapshot manifests (`snapshots/<id>`): sealed, named by the keyed hash of their plaintext and bound to
 * that name as associated data, so altering, truncating, swapping or replaying one under another name is
 * detected. Entries stream through sealed pages; the manifest is written last, as the commit point.
 */
import { KvdrError, ExitCode, UsageError } from '../core/errors.js'
import { openEnvelope, sealEnvelope } from '../crypto/envelope.js'
import { AuthenticationError } from '../crypto/errors.js'
import { snapshotIdHex } from '../crypto/ids.js'
import type { MasterKeys } from '../crypto/master.js'
import { type ObjectStore, StoreNotFoundError } from '../store/types.js'
import { collect, mapLimit } from './concurrency.js'
import type { Contents } from './contents.js'
import { IntegrityError } from './errors.js'
import { decodeManifest, decodePage, encodeManifest, encodePage, entryProblem, isSummary, type ManifestBody } from './manifest.js'
import {
  type ContentId,
  type Entry,
  isSnapshotId,
  PAGE_TYPE,
  type Snapshot,
  type SnapshotDraft,
  type SnapshotId,
  type SnapshotSummary,
  snapshotBlobName,
} from './types.js'

export const SNAPSHOTS_PREFIX = 'snapshots/'
/** Parallel reads when listing manifests. */
const READ_CONCURRENCY = 16

/** A blob that could not be used, and why. */
export interface BlobProblem {
  blob: string
  message: string
}

export interface SnapshotListing {
  /** Readable snapshots, oldest first (by time, then sequence). */
  snapshots: Snapshot[]
  /** Manifests that failed to authenticate or parse, and stray names under `snapshots/`. */
  problems: BlobProblem[]
}

/** Raised when a snapshot id or prefix names no snapshot (exit 2). */
export class SnapshotNotFoundError extends KvdrError {
  constructor(ref: string) {
    super('SNAPSHOT_NOT_FOUND', ExitCode.Usage, `No snapshot matches "${ref}".`, { hint: 'List snapshots with `kvdr snapshots list`; ids may be shortened to 8 characters.' })
    this.name = 'SnapshotNotFoundError'
  }
}

export interface WriteOptions {
  pageSize: number
  now: Date
  tool: { name: string; version: string }
  /** The written sequence is above this (the highest sequence this client remembers for the repository). */
  seqFloor: number
  /** Sequences of forgotten snapshots, so a new snapshot never reuses a forgotten one's position. */
  forgottenMaxSeq: number
  /** Content ids known to be stored (the writer's); pages among them are not uploaded again. See Contents.save. */
  known?: Set<string>
}

export class Snapshots {
  constructor(
    private readonly store: ObjectStore,
    private readonly keys: MasterKeys,
    private readonly repositoryId: string,
    private readonly contents: Contents,
  ) {}

  private context(id: string): string {
    return `kvdr/snapshot/v1\0${this.repositoryId}\0${id}`
  }

  /** Authenticate and decode manifest bytes stored under `snapshots/<id>`. Throws IntegrityError. */
  openManifest(id: SnapshotId, bytes: Uint8Array): Snapshot {
    const blob = snapshotBlobName(id)
    let plain: Uint8Array
    try {
      plain = openEnvelope(this.keys.encKey, 'snapshot', this.context(id), bytes)
    } catch (err) {
      if (err instanceof AuthenticationError) {
        throw new IntegrityError(blob, `Snapshot manifest ${id} is damaged, altered, or stored under another snapshot's name.`)
      }
      throw err
    }
    if (snapshotIdHex(this.keys.idKey, plain) !== id) throw new IntegrityError(blob, `Snapshot manifest ${id} does not hash to its name.`)
    const snap = decodeManifest(plain, id, this.repositoryId)
    if (typeof snap === 'string') throw new IntegrityError(blob, `Snapshot manifest ${id} is malformed: ${snap}.`)
    return snap
  }

  /** Load one snapshot by full id. Throws SnapshotNotFoundError or IntegrityError. */
  async load(id: SnapshotId): Promise<Snapshot> {
    let bytes: Uint8Array
    try {
      bytes = await this.store.get(snapshotBlobName(id))
    } catch (err) {
      if (err instanceof StoreNotFoundError) throw new SnapshotNotFoundError(id)
      throw err
    }
    return this.openManifest(id, bytes)
  }

  /** Names of every blob under `snapshots/` (manifests and strays). */
  async names(): Promise<string[]> {
    return (await collect(this.store.list(SNAPSHOTS_PREFIX))).map((b) => b.name)
  }

  /** Read and verify every manifest. Never stops at a bad one: those are returned as problems. */
  async list(): Promise<SnapshotListing> {
    const names = await this.names()
    const problems: BlobProblem[] = []
    const ids: SnapshotId[] = []
    for (const name of names) {
      const id = name.slice(SNAPSHOTS_PREFIX.length)
      if (isSnapshotId(id)) ids.push(id)
      else problems.push({ blob: name, message: 'stray blob: not a snapshot manifest name' })
    }
    const loaded = await mapLimit(ids, READ_CONCURRENCY, async (id) => {
      try {
        return await this.load(id)
      } catch (err) {
        if (err instanceof IntegrityError) {
          problems.push({ blob: err.blob, message: err.message })
          return undefined
        }
        if (err instanceof SnapshotNotFoundError) return undefined // deleted while listing
        throw err
      }
    })
    const snapshots = loaded.filter((s): s is Snapshot => s !== undefined).sort(bySnapshotTime)
    return { snapshots, problems }
  }

  /** Decode one page; throws IntegrityError naming the page and snapshot. */
  async loadPage(page: ContentId, snapshot: SnapshotId): Promise<Entry[]> {
    const entries = decodePage(await this.contents.load(page))
    if (typeof entries === 'string') throw new IntegrityError(page, `Entry page ${page} of snapshot ${snapshot} is malformed: ${entries}.`)
    return entries
  }

  /**
   * Stream a snapshot's entries in stored order, one page in memory plus the next one being fetched.
   * Throws IntegrityError when a page is missing or altered, or the entry count differs from the manifest.
   */
  async *entries(snapshot: Snapshot): AsyncIterable<Entry> {
    let count = 0
    let next: Promise<Entry[]> | undefined = snapshot.pages[0] ? this.loadPage(snapshot.pages[0], snapshot.id) : undefined
    for (let i = 0; i < snapshot.pages.length; i++) {
      const current = await (next as Promise<Entry[]>)
      const following = snapshot.pages[i + 1]
      next = following ? this.loadPage(following, snapshot.id) : undefined
      next?.catch(() => {}) // surfaced when awaited
      for (const e of current) {
        count++
        yield e
      }
    }
    if (count !== snapshot.entryCount) {
      throw new IntegrityError(snapshotBlobName(snapshot.id), `Snapshot ${snapshot.id} lists ${snapshot.entryCount} entries but its pages hold ${count}.`)
    }
  }

  /**
   * Write a snapshot: entries are packed into sealed pages of `pageSize` as they arrive, then the manifest
   * is written last with putIfAbsent (the commit point). If this throws before the manifest, no snapshot
   * is visible and every page written stays reusable. The caller holds a shared lock. Returns the snapshot
   * and the other snapshots as listed just before the commit.
   */
  async write(
    draft: SnapshotDraft,
    entries: AsyncIterable<Entry> | Iterable<Entry>,
    summary: SnapshotSummary | (() => SnapshotSummary),
    opts: WriteOptions,
  ): Promise<{ snapshot: Snapshot; others: Snapshot[] }> {
    if (!draft.vault || typeof draft.vault.url !== 'string' || draft.vault.url === '') throw new UsageError('A snapshot needs the URL of its vault.')
    const pages: ContentId[] = []
    let buffer: Entry[] = []
    let entryCount = 0
    const flush = async (): Promise<void> => {
      if (buffer.length === 0) return
      const saved = await this.contents.save(PAGE_TYPE, encodePage(buffer), opts.known)
      pages.push(saved.id)
      buffer = []
    }
    for await (const e of entries) {
      const problem = entryProblem(e)
      if (problem) throw new TypeError(`Cannot write entry: ${problem}`)
      buffer.push(e)
      entryCount++
      if (buffer.length >= opts.pageSize) await flush()
    }
    await flush()
    const result = typeof summary === 'function' ? summary() : summary
    if (!isSummary(result)) throw new TypeError('Cannot write snapshot: the summary is malformed')

    const { snapshots } = await this.list()
    const maxSeq = Math.max(opts.seqFloor, opts.forgottenMaxSeq, ...snapshots.map((s) => s.seq))
    const sameVault = snapshots.filter((s) => s.vault.url === draft.vault.url)
    const parent = sameVault.length ? (sameVault[sameVault.length - 1] as Snapshot).id : null
    const body: ManifestBody = {
      format: 'kvdr-snapshot',
      version: 1,
      repositoryId: this.repositoryId,
      seq: maxSeq + 1,
      parent,
      time: (draft.time ?? opts.now).toISOString(),
      tool: opts.tool,
      vault: { ...draft.vault },
      tags: [...new Set(draft.tags ?? [])].sort(),
      ...(draft.description === undefined ? {} : { description: draft.description }),
      summary: { done: result.done, warnings: result.warnings, errors: result.errors, problems: result.problems },
      entryCount,
      pageSize: opts.pageSize,
      pages,
    }
    const plain = encodeManifest(body)
    const id = snapshotIdHex(this.keys.idKey, plain) as SnapshotId
    await this.store.putIfAbsent(snapshotBlobName(id), sealEnvelope(this.keys.encKey, 'snapshot', this.context(id), plain))
    const { format: _f, version: _v, repositoryId: _r, pageSize: _p, ...rest } = body
    return { snapshot: { id, ...rest }, others: snapshots }
  }
}

/** Oldest first: by time, then by sequence, then by id (a total order). */
export function bySnapshotTime(a: Snapshot, b: Snapshot): number {
  return Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}
