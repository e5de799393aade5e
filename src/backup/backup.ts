/**
 * `kvdr backup` as a library call: back up one or more vaults into one repository, each vault into its own
 * snapshot, holding the repository's shared lock for the whole run. Vaults run side by side (vaults of one
 * subscription share the subscription-wide budget); each vault's failure is its own. Returns a report per
 * vault and the run's exit code: 0 success, 3 partial, 1 when nothing useful was done, or the vault-wide error's
 * code (20 auth, 21 forbidden, 22 unreachable) when every vault failed the same way.
 */
import type { TokenCredential } from '@azure/core-auth'
import { type Clock, systemClock } from '../core/clock.js'
import { ExitCode, type ExitCodeValue, KvdrError } from '../core/errors.js'
import { mapLimit } from '../repo/concurrency.js'
import type { Repository, RepositoryReader, WriteStats } from '../repo/repository.js'
import type { ObjectProblem } from '../repo/types.js'
import type { BudgetLimits } from '../vault/budget.js'
import { SubscriptionBudgets } from '../vault/budget.js'
import { VaultConnection } from '../vault/connection.js'
import { VaultError } from '../vault/errors.js'
import type { RequestStats } from '../vault/governor.js'
import { VaultReader } from '../vault/reader.js'
import type { RetryOptions } from '../vault/retry.js'
import { createAgent, type TransportOptions } from '../vault/transport.js'
import { DEFAULT_LIMITS } from '../vault/budget.js'
import type { ObjectKind } from '../core/types.js'
import type { CaptureModes } from './capture.js'
import { planVault, type VaultPlan } from './plan.js'
import type { ProgressTracker } from './progress.js'
import { backupVault, type VaultCounts, type VaultTarget } from './vault-run.js'

export interface BackupOptions {
  targets: VaultTarget[]
  modes: CaptureModes
  /** Object kinds to back up (default all three). */
  kinds?: readonly ObjectKind[]
  /** Read every object, ignoring the previous snapshot (recommended periodically; see docs/backup.md). */
  full?: boolean
  /** List and compare only: report what would be fetched; write nothing. */
  dryRun?: boolean
  tags?: string[]
  description?: string
  /** Default: DefaultAzureCredential. */
  credential?: TokenCredential
  transport?: TransportOptions
  /** Most requests in flight per vault (default 32). */
  maxConcurrency?: number
  /** Key Vault's limits to plan with (default: the published ones). */
  limits?: BudgetLimits
  retry?: Partial<RetryOptions>
  /** Stop reading after this many ms; objects not reached keep their previous capture and are reported. */
  deadlineMs?: number
  /** Vaults backed up at once (default 4). */
  vaultConcurrency?: number
  objectConcurrency?: number
  warnVersions?: number
  maxNativeVersions?: number
  clock?: Clock
  progress?: ProgressTracker
  toolVersion?: string
}

/** One vault's result (part of the `--json` output, docs/backup.md). */
export interface VaultResult {
  vault: string
  status: 'ok' | 'partial' | 'failed'
  snapshot?: { id: string; time: string; parent: string | null; entryCount: number }
  world?: { subscriptionId?: string; tenantId?: string; region?: string; geography?: string }
  counts?: VaultCounts
  summary?: { done: number; warnings: number; errors: number }
  problems: ObjectProblem[]
  requests?: RequestStats
  error?: ReturnType<KvdrError['toJSON']>
  exitCode: ExitCodeValue
  seconds: number
}

export interface BackupResult {
  dryRun: false
  vaults: VaultResult[]
  /** Contents this run stored vs found already stored (deduplicated, or left by an interrupted run). */
  contents: { uploaded: number; reused: number; bytesUploaded: number }
  /** Repository warnings (e.g. a detected rollback). */
  warnings: string[]
  exitCode: ExitCodeValue
}

export interface DryRunResult {
  dryRun: true
  vaults: Array<{ vault: string; plan?: VaultPlan; requests?: RequestStats; error?: ReturnType<KvdrError['toJSON']>; exitCode: ExitCodeValue }>
  exitCode: ExitCodeValue
}

/** The run's exit code from the vaults' codes (see the module comment). */
export function runExitCode(codes: readonly ExitCodeValue[]): ExitCodeValue {
  if (codes.length === 0) return ExitCode.Success
  if (codes.every((c) => c === ExitCode.Success)) return ExitCode.Success
  const failed = codes.filter((c) => c !== ExitCode.Success && c !== ExitCode.Partial)
  if (failed.length < codes.length) return ExitCode.Partial
  const first = failed[0] as ExitCodeValue
  return failed.every((c) => c === first) ? first : ExitCode.Failure
}

function asKvdrError(err: unknown): KvdrError {
  if (err instanceof KvdrError) return err
  return new KvdrError('FAILED', ExitCode.Failure, err instanceof Error ? err.message : String(err), { cause: err })
}

interface Shared {
  agent: ReturnType<typeof createAgent>
  subscriptions: SubscriptionBudgets
  deadline?: AbortSignal
  clock: Clock
}

