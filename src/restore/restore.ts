/**
 * `kvdr restore` as a library call: choose the snapshot and objects, plan every object against the target (reads
 * only), and - unless it is a dry run - apply the plan object by object within the target's budget. Returns the
 * plan and each object's outcome with the run's exit code: 0 everything done or identical, 3 some objects failed
 * or are impossible there, 1 nothing could be done, 23 a purge was refused. Never prints or returns a value.
 */
import type { TokenCredential } from '@azure/core-auth'
import { type Clock, systemClock } from '../core/clock.js'
import { ExitCode, type ExitCodeValue, KvdrError, UsageError } from '../core/errors.js'
import type { ObjectRef } from '../core/types.js'
import { mapLimit } from '../repo/concurrency.js'
import type { RepositoryReader } from '../repo/repository.js'
import type { BudgetLimits } from '../vault/budget.js'
import { VaultConnection } from '../vault/connection.js'
import { VaultReader } from '../vault/reader.js'
import type { RequestStats } from '../vault/governor.js'
import type { RetryOptions } from '../vault/retry.js'
import type { TransportOptions } from '../vault/transport.js'
import { parseVaultUrl } from '../vault/url.js'
import { VaultWriter } from '../vault/writer.js'
import { applyItem } from './apply.js'
import { planRestore } from './plan.js'
import { chooseSnapshot, type NameMapping, type Selection, selectObjects, type SourceObject } from './source.js'
import type { ConflictPolicy, ObjectOutcome, RestoreMode, RestorePlan, RestoreResult } from './types.js'

export interface RestoreOptions {
  /** The target vault URL. */
  to: string
  /** The vault whose snapshots to use (default: the target's, else the repository's only vault). */
  from?: string
  /** `latest` (default), an id or a prefix. */
  snapshot?: string
  /** Per object, the state current at this time (the vault's newest snapshot at or before it; versions created by then). */
  asOf?: Date
  selection?: Selection
  mapping?: NameMapping
  /** Make the value current at `asOf` the newest version of this secret again (value mode). */
  rollback?: ObjectRef
  mode?: RestoreMode
  onConflict?: ConflictPolicy
  /** Purge soft-deleted objects that block a restore (only after `confirmPurge` agrees; never under purge protection). */
  purgeDeleted?: boolean
  /** Asked once, with the plan, before anything is purged. Without it (or when it answers false) nothing is purged. */
  confirmPurge?: (plan: RestorePlan) => Promise<boolean>
  /** The target's subscription (the data plane does not reveal it). */
  targetSubscription?: string
  dryRun?: boolean
  credential?: TokenCredential
  transport?: TransportOptions
  maxConcurrency?: number
  limits?: BudgetLimits
  retry?: Partial<RetryOptions>
  /** Objects restored at once (default 16). */
  objectConcurrency?: number
  /** Longest wait for a name Key Vault is still deleting (default 120 s). */
  nameWaitMs?: number
  clock?: Clock
  toolVersion?: string
  /** Called once the plan is made, before anything is written (progress). */
  onPlan?: (plan: RestorePlan) => void
  /** Called after each object is applied (progress). */
  onOutcome?: (o: ObjectOutcome) => void
}

export interface RestoreRun extends RestoreResult {
  requests: RequestStats
}

/** The vault whose snapshots to restore from. */
async function sourceVault(repo: Pick<RepositoryReader, 'listSnapshots'>, options: RestoreOptions, to: string): Promise<string | undefined> {
  if (options.from !== undefined) return parseVaultUrl(options.from).url
  const { snapshots } = await repo.listSnapshots()
  const vaults = [...new Set(snapshots.map((s) => s.vault.url))]
  if (vaults.includes(to)) return to
  if (vaults.length <= 1) return vaults[0]
  throw new UsageError(`The repository holds snapshots of ${vaults.length} vaults and none of ${to}.`, { hint: `Name the source vault with --from (one of: ${vaults.join(', ')}), or give --snapshot <id>.` })
}

/** Exit code and counts from the outcomes (see the module comment). */
export function summarize(outcomes: readonly ObjectOutcome[]): { summary: RestoreResult['summary']; exitCode: ExitCodeValue } {
  const summary = { done: 0, skipped: 0, warnings: 0, errors: 0, refused: 0 }
  for (const o of outcomes) {
    if (o.status === 'done') summary.done++
    else if (o.status === 'skipped') summary.skipped++
    else if (o.status === 'warning') summary.warnings++
    else summary.errors++
    if (o.code === 'REFUSED') summary.refused++
  }
  const exitCode = summary.refused > 0 ? ExitCode.Refused : summary.errors === 0 ? ExitCode.Success : summary.done + summary.skipped + summary.warnings > 0 ? ExitCode.Partial : ExitCode.Failure
  return { summary, exitCode }
}

/** What a plan predicts, as outcomes (dry runs and refused runs). */
function predicted(plan: RestorePlan, note: (p: RestorePlan['objects'][number]) => string): ObjectOutcome[] {
  return plan.objects.map((p) => {
    const status = p.action === 'skip' ? 'skipped' : p.action === 'impossible' || p.refused ? 'error' : p.action === 'conflict' ? 'warning' : 'done'
    return { ...p, status, message: note(p), written: 0, ...(p.refused ? { code: 'REFUSED' } : p.action === 'impossible' ? { code: 'IMPOSSIBLE' } : {}) }
  })
}

