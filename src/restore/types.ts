/**
 * The restore plan and result shapes (the `--json` output of `kvdr restore`, docs/restore.md): per object one
 * action with its reason, decided before anything is written, and per object what happened. Plain JSON; never a
 * secret value.
 */
import type { ExitCodeValue } from '../core/errors.js'
import type { VaultWorld } from '../core/types.js'

/** How objects are brought back: Key Vault's native backup, recreated values, or whichever works (auto). */
export type RestoreMode = 'auto' | 'native' | 'value'

/** What to do with a live object in the target that differs from the snapshot. */
export type ConflictPolicy = 'skip' | 'fail' | 'new-version'

/**
 * Per object: create it, add the snapshot's versions to the live object, recover the target's soft-deleted
 * object (it holds the snapshot's versions), skip it (identical), leave it (conflict) or report why it cannot be
 * restored there (impossible).
 */
export type PlanAction = 'create' | 'add-versions' | 'recover' | 'skip' | 'conflict' | 'impossible'

/** How the versions travel. */
export type RestoreMethod = 'native' | 'value'

/** Entry kinds a restore handles: the object kinds, certificate issuers and the contact list. */
export type RestoreKind = 'secret' | 'key' | 'certificate' | 'certificate-issuer' | 'certificate-contacts'

/** What the target holds under the name, as the plan saw it. */
export type TargetState = 'absent' | 'live' | 'deleted' | 'unknown'

/** One planned object (plan output; also carried in the result). */
export interface PlannedObject {
  kind: RestoreKind
  /** The name in the target vault (after --rename / --prefix). */
  name: string
  /** Where it comes from: `kind/name` in the snapshot, `/version` when one version was chosen. */
  source: string
  action: PlanAction
  method?: RestoreMethod
  /** Why, in words a person can act on. */
  reason: string
  target: TargetState
  /** Versions that will be written (value) or restored (native: every version in the blob). */
  versions: number
  /** The soft-deleted object in the target is purged first (--purge-deleted, confirmed). */
  purgeFirst?: boolean
  /** --purge-deleted was refused for it (purge protection): counts as a refused purge (exit 23). */
  refused?: boolean
  /** auto mode, unknown world: a native attempt falls back to values when Key Vault cannot decrypt the blob. */
  fallback?: 'value'
  /** Things the operator should know (disabled versions that only native restore brings back, issuer passwords). */
  notes: string[]
}

/** What the target is and what the plan assumed about it. */
export interface TargetInfo {
  url: string
  world: VaultWorld
  /** Relation of the snapshot's world to the target's: native blobs restore only in the same one. */
  relation: 'same' | 'different' | 'unknown'
  /** What is unknown and assumed, in words ("subscription unknown: pass --to-subscription"). */
  assumptions: string[]
  /** The target's soft-delete settings (from its objects' attributes; undefined when it holds none). */
  deletion?: { recoveryLevel?: string; recoverableDays?: number; purgeProtection: boolean | undefined }
}

/** Preflight: what the identity can read in the target, per kind, and what the writes will need. */
export interface PermissionCheck {
  kind: 'secret' | 'key' | 'certificate'
  /** The cheapest read (a one-item listing) succeeded. */
  readable: boolean
  /** The data action and role that were missing, when not readable. */
  missing?: { dataAction: string; role: string; accessPolicy: string }
  /** Data actions the planned writes of this kind need (Key Vault has no way to test them without writing). */
  writeNeeds: string[]
}

export interface RestorePlan {
  snapshot: { id: string; time: string; vault: string; world: VaultWorld }
  /** Set for --as-of: the time asked for. */
  asOf?: string
  mode: RestoreMode
  onConflict: ConflictPolicy
  target: TargetInfo
  permissions: PermissionCheck[]
  objects: PlannedObject[]
  counts: Record<PlanAction, number>
}

/** One object's outcome. */
export interface ObjectOutcome extends PlannedObject {
  status: 'done' | 'skipped' | 'warning' | 'error'
  /** What was done or what went wrong. */
  message: string
  /** Version ids created or restored in the target. */
  written: number
  code?: string
}

export interface RestoreResult {
  dryRun: boolean
  plan: RestorePlan
  /** Absent for dry runs. */
  outcomes?: ObjectOutcome[]
  summary: { done: number; skipped: number; warnings: number; errors: number; refused: number }
  exitCode: ExitCodeValue
}
