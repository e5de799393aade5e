/** The repository's public data types: content ids, entries, vault identity, snapshots and their summaries. */
import type { VaultWorld } from '../core/types.js'

/**
 * A reference to one content: `<type>:<64 hex>`, where the hex is the keyed id (HMAC-SHA256 of type and
 * plaintext) and names the blob `data/<first 2 hex>/<64 hex>`. The type travels with the reference (inside
 * encrypted pages) so a reader can bind it as associated data; storage never sees it.
 */
export type ContentId = string & { readonly __contentId: unique symbol }

/** A snapshot id: 64 hex (keyed hash of the manifest plaintext); also the manifest's blob name. */
export type SnapshotId = string & { readonly __snapshotId: unique symbol }

/** Content types: short lowercase words chosen by the layer above (`secret-value`, `key-backup`, ...). */
export const CONTENT_TYPE_RE = /^[a-z][a-z0-9-]{0,31}$/
/** The content type the repository itself uses for entry pages. Reserved. */
export const PAGE_TYPE = 'kvdr-page'
const CONTENT_ID_RE = /^([a-z][a-z0-9-]{0,31}):([0-9a-f]{64})$/
const SNAPSHOT_ID_RE = /^[0-9a-f]{64}$/

/** JSON values, as stored in entry `data`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/**
 * One backed-up object. The repository does not interpret `kind`, `name` or `data`; `data` is the backup
 * layer's per-object record and must be plain JSON that never holds secret values (those go in contents,
 * referenced from `refs`).
 */
export interface Entry {
  kind: string
  name: string
  refs: ContentId[]
  data: Json
}

/** The vault a snapshot was taken from. `url` groups snapshots (for forget, parents and listing). */
export interface VaultInfo extends VaultWorld {
  url: string
}

/** One per-object problem of a run, as reported by the layer that wrote the snapshot. */
export interface ObjectProblem {
  severity: 'warning' | 'error'
  kind: string
  name: string
  message: string
}

/** Outcome of the run that produced a snapshot. */
export interface SnapshotSummary {
  done: number
  warnings: number
  errors: number
  problems: ObjectProblem[]
}

/** What the writer of a snapshot supplies besides its entries. */
export interface SnapshotDraft {
  vault: VaultInfo
  tags?: string[]
  description?: string
  /** Defaults to the repository's clock. */
  time?: Date
}

/** A snapshot as read back from its (authenticated) manifest. */
export interface Snapshot {
  id: SnapshotId
  /** Position in the repository's history: 1 + the highest sequence the writer knew of. */
  seq: number
  /** The newest snapshot of the same vault when this one was written, if any. */
  parent: SnapshotId | null
  /** ISO 8601 (UTC). */
  time: string
  tool: { name: string; version: string }
  vault: VaultInfo
  tags: string[]
  description?: string
  summary: SnapshotSummary
  entryCount: number
  pages: ContentId[]
}

export function isContentId(v: unknown): v is ContentId {
  return typeof v === 'string' && CONTENT_ID_RE.test(v)
}

export function isSnapshotId(v: unknown): v is SnapshotId {
  return typeof v === 'string' && SNAPSHOT_ID_RE.test(v)
}

/** Split a content id into its type and hex id. Throws RangeError for a malformed id. */
export function parseContentId(id: string): { type: string; hex: string } {
  const m = CONTENT_ID_RE.exec(id)
  if (!m) throw new RangeError(`"${id}" is not a content id`)
  return { type: m[1] as string, hex: m[2] as string }
}

export function makeContentId(type: string, hex: string): ContentId {
  return `${type}:${hex}` as ContentId
}

/** Where contents live. */
export const DATA_PREFIX = 'data/'
const CONTENT_BLOB_RE = /^data\/([0-9a-f]{2})\/([0-9a-f]{64})$/

/** The blob name of a content: `data/<2 hex>/<64 hex>`. */
export function contentBlobName(hex: string): string {
  return `${DATA_PREFIX}${hex.slice(0, 2)}/${hex}`
}

/** The hex id of a content blob name, or undefined when `name` is not one (a stray blob under data/). */
export function contentHexOf(name: string): string | undefined {
  const m = CONTENT_BLOB_RE.exec(name)
  return m && m[1] === (m[2] as string).slice(0, 2) ? m[2] : undefined
}

export function snapshotBlobName(id: SnapshotId): string {
  return `snapshots/${id}`
}