/**
 * Plan and (unless `dryRun`) apply a restore from `repo` into `options.to`. Throws UsageError for bad selections,
 * the repository's errors, a vault-wide VaultError when the target cannot be used at all, and KvdrError
 * PURGE_NOT_CONFIRMED (exit 23) when purges are planned but not confirmed. Per-object failures are outcomes.
 */
export async function runRestore(repo: Pick<RepositoryReader, 'listSnapshots' | 'resolveSnapshot' | 'entries' | 'loadContent' | 'fingerprint'>, options: RestoreOptions): Promise<RestoreRun> {
  const to = parseVaultUrl(options.to).url
  if (options.rollback && options.asOf === undefined) throw new UsageError('--rollback needs --as-of.', { hint: 'For example: kvdr restore --rollback secret/db-password --as-of 2026-03-01T12:00:00Z --to <vault>.' })
  if (options.rollback && options.rollback.kind !== 'secret') throw new UsageError('--rollback works on secrets.', { hint: 'Write --rollback secret/<name>. Certificates and keys: restore a version with secret/<name>/<version>-style selection or --as-of.' })
  const vault = await sourceVault(repo, options, to)
  const snapshot = await chooseSnapshot(repo, { ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }), ...(options.asOf === undefined ? {} : { asOf: options.asOf }), ...(vault === undefined ? {} : { vault }) })
  const selection: Selection = options.rollback ? { objects: [{ kind: 'secret', name: options.rollback.name }] } : (options.selection ?? {})
  let objects: SourceObject[] = await selectObjects(repo, snapshot, selection, options.mapping ?? {}, options.asOf)
  if (options.rollback) {
    const asOf = options.asOf as Date
    objects = objects.flatMap((o) => {
      if (o.kind !== 'secret') return []
      const last = o.versions.filter((v) => v.capture === 'value').pop()
      if (!last) throw new UsageError(`secret/${o.name} had no readable version at ${asOf.toISOString()} in snapshot ${snapshot.id.slice(0, 8)}.`, { hint: 'Choose another --as-of; disabled versions cannot be rolled back to by value.' })
      return [{ ...o, versions: [last], allVersions: false, pinned: true }]
    })
  }
  const clock = options.clock ?? systemClock
  const conn = await VaultConnection.open(to, {
    ...(options.credential ? { credential: options.credential } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.toolVersion ? { toolVersion: options.toolVersion } : {}),
    governor: {
      clock,
      ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    },
  })
  try {
    const reader = new VaultReader(conn)
    const mode = options.rollback ? 'value' : (options.mode ?? 'auto')
    const { plan, items } = await planRestore(repo, reader, snapshot, objects, {
      mode,
      onConflict: options.rollback ? 'new-version' : (options.onConflict ?? 'skip'),
      purgeDeleted: options.purgeDeleted === true,
      ...(options.targetSubscription ? { targetSubscription: options.targetSubscription } : {}),
      ...(options.asOf ? { asOf: options.asOf } : {}),
    })
    const requests = (): RequestStats => ({ ...conn.governor.stats })
    if (options.dryRun) {
      const outcomes = predicted(plan, (p) => p.reason)
      return { dryRun: true, plan, ...summarize(outcomes), requests: requests() }
    }
    if (plan.onConflict === 'fail' && plan.counts.conflict > 0) {
      const outcomes = predicted(plan, (p) => (p.action === 'conflict' ? p.reason : 'not applied: the plan has conflicts and --on-conflict is fail'))
      for (const o of outcomes) if (o.action === 'conflict') Object.assign(o, { status: 'error', code: 'CONFLICT' })
      for (const o of outcomes) if (o.action !== 'conflict' && o.status === 'done') o.status = 'skipped'
      return { dryRun: false, plan, outcomes, summary: summarize(outcomes).summary, exitCode: ExitCode.Failure, requests: requests() }
    }
    if (items.some((i) => i.planned.purgeFirst) && !(options.confirmPurge && (await options.confirmPurge(plan)))) {
      throw new KvdrError('PURGE_NOT_CONFIRMED', ExitCode.Refused, `The plan purges ${items.filter((i) => i.planned.purgeFirst).length} soft-deleted object(s) in ${to}, and that was not confirmed. Nothing was changed.`, {
        hint: 'Type the vault name when asked, or pass --yes to confirm non-interactively. Check the plan first with --dry-run.',
      })
    }
    options.onPlan?.(plan)
    const writer = new VaultWriter(conn)
    const ctx = { repo, reader, writer, connection: conn, ...(plan.target.deletion ? { deletion: plan.target.deletion } : {}), ...(options.nameWaitMs === undefined ? {} : { nameWaitMs: options.nameWaitMs }) }
    // Keys draw from their own create budget (20 per 10 s): they get their own pool, so they never hold up the
    // secrets and certificates (300 per 10 s) waiting behind them, and both budgets are used at once.
    const outcomes: ObjectOutcome[] = new Array<ObjectOutcome>(items.length)
    const indexed = items.map((item, i) => ({ item, i }))
    await Promise.all(
      [indexed.filter((x) => x.item.planned.kind === 'key'), indexed.filter((x) => x.item.planned.kind !== 'key')].map((group) =>
        mapLimit(group, options.objectConcurrency ?? 16, async ({ item, i }) => {
          const o = await applyItem(item, ctx)
          outcomes[i] = o
          options.onOutcome?.(o)
        }),
      ),
    )
    return { dryRun: false, plan, outcomes, ...summarize(outcomes), requests: requests() }
  } finally {
    conn.close()
  }
}
