/**
 * Backing up one vault into one snapshot, streaming: the vault's listings (active and soft-deleted, per kind) are
 * compared object by object with the previous snapshot's index; changed objects are fetched with bounded
 * concurrency and sealed as they arrive, unchanged ones are re-emitted from the previous snapshot afterwards.
 * The manifest is written last (the repository's commit point), so an interrupted run leaves no snapshot and its
 * uploaded contents are reused by the next. Per-object failures are recorded and do not stop the run;
 * vault-wide failures (auth, firewall, unreachable) abort it without a snapshot.
 */
import type { Clock } from '../core/clock.js'
import { geographyOf } from '../core/geography.js'
import { OBJECT_KINDS, type ObjectKind } from '../core/types.js'
import type { RepositoryWriter } from '../repo/repository.js'
import type { Entry, ObjectProblem, Snapshot, SnapshotSummary, VaultInfo } from '../repo/types.js'
import type { RequestStats } from '../vault/governor.js'
import type { VaultReader } from '../vault/reader.js'
import type { DeletedObject, ListedObject } from '../vault/types.js'
import { type CaptureContext, type CaptureModes, type Captured, captureCertificate, captureContacts, captureIssuer, captureKey, captureSecret, type Problem } from './capture.js'
import { Channel, TaskPool } from './flow.js'
import { indexSnapshot, previousSnapshot, reusable } from './previous.js'
import type { ProgressTracker } from './progress.js'
import { CONTACTS_KIND, CONTACTS_NAME, entryKey, type IndexedEntry, isObjectRecord, ISSUER_KIND, type ListingSignature, type ObjectRecordBase, RECORD_VERSION, signatureOf, toEntry } from './records.js'

/** A vault to back up, with what the data plane cannot tell: its subscription and the snapshot tags for it. */
export interface VaultTarget {
  url: string
  subscriptionId?: string
  tags?: string[]
}

export interface VaultRunOptions {
  modes: CaptureModes
  /** Object kinds to back up (default all; certificate issuers and contacts go with certificates). */
  kinds?: readonly ObjectKind[]
  /** Read everything, ignoring what the previous snapshot already holds. */
  full: boolean
  tags: string[]
  description?: string
  /** Objects being captured at once (default 64). */
  objectConcurrency?: number
  warnVersions?: number
  maxNativeVersions?: number
  /** Fires at the run's deadline: objects not reached are carried from the previous snapshot or reported missing. */
  deadline?: AbortSignal
  clock: Clock
  progress?: ProgressTracker
}

/** What happened to the objects of a vault. */
export interface VaultCounts {
  /** Objects in the vault's listings (managed key/secret pairs of certificates excluded). */
  listed: number
  /** Fetched and captured this run. */
  captured: number
  /** Unchanged since the previous snapshot: its entry reused without any request. */
  reused: number
  /** Soft-deleted objects recorded as such. */
  deleted: number
  /** Not readable this run: the previous snapshot's capture was kept, marked as carried. */
  carried: number
  /** Not in this snapshot because they could not be read and no earlier capture existed. */
  missing: number
  /** Deleted while the run was going (not in this snapshot). */
  vanished: number
  /** Certificate-issuer and contacts entries. */
  vaultSettings: number
}

/** The outcome for one vault. */
export interface VaultRunOutcome {
  snapshot: Snapshot
  /** False when not one object yielded anything (every capture failed): the run did nothing useful. */
  useful: boolean
  counts: VaultCounts
  problems: ObjectProblem[]
  requests: RequestStats
}

/** Most problems stored in a manifest; the rest are summarised in one more problem. */
export const MAX_STORED_PROBLEMS = 1000

const CAPTURE: Record<ObjectKind, (ctx: CaptureContext, o: ListedObject, listedAt: number | null) => Promise<Captured>> = {
  secret: captureSecret,
  key: captureKey,
  certificate: captureCertificate,
}

/** Carry-forward instructions for the second pass over the previous snapshot. */
type Carry = { kind: 'reuse' } | { kind: 'deleted'; item: DeletedObject; listedAt: number | null } | { kind: 'error'; reason: string }

/**
 * Back up the vault `reader` reads into a new snapshot through `writer`. Throws VaultError (scope `vault`) when
 * the vault cannot be read at all, and the repository's errors when storage fails; no snapshot is written then.
 */