async function connect(target: VaultTarget, options: BackupOptions, shared: Shared): Promise<VaultReader> {
  const conn = await VaultConnection.open(target.url, {
    ...(options.credential ? { credential: options.credential } : {}),
    agent: shared.agent,
    ...(options.toolVersion ? { toolVersion: options.toolVersion } : {}),
    governor: {
      clock: shared.clock,
      ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(target.subscriptionId ? { subscription: { budgets: shared.subscriptions, subscriptionId: target.subscriptionId } } : {}),
    },
  })
  return new VaultReader(conn, shared.deadline)
}

function shared(options: BackupOptions): Shared {
  const clock = options.clock ?? systemClock
  return {
    agent: createAgent(options.transport),
    subscriptions: new SubscriptionBudgets(options.limits ?? DEFAULT_LIMITS, clock),
    ...(options.deadlineMs === undefined ? {} : { deadline: AbortSignal.timeout(options.deadlineMs) }),
    clock,
  }
}

/**
 * Back up every target into `repo` (a shared lock is held for the run). Never throws for vault or object
 * failures - they are in the result; throws the repository's errors when it cannot be locked or written.
 */
export async function runBackup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  const s = shared(options)
  try {
    return await repo.withWriter('backup', async (writer) => {
      const vaults = await mapLimit(options.targets, options.vaultConcurrency ?? 4, async (target): Promise<VaultResult> => {
        const started = s.clock.now()
        const seconds = (): number => Math.round((s.clock.now() - started) / 100) / 10
        let reader: VaultReader | undefined
        try {
          reader = await connect(target, options, s)
          const out = await backupVault(writer, reader, target, {
            modes: options.modes,
            ...(options.kinds ? { kinds: options.kinds } : {}),
            full: options.full ?? false,
            tags: options.tags ?? [],
            ...(options.description === undefined ? {} : { description: options.description }),
            ...(options.objectConcurrency === undefined ? {} : { objectConcurrency: options.objectConcurrency }),
            ...(options.warnVersions === undefined ? {} : { warnVersions: options.warnVersions }),
            ...(options.maxNativeVersions === undefined ? {} : { maxNativeVersions: options.maxNativeVersions }),
            ...(s.deadline ? { deadline: s.deadline } : {}),
            clock: s.clock,
            ...(options.progress ? { progress: options.progress } : {}),
          })
          const { summary, vault, id, time, parent, entryCount } = out.snapshot
          const exitCode = !out.useful ? ExitCode.Failure : summary.errors > 0 ? ExitCode.Partial : ExitCode.Success
          const { url: _u, ...world } = vault
          return {
            vault: reader.url,
            status: exitCode === ExitCode.Success ? 'ok' : exitCode === ExitCode.Partial ? 'partial' : 'failed',
            snapshot: { id, time, parent, entryCount },
            world,
            counts: out.counts,
            summary: { done: summary.done, warnings: summary.warnings, errors: summary.errors },
            problems: out.problems,
            requests: { ...out.requests },
            exitCode,
            seconds: seconds(),
          }
        } catch (err) {
          const e = asKvdrError(err)
          if (!(err instanceof VaultError) && !(err instanceof KvdrError)) throw err
          return {
            vault: reader?.url ?? target.url,
            status: 'failed',
            problems: [],
            ...(reader ? { requests: { ...reader.connection.governor.stats } } : {}),
            error: e.toJSON(),
            exitCode: e.exitCode,
            seconds: seconds(),
          }
        } finally {
          reader?.connection.close()
        }
      })
      const { contentsCreated, contentsReused, bytesUploaded }: WriteStats = writer.stats
      return {
        dryRun: false as const,
        vaults,
        contents: { uploaded: contentsCreated, reused: contentsReused, bytesUploaded },
        warnings: [...new Set(writer.warnings)],
        exitCode: runExitCode(vaults.map((v) => v.exitCode)),
      }
    })
  } finally {
    s.agent.destroy()
  }
}

/** List every target and compare it with its previous snapshot: what a backup would fetch. Writes nothing. */
export async function planBackup(repo: RepositoryReader, options: BackupOptions): Promise<DryRunResult> {
  const s = shared(options)
  try {
    const vaults = await mapLimit(options.targets, options.vaultConcurrency ?? 4, async (target) => {
      let reader: VaultReader | undefined
      try {
        reader = await connect(target, options, s)
        const plan = await planVault(repo, reader, options.full ?? false, options.kinds)
        return { vault: reader.url, plan, requests: { ...reader.connection.governor.stats }, exitCode: ExitCode.Success as ExitCodeValue }
      } catch (err) {
        if (!(err instanceof KvdrError)) throw err
        return { vault: reader?.url ?? target.url, error: err.toJSON(), exitCode: err.exitCode }
      } finally {
        reader?.connection.close()
      }
    })
    return { dryRun: true, vaults, exitCode: runExitCode(vaults.map((v) => v.exitCode)) }
  } finally {
    s.agent.destroy()
  }
}
