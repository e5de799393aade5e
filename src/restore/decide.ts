/**
 * The decision for one object, before anything is written: given what the snapshot holds, what the target holds
 * under the name and how their worlds relate, pick create / add versions / recover / skip / conflict / impossible,
 * the method (native or value), the versions to write and the reason in words. Pure: no I/O.
 *
 * Idempotence rests here: value restores compare keyed fingerprints of the target's versions with the snapshot's,
 * write only versions the target lacks (oldest first), and treat a target whose versions are all the snapshot's as
 * an interrupted restore to continue - so a re-run after a crash completes without duplicating versions.
 */
import type { VaultWorld } from '../core/types.js'
import { canonicalJson } from '../repo/encoding.js'
import type { DeletedObject } from '../vault/types.js'
import type { SourceObject, VersionRecord } from './source.js'
import type { LiveObject } from './target.js'
import type { ConflictPolicy, PlannedObject, RestoreMode } from './types.js'
import { describeWorld, type WorldComparison } from './world.js'

/** What the target holds under an object's name. */
export type TargetObject =
  | { state: 'absent' }
  | { state: 'live'; live: LiveObject }
  | { state: 'deleted'; deleted: DeletedObject }
  | { state: 'unknown'; reason: string }

export interface DecideContext {
  mode: RestoreMode
  onConflict: ConflictPolicy
  purgeDeleted: boolean
  /** The target's purge protection, when known. */
  purgeProtection: boolean | undefined
  world: WorldComparison
  sourceWorld: VaultWorld
}

/** A planned object with what applying it needs. */
export interface PlanItem {
  planned: PlannedObject
  source: SourceObject
  /** Value restores: the versions to create, oldest first. */
  write: VersionRecord[]
}

type ObjectSource = Extract<SourceObject, { versions: unknown }>

const s = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** Why a native restore cannot carry this object, or undefined when it can (world aside). */
function nativeObstacle(src: ObjectSource): string | undefined {
  if (!src.record.native) return 'the snapshot has no native backup of it'
  if (src.targetName.toLowerCase() !== src.name.toLowerCase()) return 'it is renamed and a native backup restores under its original name'
  if (!src.allVersions) return 'a native backup brings every version and only some were chosen'
  return undefined
}

function valueVersions(src: ObjectSource): VersionRecord[] {
  return src.kind === 'key' ? [] : src.versions.filter((v) => v.capture === 'value' && v.fingerprint !== undefined)
}

/** Versions the target lacks, oldest first; the snapshot's current version last when the target's current differs. */
function missingVersions(values: VersionRecord[], live: LiveObject | undefined): VersionRecord[] {
  const present = new Set((live?.versions ?? []).flatMap((v) => (v.fingerprint ? [v.fingerprint] : [])))
  const currentFp = live?.versions.find((v) => v.version === live.current)?.fingerprint
  const out = values.filter((v) => !present.has(v.fingerprint as string))
  const last = values[values.length - 1]
  if (last && present.has(last.fingerprint as string) && currentFp !== last.fingerprint) out.push(last)
  return out
}

function notValueNote(src: ObjectSource, values: VersionRecord[]): string[] {
  const left = src.versions.length - values.length
  if (left === 0 || src.kind === 'key') return []
  const why = src.kind === 'secret' ? 'disabled, which Key Vault does not let anyone read' : 'without an exportable private key'
  return [`${s(left, 'version')} ${left === 1 ? 'was' : 'were'} ${why}: only a native restore brings ${left === 1 ? 'it' : 'them'} back`]
}

