/**
 * Entries an incremental run derives without reading the object: a soft-deleted object's state (alone, or over its
 * earlier capture) and an unreadable object's earlier capture marked as carried.
 */
import type { ObjectKind } from '../core/types.js'
import type { Entry } from '../repo/types.js'
import type { DeletedObject } from '../vault/types.js'
import { isObjectRecord, type ListingSignature, type ObjectRecordBase, RECORD_VERSION, signatureOf, toEntry } from './records.js'

function deletedFields(item: DeletedObject): { deletedOn?: string; scheduledPurgeDate?: string; recoveryId?: string } {
  return {
    ...(item.deletedOn ? { deletedOn: item.deletedOn } : {}),
    ...(item.scheduledPurgeDate ? { scheduledPurgeDate: item.scheduledPurgeDate } : {}),
    ...(item.recoveryId ? { recoveryId: item.recoveryId } : {}),
  }
}

/** A soft-deleted object this repository has no capture of: its state only. */
export function deletedEntry(kind: ObjectKind, item: DeletedObject, sig: ListingSignature, listedAt: number | null, now: string): Entry {
  const record: ObjectRecordBase & { versions: never[]; native: null } = {
    v: RECORD_VERSION,
    state: 'deleted',
    listing: sig,
    listedAt,
    deleted: deletedFields(item),
    capturedAt: now,
    versions: [],
    native: null,
    restore: { sameWorld: false, anywhere: 'none', notes: ['soft-deleted before kvdr captured it: recover it in the vault while it is recoverable'] },
  }
  return toEntry(kind, item.name, [], record)
}

/** The previous capture of an object that is now soft-deleted: same contents, now marked deleted. */
export function carriedDeleted(prev: Entry, item: DeletedObject, listedAt: number | null): Entry {
  if (!isObjectRecord(prev.data)) return prev
  const d = prev.data as unknown as ObjectRecordBase & Record<string, unknown>
  const { carried: _c, ...rest } = d
  const record = {
    ...rest,
    state: 'deleted' as const,
    listing: signatureOf(item, 'deleted'),
    listedAt,
    deleted: deletedFields(item),
    restore: { ...d.restore, notes: [...d.restore.notes.filter((n) => !n.startsWith('soft-deleted')), 'soft-deleted: recover it in the vault while recoverable, or restore this capture'] },
  }
  return toEntry(prev.kind, prev.name, prev.refs, record)
}

/** The previous capture of an object this run could not read, marked as carried forward. */
export function carriedOnError(prev: Entry, reason: string): Entry {
  const d = prev.data as Record<string, unknown>
  if (typeof d !== 'object' || d === null) return prev
  const capturedAt = typeof d.capturedAt === 'string' ? d.capturedAt : null
  const earlier = (d.carried as { capturedAt?: string | null } | undefined)?.capturedAt
  return toEntry(prev.kind, prev.name, prev.refs, { ...d, carried: { reason, capturedAt: earlier ?? capturedAt } })
}