export async function backupVault(writer: RepositoryWriter, reader: VaultReader, target: VaultTarget, opts: VaultRunOptions): Promise<VaultRunOutcome> {
  const clock = opts.clock
  const counts: VaultCounts = { listed: 0, captured: 0, reused: 0, deleted: 0, carried: 0, missing: 0, vanished: 0, vaultSettings: 0 }
  const problems: ObjectProblem[] = []
  let problemCount = { warnings: 0, errors: 0 }
  const note = (kind: string, name: string, ps: Problem[]): void => {
    for (const p of ps) {
      if (p.severity === 'error') problemCount = { ...problemCount, errors: problemCount.errors + 1 }
      else problemCount = { ...problemCount, warnings: problemCount.warnings + 1 }
      if (problems.length < MAX_STORED_PROBLEMS) problems.push({ severity: p.severity, kind, name, message: p.message })
    }
  }
  let objectsWithErrors = 0
  let capturedSomething = false

  const previous = await previousSnapshot(writer, reader.url)
  const index: Map<string, IndexedEntry> = previous ? await indexSnapshot(writer, previous) : new Map()
  const carry = new Map<string, Carry>()
  const ctx: CaptureContext = {
    reader,
    writer,
    modes: opts.modes,
    ...(opts.warnVersions === undefined ? {} : { warnVersions: opts.warnVersions }),
    ...(opts.maxNativeVersions === undefined ? {} : { maxNativeVersions: opts.maxNativeVersions }),
    now: () => new Date(clock.now()).toISOString(),
  }
  const deadlineHit = (): boolean => opts.deadline?.aborted === true
  let deadlineSkipped = 0

  // Vault settings first: few requests, and they teach us the vault's region, tenant and clock.
  const settings: Entry[] = []
  const keepSetting = async (kind: string, name: string, captured: Captured): Promise<void> => {
    note(kind, name, captured.problems)
    if (captured.entry) {
      settings.push(captured.entry)
      counts.vaultSettings++
    } else if (captured.problems.some((p) => p.severity === 'error') && index.has(entryKey(kind, name))) {
      carry.set(entryKey(kind, name), { kind: 'error', reason: captured.problems[0]?.message ?? 'not readable' })
    }
  }
  const kinds = opts.kinds ?? OBJECT_KINDS
  if (kinds.includes('certificate')) {
    for await (const page of reader.issuers()) for (const i of page.items) await keepSetting(ISSUER_KIND, i.name, await captureIssuer(ctx, i.name))
    await keepSetting(CONTACTS_KIND, CONTACTS_NAME, await captureContacts(ctx))
  }

  // Listing pages are stamped with the vault's clock as last seen before them: make sure it has been seen.
  if (reader.observed.serverTime === undefined && kinds.length > 0) await reader.probe(kinds[0] as ObjectKind)

  const out = new Channel<Entry>(128)
  const pool = new TaskPool(opts.objectConcurrency ?? 64)
  const seen = new Set<string>()
  const progress = opts.progress

  const captureOne = async (kind: ObjectKind, item: ListedObject, listedAt: number | null): Promise<void> => {
    const key = entryKey(kind, item.name)
    if (deadlineHit()) {
      deadlineSkipped++
      if (index.has(key)) carry.set(key, { kind: 'error', reason: 'the run reached its deadline before this object' })
      progress?.fetchedOne(true)
      return
    }
    let captured: Captured
    try {
      captured = await CAPTURE[kind](ctx, item, listedAt)
    } catch (err) {
      if (!deadlineHit()) throw err
      deadlineSkipped++
      if (index.has(key)) carry.set(key, { kind: 'error', reason: 'the run reached its deadline before this object' })
      progress?.fetchedOne(true)
      return
    }
    note(kind, item.name, captured.problems)
    const failed = captured.problems.some((p) => p.severity === 'error')
    if (failed) objectsWithErrors++
    progress?.fetchedOne(failed)
    if (captured.entry) {
      counts.captured++
      if (captured.entry.refs.length > 0) capturedSomething = true
      await out.push(captured.entry)
    } else if (failed && index.has(key)) {
      counts.carried++
      carry.set(key, { kind: 'error', reason: captured.problems.find((p) => p.severity === 'error')?.message ?? 'not readable' })
    } else if (failed) counts.missing++
    else counts.vanished++
  }

  const scanActive = async (kind: ObjectKind): Promise<void> => {
    progress?.listingStarted()
    try {
      for await (const page of reader.listActive(kind)) {
        for (const item of page.items) {
          if (item.managed) continue
          const key = entryKey(kind, item.name)
          if (seen.has(key)) continue
          seen.add(key)
          counts.listed++
          progress?.listedOne()
          if (!opts.full && reusable(index.get(key), signatureOf(item, 'active'))) {
            carry.set(key, { kind: 'reuse' })
            counts.reused++
            progress?.reusedOne()
            continue
          }
          progress?.willFetch()
          await pool.start(() => captureOne(kind, item, page.listedAt))
        }
      }
    } finally {
      progress?.listingEnded()
    }
  }

  const scanDeleted = async (kind: ObjectKind): Promise<void> => {
    progress?.listingStarted()
    try {
      for await (const page of reader.listDeleted(kind)) {
        for (const item of page.items) {
          if (item.managed) continue
          const key = entryKey(kind, item.name)
          if (seen.has(key)) continue
          seen.add(key)
          counts.listed++
          counts.deleted++
          progress?.listedOne()
          progress?.recordedOne()
          const sig = signatureOf(item, 'deleted')
          if (!opts.full && reusable(index.get(key), sig)) carry.set(key, { kind: 'reuse' })
          else if (index.has(key)) carry.set(key, { kind: 'deleted', item, listedAt: page.listedAt })
          else await out.push(deletedEntry(kind, item, sig, page.listedAt, ctx.now()))
        }
      }
    } finally {
      progress?.listingEnded()
    }
  }

  const producing = (async () => {
    try {
      await Promise.all(kinds.flatMap((k) => [scanActive(k), scanDeleted(k)]))
      await pool.drain()
      out.close()
    } catch (err) {
      out.fail(err)
      await pool.drain().catch(() => {})
    }
  })()

  async function* entries(): AsyncIterable<Entry> {
    yield* settings
    yield* out
    if (!previous || carry.size === 0) return
    for await (const e of writer.entries(previous)) {
      const c = carry.get(entryKey(e.kind, e.name))
      if (!c) continue
      if (c.kind === 'reuse') yield e
      else if (c.kind === 'deleted') yield carriedDeleted(e, c.item, c.listedAt)
      else yield carriedOnError(e, c.reason)
    }
  }

  const region = reader.observed.region
  const geography = geographyOf(region)
  const vault: VaultInfo = {
    url: reader.url,
    ...(target.subscriptionId ? { subscriptionId: target.subscriptionId } : {}),
    ...(reader.observed.tenantId ? { tenantId: reader.observed.tenantId } : {}),
    ...(region ? { region } : {}),
    ...(geography ? { geography } : {}),
  }
  const summary = (): SnapshotSummary => {
    if (deadlineSkipped > 0) note('vault', reader.url, [{ severity: 'error', message: `The run reached its deadline: ${deadlineSkipped} object(s) were not read (earlier captures kept where this repository has them).` }])
    const stored = [...problems]
    const total = problemCount.warnings + problemCount.errors
    if (total > stored.length) stored.push({ severity: 'warning', kind: 'vault', name: reader.url, message: `${total - stored.length} more problem(s) not stored.` })
    const done = counts.captured + counts.reused + counts.deleted + counts.vaultSettings - objectsWithErrors
    return { done: Math.max(0, done), warnings: problemCount.warnings, errors: problemCount.errors, problems: stored }
  }
  const tags = [...new Set([...opts.tags, ...(target.tags ?? [])])]
  try {
    const snapshot = await writer.writeSnapshot({ vault, tags, ...(opts.description === undefined ? {} : { description: opts.description }) }, entries(), summary)
    const useful = capturedSomething || counts.reused + counts.deleted + counts.vaultSettings > 0 || problemCount.errors === 0
    return { snapshot, useful, counts, problems, requests: reader.connection.governor.stats }
  } finally {
    await producing
  }
}

