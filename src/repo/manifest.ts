/**
 * Snapshot manifests and entry pages: their plaintext JSON layouts and validation. Sealing and naming
 * live in snapshots.ts; this module only turns values into bytes and back, refusing malformed shapes.
 */
import { isJson, isRecord, parseJsonBytes, utf8 } from './encoding.js'
import { type ContentId, type Entry, isContentId, isSnapshotId, type ObjectProblem, type Snapshot, type SnapshotId, type SnapshotSummary, type VaultInfo } from './types.js'

/** The manifest as stored (plaintext before sealing). `id` is not stored: it is the keyed hash of these bytes. */
export interface ManifestBody extends Omit<Snapshot, 'id'> {
  format: 'kvdr-snapshot'
  version: 1
  repositoryId: string
  pageSize: number
}

export function encodeManifest(body: ManifestBody): Uint8Array {
  return utf8(JSON.stringify(body))
}

/** Parse manifest plaintext. Returns a reason string when the shape is wrong. */
export function decodeManifest(bytes: Uint8Array, id: SnapshotId, repositoryId: string): Snapshot | string {
  const m = parseJsonBytes(bytes)
  if (!isRecord(m) || m.format !== 'kvdr-snapshot' || m.version !== 1) return 'not a version-1 snapshot manifest'
  if (m.repositoryId !== repositoryId) return 'it belongs to another repository'
  if (!Number.isInteger(m.seq) || (m.seq as number) < 1) return 'its sequence number is invalid'
  if (m.parent !== null && !isSnapshotId(m.parent)) return 'its parent is invalid'
  if (typeof m.time !== 'string' || Number.isNaN(Date.parse(m.time))) return 'its time is invalid'
  if (!isRecord(m.tool) || typeof m.tool.name !== 'string' || typeof m.tool.version !== 'string') return 'its tool is invalid'
  if (!isVault(m.vault)) return 'its vault is invalid'
  if (!Array.isArray(m.tags) || !m.tags.every((t) => typeof t === 'string')) return 'its tags are invalid'
  if (m.description !== undefined && typeof m.description !== 'string') return 'its description is invalid'
  if (!isSummary(m.summary)) return 'its summary is invalid'
  if (!Number.isInteger(m.entryCount) || (m.entryCount as number) < 0) return 'its entry count is invalid'
  if (!Array.isArray(m.pages) || !m.pages.every(isContentId)) return 'its page list is invalid'
  return {
    id,
    seq: m.seq as number,
    parent: m.parent as SnapshotId | null,
    time: m.time,
    tool: { name: m.tool.name, version: m.tool.version },
    vault: m.vault,
    tags: m.tags as string[],
    ...(m.description === undefined ? {} : { description: m.description }),
    summary: m.summary,
    entryCount: m.entryCount as number,
    pages: m.pages as ContentId[],
  }
}

function isVault(v: unknown): v is VaultInfo {
  if (!isRecord(v) || typeof v.url !== 'string') return false
  return ['subscriptionId', 'tenantId', 'region', 'geography'].every((k) => v[k] === undefined || typeof v[k] === 'string')
}

function isProblem(p: unknown): p is ObjectProblem {
  return isRecord(p) && (p.severity === 'warning' || p.severity === 'error') && typeof p.kind === 'string' && typeof p.name === 'string' && typeof p.message === 'string'
}

/** True for a well-formed summary (non-negative integer counts and a list of problems). */
export function isSummary(s: unknown): s is SnapshotSummary {
  const count = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0
  return isRecord(s) && count(s.done) && count(s.warnings) && count(s.errors) && Array.isArray(s.problems) && s.problems.every(isProblem)
}

/** Returns a reason when `e` is not a valid entry. */
export function entryProblem(e: unknown): string | undefined {
  if (!isRecord(e)) return 'an entry must be an object'
  if (typeof e.kind !== 'string' || e.kind === '') return 'an entry needs a non-empty kind'
  if (typeof e.name !== 'string' || e.name === '') return 'an entry needs a non-empty name'
  if (!Array.isArray(e.refs) || !e.refs.every(isContentId)) return `entry ${e.kind}/${e.name} has a malformed content reference`
  if (!isJson(e.data)) return `entry ${e.kind}/${e.name} has data that is not plain JSON`
  return undefined
}

export function encodePage(entries: Entry[]): Uint8Array {
  return utf8(JSON.stringify({ format: 'kvdr-page', version: 1, entries: entries.map((e) => ({ kind: e.kind, name: e.name, refs: e.refs, data: e.data })) }))
}

/** Parse page plaintext. Returns a reason string when the shape is wrong. */
export function decodePage(bytes: Uint8Array): Entry[] | string {
  const p = parseJsonBytes(bytes)
  if (!isRecord(p) || p.format !== 'kvdr-page' || p.version !== 1 || !Array.isArray(p.entries)) return 'not a version-1 entry page'
  for (const e of p.entries) {
    const problem = entryProblem(e)
    if (problem) return problem
  }
  return p.entries as Entry[]
}