/** Decide for a secret, key or certificate. */
export function decideObject(src: ObjectSource, target: TargetObject, ctx: DecideContext): PlanItem {
  const source = src.pinned ? `${src.kind}/${src.name}/${src.versions[0]?.version ?? ''}` : `${src.kind}/${src.name}`
  const base = { kind: src.kind, name: src.targetName, source, target: target.state, notes: [] as string[] }
  const item = (p: Omit<PlannedObject, 'kind' | 'name' | 'source' | 'target' | 'notes'> & { notes?: string[] }, write: VersionRecord[] = []): PlanItem => ({
    planned: { ...base, ...p, notes: p.notes ?? [] },
    source: src,
    write,
  })
  if (target.state === 'unknown') return item({ action: 'impossible', reason: target.reason, versions: 0 })

  const values = valueVersions(src)
  const obstacle = nativeObstacle(src)
  const worldOk = ctx.world.relation === 'same' || (ctx.world.relation === 'unknown' && ctx.mode === 'auto')
  const canNative = ctx.mode !== 'value' && obstacle === undefined && worldOk
  const canValue = ctx.mode !== 'native' && values.length > 0
  const home = describeWorld(ctx.sourceWorld)
  /** Why neither method works (for "impossible" and unresolvable conflicts). */
  const cannot = (): string => {
    if (src.kind === 'key') {
      const nat = obstacle ?? (ctx.mode === 'value' ? '--mode value was asked for' : ctx.world.relation === 'unknown' ? `the target's world is unknown (${ctx.world.reason}); native restore into an unknown world is only attempted with --mode auto` : ctx.world.reason)
      return `non-exportable key: only restorable into ${home} (its key material is only in the native blob); ${nat}`
    }
    const nat = ctx.mode === 'value' ? '--mode value was asked for' : (obstacle ?? (ctx.world.relation === 'different' ? `native blob bound to ${home}; ${ctx.world.reason}` : `the target's world is unknown (${ctx.world.reason})`))
    const val = ctx.mode === 'native' ? '--mode native was asked for' : 'no version was captured by value'
    return `no way to restore it here: native: ${nat}; value: ${val}`
  }
  const create = (prefix: string, purgeFirst: boolean): PlanItem => {
    const purge = purgeFirst ? { purgeFirst: true } : {}
    if (canNative) {
      const fallback = ctx.world.relation === 'unknown' && canValue ? { fallback: 'value' as const } : {}
      const why = ctx.world.relation === 'same' ? `native restore (${ctx.world.reason}): every version with its original id` : `native restore attempted into an unknown world (${ctx.world.reason})${canValue ? '; values if Key Vault cannot decrypt the blob' : ''}`
      return item({ action: 'create', method: 'native', reason: `${prefix}${why}`, versions: src.record.native?.versions ?? src.versions.length, ...purge, ...fallback }, canValue ? values : [])
    }
    if (canValue) {
      const why = ctx.mode === 'value' ? '--mode value' : obstacle !== undefined ? `${obstacle}` : ctx.world.relation === 'different' ? `native blob bound to ${home}; ${ctx.world.reason}` : `the target's world is unknown (${ctx.world.reason})`
      return item({ action: 'create', method: 'value', reason: `${prefix}${why}: value restore of ${s(values.length, 'version')}, oldest first`, versions: values.length, ...purge, notes: notValueNote(src, values) }, values)
    }
    return item({ action: 'impossible', reason: cannot(), versions: 0 })
  }

  if (target.state === 'absent') return create('', false)

  if (target.state === 'deleted') {
    const d = target.deleted
    const current = src.record.versions[src.record.versions.length - 1]
    const same = !src.pinned && current !== undefined && d.attributes.createdOn === current.attributes.createdOn && d.attributes.createdOn !== undefined && src.targetName.toLowerCase() === src.name.toLowerCase()
    if (same) return item({ action: 'recover', reason: `soft-deleted in the target with the snapshot's current version (created ${d.attributes.createdOn}): recover it`, versions: 0 })
    if (ctx.purgeDeleted) {
      if (ctx.purgeProtection === true) return item({ action: 'conflict', refused: true, reason: 'soft-deleted in the target with other versions, and purge protection is on: Key Vault refuses purges until the retention period ends; restore under another name (--rename / --prefix)', versions: 0 })
      return create('purge the soft-deleted object first (--purge-deleted); then ', true)
    }
    return item({ action: 'conflict', reason: 'soft-deleted in the target with other versions: recover it (kvdr recover), restore under another name (--rename / --prefix), or purge it with --purge-deleted', versions: 0 })
  }

  // Live in the target: compare by version ids (native) and keyed fingerprints (values, public material).
  const live = target.live
  const ids = new Set(live.versions.map((v) => v.version))
  const fps = new Set(live.versions.flatMap((v) => (v.fingerprint ? [v.fingerprint] : [])))
  const srcFps = src.versions.flatMap((v) => (v.fingerprint ? [v.fingerprint] : []))
  const currentFp = live.versions.find((v) => v.version === live.current)?.fingerprint
  const srcCurrent = src.versions[src.versions.length - 1]
  if (src.pinned) {
    if (srcCurrent?.fingerprint !== undefined && srcCurrent.fingerprint === currentFp) return item({ action: 'skip', reason: 'the chosen version is already the current one (same fingerprint)', versions: 0 })
    if (!canValue) return item({ action: 'impossible', reason: cannot(), versions: 0 })
    return item({ action: 'add-versions', method: 'value', reason: `makes version ${srcCurrent?.version ?? ''} current again as a new version`, versions: 1 }, values)
  }
  const sameIds = src.versions.every((v) => ids.has(v.version))
  const allFps = srcFps.every((f) => fps.has(f))
  const sameCurrent = srcCurrent !== undefined && (srcCurrent.version === live.current || (srcCurrent.fingerprint !== undefined && srcCurrent.fingerprint === currentFp))
  if (allFps && sameCurrent) {
    return item({ action: 'skip', reason: sameIds ? 'identical: the same version ids and fingerprints' : 'identical: every version present (same fingerprints) and the same current version', versions: 0 })
  }
  const subset = canValue && live.versions.length > 0 && live.versions.every((v) => v.fingerprint !== undefined && srcFps.includes(v.fingerprint))
  if (subset) {
    const write = missingVersions(values, live)
    if (write.length === 0) return item({ action: 'skip', reason: 'every version restorable by value is present (same fingerprints)', versions: 0, notes: notValueNote(src, values) })
    return item({ action: 'add-versions', method: 'value', reason: `continues an earlier restore: ${s(live.versions.length, 'version')} already present (same fingerprints); ${s(write.length, 'version')} to add`, versions: write.length, notes: notValueNote(src, values) }, write)
  }
  const matching = live.versions.filter((v) => v.fingerprint !== undefined && srcFps.includes(v.fingerprint)).length
  const differs = `the target's ${src.kind} differs from the snapshot (${matching} of its ${s(live.versions.length, 'version')} match)`
  if (ctx.onConflict === 'new-version') {
    if (!canValue) return item({ action: 'conflict', reason: `${differs}; new versions need values: ${cannot()}`, versions: 0 })
    const write = missingVersions(values, live)
    if (write.length === 0) return item({ action: 'skip', reason: `${differs}, but every version restorable by value is present and current`, versions: 0 })
    return item({ action: 'add-versions', method: 'value', reason: `${differs}: adds ${s(write.length, 'version')}; the snapshot's current version becomes current (--on-conflict new-version)`, versions: write.length, notes: notValueNote(src, values) }, write)
  }
  return item({ action: 'conflict', reason: `${differs}: left as it is (--on-conflict ${ctx.onConflict}; new-version adds the snapshot's versions)`, versions: 0 })
}

