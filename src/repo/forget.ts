/**
 * `kvdr snapshots forget`: remove snapshot manifests by retention policy (grouped per vault) or by id,
 * under an exclusive lock. A forget record naming the removed snapshots is written before any delete, so
 * other clients do not mistake the removal for a rollback. Contents are left for `repo prune`.
 */
import { ExitCode, KvdrError, UsageError } from '../core/errors.js'
import { StoreRefusedError } from '../store/types.js'
import { applyPolicy, type ForgetPolicy, isEmptyPolicy } from './policy.js'
import type { Repository } from './repository.js'
import type { BlobProblem } from './snapshots.js'
import { type Snapshot, snapshotBlobName } from './types.js'

export interface ForgetOptions {
  policy?: ForgetPolicy
  /** Snapshots to remove regardless of policy (full ids or unique prefixes). */
  ids?: string[]
  /** Only consider snapshots of this vault URL. */
  vault?: string
  dryRun?: boolean
}

export interface ForgetListed {
  id: string
  time: string
  tags: string[]
  reasons: string[]
}

export interface ForgetGroup {
  vault: string
  keep: ForgetListed[]
  remove: ForgetListed[]
}

/** Outcome of a forget (also its `--json` shape). */
export interface ForgetResult {
  dryRun: boolean
  groups: ForgetGroup[]
  /** Ids whose manifests were deleted (empty on a dry run). */
  removed: string[]
  /** Deletes the storage refused (immutable retention), with why. */
  refused: Array<{ id: string; message: string }>
  /** Unreadable manifests: neither kept nor removed. */
  problems: BlobProblem[]
  warnings: string[]
}

const listed = (s: Snapshot, reasons: string[] = []): ForgetListed => ({ id: s.id, time: s.time, tags: s.tags, reasons })

/**
 * Apply `options` under an exclusive lock. Throws UsageError when neither a non-empty policy nor ids are
 * given, and KvdrError (Refused) when the policy would remove every snapshot of a vault (keep at least one,
 * or name the ids explicitly).
 */
export async function forgetSnapshots(repo: Repository, options: ForgetOptions): Promise<ForgetResult> {
  const policy = options.policy
  const ids = options.ids ?? []
  if ((!policy || isEmptyPolicy(policy)) && ids.length === 0) {
    throw new UsageError('No policy was given, so nothing would be removed.', {
      hint: 'Give at least one --keep-* option (e.g. --keep-daily 7 --keep-monthly 12) or the ids of snapshots to forget.',
    })
  }
  return repo.withLock('exclusive', 'snapshots forget', async () => {
    const { snapshots, problems, warnings } = await repo.listSnapshots()
    const explicit = new Set<string>()
    for (const ref of ids) explicit.add((await repo.resolveSnapshot(ref)).id)
    const pool = options.vault ? snapshots.filter((s) => s.vault.url === options.vault || explicit.has(s.id)) : snapshots
    const byVault = new Map<string, Snapshot[]>()
    for (const s of pool) byVault.set(s.vault.url, [...(byVault.get(s.vault.url) ?? []), s])

    const groups: ForgetGroup[] = []
    const toRemove: Snapshot[] = []
    for (const [vault, group] of [...byVault].sort(([a], [b]) => a.localeCompare(b))) {
      const decisions = policy && !isEmptyPolicy(policy) ? applyPolicy(group, policy, new Date(repo.clock.now())) : group.map((snapshot) => ({ snapshot, keep: true, reasons: ['no policy'] }))
      const keep: ForgetListed[] = []
      const remove: ForgetListed[] = []
      for (const d of decisions) {
        if (explicit.has(d.snapshot.id) || !d.keep) {
          remove.push(listed(d.snapshot))
          toRemove.push(d.snapshot)
        } else keep.push(listed(d.snapshot, d.reasons))
      }
      if (keep.length === 0 && !decisions.every((d) => explicit.has(d.snapshot.id))) {
        throw new KvdrError('FORGET_ALL', ExitCode.Refused, `The policy would remove every snapshot of ${vault}.`, {
          hint: 'Add a rule that keeps at least one snapshot (e.g. --keep-last 1), or name the snapshots to forget by id.',
        })
      }
      groups.push({ vault, keep, remove })
    }
    const result: ForgetResult = { dryRun: options.dryRun === true, groups, removed: [], refused: [], problems, warnings }
    if (options.dryRun || toRemove.length === 0) return result

    await repo.forgets.write({
      time: new Date(repo.clock.now()).toISOString(),
      snapshots: toRemove.map((s) => ({ id: s.id, seq: s.seq, time: s.time, vault: s.vault.url })),
    })
    for (const s of toRemove) {
      try {
        await repo.store.delete(snapshotBlobName(s.id))
        result.removed.push(s.id)
      } catch (err) {
        if (!(err instanceof StoreRefusedError)) throw err
        result.refused.push({ id: s.id, message: err.message })
      }
    }
    return result
  })
}
