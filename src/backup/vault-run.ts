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
import type { Entry, ObjectProblem, Snapshot, VaultInfo } from '../repo/types.js'
import type { RequestStats } from '../vault/governor.js'
import type { VaultReader } from '../vault/reader.js'
import type { DeletedObject, ListedObject } from '../vault/types.js'
import { type CaptureContext, type CaptureModes, type Captured, captureCertificate, captureContacts, captureIssuer, captureKey, captureSecret } from './capture.js'
import { carriedDeleted, carriedOnError, deletedEntry } from './carry.js'
import { Channel, TaskPool } from './flow.js'
import { indexSnapshot, previousSnapshot, reusable } from './previous.js'
import type { ProgressTracker } from './progress.js'
import { CONTACTS_KIND, CONTACTS_NAME, entryKey, type IndexedEntry, ISSUER_KIND, signatureOf } from './records.js'
import { Tally, type VaultCounts } from './tally.js'

export type { VaultCounts } from './tally.js'

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

/** The outcome for one vault. */
export interface VaultRunOutcome {
  snapshot: Snapshot
  /** False when not one object yielded anything (every capture failed): the run did nothing useful. */
  useful: boolean
  counts: VaultCounts
  problems: ObjectProblem[]
  requests: RequestStats
}

const CAPTURE: Record<ObjectKind, (ctx: CaptureContext, o: ListedObject, listedAt: number | null) => Promise<Captured>> = {
  secret: captureSecret,
  key: captureKey,
  certificate: captureCertificate,
}

/** How the second pass over the previous snapshot treats an entry. */
type Carry = { kind: 'reuse' } | { kind: 'deleted'; item: DeletedObject; listedAt: number | null } | { kind: 'error'; reason: string }

const DEADLINE_REASON = 'the run reached its deadline before this object'

/**
 * Back up the vault `reader` reads into a new snapshot through `writer`. Throws VaultError (scope `vault`) when
 * the vault cannot be read at all, and the repository's errors when storage fails; no snapshot is written then.
 */
export async function backupVault(writer: RepositoryWriter, reader: VaultReader, target: VaultTarget, opts: VaultRunOptions): Promise<VaultRunOutcome> {
  const tally = new Tally()
  const counts = tally.counts
  const progress = opts.progress
  const previous = await previousSnapshot(writer, reader.url)
  const index: Map<string, IndexedEntry> = previous ? await indexSnapshot(writer, previous) : new Map()
  const carry = new Map<string, Carry>()
  const ctx: CaptureContext = {
    reader,
    writer,
    modes: opts.modes,
    ...(opts.warnVersions === undefined ? {} : { warnVersions: opts.warnVersions }),
    ...(opts.maxNativeVersions === undefined ? {} : { maxNativeVersions: opts.maxNativeVersions }),
    now: () => new Date(opts.clock.now()).toISOString(),
  }
  const deadlineHit = (): boolean => opts.deadline?.aborted === true
  /** The object could not be read: keep its earlier capture (marked) if there is one. */
  const unread = (key: string, reason: string): void => {
    if (index.has(key)) {
      carry.set(key, { kind: 'error', reason })
      counts.carried++
    } else counts.missing++
  }

  // Vault settings first: few requests, and they teach us the vault's region, tenant and clock.
  const settings: Entry[] = []
  const keepSetting = (kind: string, name: string, captured: Captured): void => {
    const failed = tally.note(kind, name, captured.problems)
    if (captured.entry) {
      settings.push(captured.entry)
      counts.vaultSettings++
    } else if (failed && index.has(entryKey(kind, name))) carry.set(entryKey(kind, name), { kind: 'error', reason: captured.problems[0]?.message ?? 'not readable' })
  }
  const kinds = opts.kinds ?? OBJECT_KINDS
  if (kinds.includes('certificate')) {
    for await (const page of reader.issuers()) for (const i of page.items) keepSetting(ISSUER_KIND, i.name, await captureIssuer(ctx, i.name))
    keepSetting(CONTACTS_KIND, CONTACTS_NAME, await captureContacts(ctx))
  }
  // Listing pages are stamped with the vault's clock as last seen before them: make sure it has been seen.
  if (reader.observed.serverTime === undefined && kinds.length > 0) await reader.probe(kinds[0] as ObjectKind)

  const out = new Channel<Entry>(128)
  const pool = new TaskPool(opts.objectConcurrency ?? 64)
  const seen = new Set<string>()

  const captureOne = async (kind: ObjectKind, item: ListedObject, listedAt: number | null): Promise<void> => {
    const key = entryKey(kind, item.name)
    let captured: Captured | undefined
    if (!deadlineHit()) {
      try {
        captured = await CAPTURE[kind](ctx, item, listedAt)
      } catch (err) {
        if (!deadlineHit()) throw err
      }
    }
    if (!captured) {
      tally.deadlineSkipped++
      unread(key, DEADLINE_REASON)
      progress?.fetchedOne(true)
      return
    }
    const failed = tally.note(kind, item.name, captured.problems)
    progress?.fetchedOne(failed)
    if (captured.entry) {
      tally.captured(captured.entry.refs.length > 0)
      await out.push(captured.entry)
    } else if (failed) unread(key, captured.problems.find((p) => p.severity === 'error')?.message ?? 'not readable')
    else counts.vanished++
  }

  /** Every listed object once (the live listing wins over a deletion seen in the same run). */
  const firstSighting = (kind: ObjectKind, name: string): string | undefined => {
    const key = entryKey(kind, name)
    if (seen.has(key)) return undefined
    seen.add(key)
    counts.listed++
    progress?.listedOne()
    return key
  }

  const scanActive = async (kind: ObjectKind): Promise<void> => {
    for await (const page of reader.listActive(kind)) {
      for (const item of page.items) {
        const key = item.managed ? undefined : firstSighting(kind, item.name)
        if (!key) continue
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
  }

  const scanDeleted = async (kind: ObjectKind): Promise<void> => {
    for await (const page of reader.listDeleted(kind)) {
      for (const item of page.items) {
        const key = item.managed ? undefined : firstSighting(kind, item.name)
        if (!key) continue
        counts.deleted++
        progress?.recordedOne()
        const sig = signatureOf(item, 'deleted')
        if (!opts.full && reusable(index.get(key), sig)) carry.set(key, { kind: 'reuse' })
        else if (index.has(key)) carry.set(key, { kind: 'deleted', item, listedAt: page.listedAt })
        else await out.push(deletedEntry(kind, item, sig, page.listedAt, ctx.now()))
      }
    }
  }

  const tracked = async (scan: () => Promise<void>): Promise<void> => {
    progress?.listingStarted()
    try {
      await scan()
    } finally {
      progress?.listingEnded()
    }
  }

  const producing = (async () => {
    try {
      await Promise.all(kinds.flatMap((k) => [tracked(() => scanActive(k)), tracked(() => scanDeleted(k))]))
      await pool.drain()
      out.close()
    } catch (err) {
      out.fail(err)
      await pool.drain().catch(() => {})
    }
  })()

  /** New captures as they complete, then what the previous snapshot still describes correctly. */
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
  const tags = [...new Set([...opts.tags, ...(target.tags ?? [])])]
  try {
    const draft = { vault, tags, ...(opts.description === undefined ? {} : { description: opts.description }) }
    const snapshot = await writer.writeSnapshot(draft, entries(), () => tally.summary(reader.url))
    return { snapshot, useful: tally.useful, counts, problems: tally.problems, requests: reader.connection.governor.stats }
  } finally {
    await producing
  }
}