type SettingSource = Exclude<SourceObject, ObjectSource>

/**
 * Decide for a certificate issuer or the contact list: `present` is the target's fingerprint (issuer) or canonical
 * JSON (contacts), undefined when it has none, or an unknown state when it could not be read.
 */
export function decideSetting(src: SettingSource, present: string | undefined | { unknown: string }, ctx: Pick<DecideContext, 'onConflict'>): PlanItem {
  const ref = `${src.kind}/${src.name}`
  const wanted = src.kind === 'certificate-issuer' ? src.record.fingerprint : canonicalJson(src.record.contacts)
  const notes = src.kind === 'certificate-issuer' && src.record.provider !== undefined && !src.record.passwordCaptured ? ['Key Vault never returns issuer passwords: set it again on the restored issuer'] : []
  const base = { kind: src.kind, name: src.targetName, source: ref, versions: 0, notes }
  const item = (p: Pick<PlannedObject, 'action' | 'reason' | 'target'> & { versions?: number }): PlanItem => ({ planned: { ...base, ...p }, source: src, write: [] })
  if (typeof present === 'object') return item({ action: 'impossible', reason: present.unknown, target: 'unknown' })
  if (present === undefined) return item({ action: 'create', reason: src.kind === 'certificate-issuer' ? 'not in the target: set it' : 'the target has no contacts: set them', target: 'absent', versions: 1 })
  if (present === wanted) return item({ action: 'skip', reason: 'identical (same fingerprint)', target: 'live' })
  if (ctx.onConflict === 'new-version') return item({ action: 'add-versions', reason: 'differs in the target: replaced by the snapshot\'s settings (--on-conflict new-version)', target: 'live', versions: 1 })
  return item({ action: 'conflict', reason: `differs in the target: left as it is (--on-conflict ${ctx.onConflict})`, target: 'live' })
}