/** A soft-deleted object this repository has no capture of: its state only. */
function deletedEntry(kind: ObjectKind, item: DeletedObject, sig: ListingSignature, listedAt: number | null, now: string): Entry {
  const record: ObjectRecordBase & { versions: never[]; native: null } = {
    v: RECORD_VERSION,
    state: 'deleted',
    listing: sig,
    listedAt,
    deleted: compactDeleted(item),
    capturedAt: now,
    versions: [],
    native: null,
    restore: { sameWorld: false, anywhere: 'none', notes: ['soft-deleted before kvdr captured it: recover it in the vault (kvdr recover) while it is recoverable'] },
  }
  return toEntry(kind, item.name, [], record)
}

function compactDeleted(item: DeletedObject): { deletedOn?: string; scheduledPurgeDate?: string; recoveryId?: string } {
  return {
    ...(item.deletedOn ? { deletedOn: item.deletedOn } : {}),
    ...(item.scheduledPurgeDate ? { scheduledPurgeDate: item.scheduledPurgeDate } : {}),
    ...(item.recoveryId ? { recoveryId: item.recoveryId } : {}),
  }
}

/** The previous capture of an object that is now soft-deleted: same contents, now marked deleted. */
function carriedDeleted(prev: Entry, item: DeletedObject, listedAt: number | null): Entry {
  if (!isObjectRecord(prev.data)) return prev
  const d = prev.data as unknown as ObjectRecordBase & Record<string, unknown>
  const { carried: _c, ...rest } = d
  const record = {
    ...rest,
    state: 'deleted' as const,
    listing: signatureOf(item, 'deleted'),
    listedAt,
    deleted: compactDeleted(item),
    restore: { ...d.restore, notes: [...d.restore.notes.filter((n) => !n.startsWith('soft-deleted')), 'soft-deleted: recover it in the vault while recoverable, or restore this capture'] },
  }
  return toEntry(prev.kind, prev.name, prev.refs, record)
}

/** The previous capture of an object this run could not read, marked as carried forward. */
function carriedOnError(prev: Entry, reason: string): Entry {
  const d = prev.data as Record<string, unknown>
  if (typeof d !== 'object' || d === null) return prev
  const capturedAt = typeof d.capturedAt === 'string' ? d.capturedAt : null
  const earlier = (d.carried as { capturedAt?: string | null } | undefined)?.capturedAt
  return toEntry(prev.kind, prev.name, prev.refs, { ...d, carried: { reason, capturedAt: earlier ?? capturedAt } })
}
