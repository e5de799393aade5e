/**
 * The generic versioned-object model every kind (secrets, keys, certificates) stores its objects in: versions with
 * attributes and tags, latest, the managed flag, and the soft-delete lifecycle (being deleted, deleted, being
 * recovered, being purged, scheduled purge). State is plain JSON data; this class only interprets it.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../../core/clock.js'
import type { KvHttpError } from '../http/errors.js'
import type { Vault } from './vault.js'
import {
  beingDeleted,
  beingRecovered,
  deletedButRecoverable,
  deletedNotFound,
  notFound,
  purgeProtected,
  restoreConflict,
  stillBeingDeleted,
  type KindLabels,
} from './messages.js'

/** Object attributes as Key Vault stores them; times are integer Unix seconds. */
export interface ObjectAttributes {
  enabled: boolean
  nbf?: number
  exp?: number
  created: number
  updated: number
}

/**
 * Attributes on the wire: enabled, nbf and exp when set, created, updated; with `vault`, also its recoveryLevel and
 * recoverableDays (bundles and most items carry them).
 */
export function wireAttributes(a: ObjectAttributes, vault?: Pick<Vault, 'recoveryLevel' | 'settings'>): Record<string, unknown> {
  return {
    enabled: a.enabled,
    ...(a.nbf === undefined ? {} : { nbf: a.nbf }),
    ...(a.exp === undefined ? {} : { exp: a.exp }),
    created: a.created,
    updated: a.updated,
    ...(vault ? { recoveryLevel: vault.recoveryLevel, recoverableDays: vault.settings.softDeleteRetentionDays } : {}),
  }
}

/** One version. `payload` is the kind's own data (secret value, key material, ...), JSON-serialisable. */
export interface VersionRecord<P> {
  version: string
  attributes: ObjectAttributes
  tags?: Record<string, string>
  /** Version created before this one, when the kind tracks it (certificates and their managed secrets). */
  previousVersion?: string
  payload: P
}

/** One object: its versions in creation order (the last is "latest") and its lifecycle marks (epoch ms). */
export interface ObjectRecord<P> {
  /** The name with the casing it was created with (names are case-insensitive). */
  name: string
  /** True for the key and secret behind a certificate. */
  managed: boolean
  versions: VersionRecord<P>[]
  /**
   * Kind-specific data about the object as a whole (a key's rotation policy), plain JSON. Recover keeps it; restore
   * does not carry it; it goes with the object when purged.
   */
  objectData?: Record<string, unknown>
  deleted?: { deletedAt: number; visibleAt: number; scheduledPurgeAt: number }
  recoveringUntil?: number
  purgingUntil?: number
}

/**
 * The fields every Deleted*Bundle and Deleted*Item carries: `recoveryId` under `collection` (`deletedsecrets`,
 * `deletedkeys`, `deletedcertificates`), `deletedDate` and `scheduledPurgeDate` in seconds. Throws when not deleted.
 */
export function deletedFields(baseUrl: string, collection: string, record: ObjectRecord<unknown>): Record<string, unknown> {
  const d = record.deleted
  if (!d) throw new Error(`${record.name} is not deleted`)
  return { recoveryId: `${baseUrl}/${collection}/${record.name}`, deletedDate: Math.floor(d.deletedAt / 1000), scheduledPurgeDate: Math.floor(d.scheduledPurgeAt / 1000) }
}

/** A collection's stored state: objects by lower-cased name. */
export interface CollectionState<P> {
  objects: Record<string, ObjectRecord<P>>
}

/** Where an object name stands in its lifecycle. */
export type Phase = 'absent' | 'active' | 'deleting' | 'deleted' | 'recovering' | 'purging'

/** The vault settings the lifecycle depends on. */
export interface LifecycleSettings {
  /** Vault name (3-24 characters). */
  name: string
  /** Azure region, e.g. `westeurope`; sent as `x-ms-keyvault-region`. */
  region: string
  /** Soft-delete retention, 7-90 days. */
  softDeleteRetentionDays: number
  purgeProtection: boolean
  /** After DELETE: deleted object not yet visible, name not reusable. */
  deleteDelayMs: number
  /** After recover: live object still 404. */
  recoverDelayMs: number
  /** After purge: name not reusable yet. */
  purgeDelayMs: number
}

/** Attributes a client may set. `null` clears nbf/exp on update. */
export interface AttributesInput {
  enabled?: boolean
  nbf?: number | null
  exp?: number | null
}

export interface NewVersionInput<P> {
  payload: P
  attributes?: AttributesInput
  tags?: Record<string, string>
  /** Only honoured when the object is created; later versions keep the object's flag. */
  managed?: boolean
  /** Record the previous latest version in `previousVersion`. */
  trackPreviousVersion?: boolean
  /** Use this version id (32 lowercase hex) instead of a new one, e.g. the version a certificate shares with its key. */
  version?: string
  /** Creation time (epoch ms) when the version stands for something that was due earlier (a scheduled rotation). Default: now. */
  at?: number
}

export interface UpdateInput<P> {
  attributes?: AttributesInput
  /** Replaces all tags when given. */
  tags?: Record<string, string>
  payload?: (current: P) => P
}

/** A new Key Vault version id: 32 lowercase hex characters. */
export function newVersionId(): string {
  return randomBytes(16).toString('hex')
}

const DAY_MS = 86_400_000

/**
 * Operations on one collection. Every method first forgets objects whose purge (scheduled or requested) has
 * completed, then answers from the current phase. Errors are Key Vault's (KvHttpError) for the kind's labels.
 */
export class VersionedCollection<P> {
  constructor(
    private readonly state: CollectionState<P>,
    readonly labels: KindLabels,
    private readonly clock: Clock,
    private readonly settings: () => LifecycleSettings,
  ) {}

  private now(): number {
    return this.clock.now()
  }

  private sweep(): void {
    const now = this.now()
    for (const [key, rec] of Object.entries(this.state.objects)) {
      if (phaseOf(rec, now) === 'absent') delete this.state.objects[key]
      else if (rec.recoveringUntil !== undefined && now >= rec.recoveringUntil) delete rec.recoveringUntil
    }
  }

  private find(name: string): ObjectRecord<P> | undefined {
    this.sweep()
    return this.state.objects[name.toLowerCase()]
  }

  /** The lifecycle phase of `name`. */
  phase(name: string): Phase {
    const rec = this.find(name)
    return rec ? phaseOf(rec, this.now()) : 'absent'
  }

  /** The live object. Throws 404 unless the object is active. */
  active(name: string): ObjectRecord<P> {
    const rec = this.find(name)
    if (!rec || phaseOf(rec, this.now()) !== 'active') throw notFound(this.labels, name)
    return rec
  }

  /** A live object's version, or its latest when `version` is undefined. Throws 404. */
  version(name: string, version?: string): { record: ObjectRecord<P>; version: VersionRecord<P> } {
    const record = this.active(name)
    if (version === undefined) return { record, version: latest(record) }
    const v = record.versions.find((x) => x.version === version.toLowerCase())
    if (!v) throw notFound(this.labels, `${name}/${version}`)
    return { record, version: v }
  }

  /**
   * Add a version (creating the object if needed). Throws 409 while the name is deleted, being deleted/purged or
   * recovered, and Error when a given `version` is not a version id or already exists (a caller bug).
   */
  create(name: string, input: NewVersionInput<P>): { record: ObjectRecord<P>; version: VersionRecord<P> } {
    const existing = this.find(name)
    const phase = existing ? phaseOf(existing, this.now()) : 'absent'
    this.refuseReuse(name, phase)
    const record: ObjectRecord<P> = existing && phase === 'active' ? existing : { name, managed: input.managed ?? false, versions: [] }
    const nowSec = Math.floor((input.at ?? this.now()) / 1000)
    const previous = record.versions.at(-1)
    let id = input.version ?? newVersionId()
    if (input.version !== undefined && (!/^[0-9a-f]{32}$/.test(id) || record.versions.some((v) => v.version === id))) {
      throw new Error(`version id '${id}' for ${this.labels.noun} ${name} is not a new 32-hex version id`)
    }
    while (record.versions.some((v) => v.version === id)) id = newVersionId()
    const version: VersionRecord<P> = {
      version: id,
      attributes: applyAttributes({ enabled: true, created: nowSec, updated: nowSec }, input.attributes),
      ...(input.tags === undefined ? {} : { tags: { ...input.tags } }),
      ...(input.trackPreviousVersion && previous ? { previousVersion: previous.version } : {}),
      payload: input.payload,
    }
    record.versions.push(version)
    this.state.objects[name.toLowerCase()] = record
    return { record, version }
  }

  /** Change attributes, tags or payload of a version (latest when undefined). Throws 404. */
  update(name: string, version: string | undefined, input: UpdateInput<P>): { record: ObjectRecord<P>; version: VersionRecord<P> } {
    const found = this.version(name, version)
    const v = found.version
    v.attributes = applyAttributes(v.attributes, input.attributes)
    v.attributes.updated = Math.floor(this.now() / 1000)
    if (input.tags !== undefined) {
      if (Object.keys(input.tags).length === 0) delete v.tags
      else v.tags = { ...input.tags }
    }
    if (input.payload) v.payload = input.payload(v.payload)
    return found
  }

  /** Soft-delete a live object (all versions). Throws 404, or 409 while it is being recovered. */
  softDelete(name: string): ObjectRecord<P> {
    const rec = this.find(name)
    const phase = rec ? phaseOf(rec, this.now()) : 'absent'
    if (phase === 'recovering') throw beingRecovered(this.labels, name)
    if (!rec || phase !== 'active') throw notFound(this.labels, name)
    const s = this.settings()
    const now = this.now()
    rec.deleted = { deletedAt: now, visibleAt: now + s.deleteDelayMs, scheduledPurgeAt: now + s.softDeleteRetentionDays * DAY_MS }
    delete rec.recoveringUntil
    return rec
  }

  /** A deleted object once its deletion has completed. Throws 404 before that and for unknown names. */
  deleted(name: string): ObjectRecord<P> {
    const rec = this.find(name)
    if (!rec || phaseOf(rec, this.now()) !== 'deleted') throw deletedNotFound(this.labels, name)
    return rec
  }

  /** Recover a deleted object with every version. It stays invisible for the recover delay. Throws 404 or 409. */
  recover(name: string): ObjectRecord<P> {
    const rec = this.find(name)
    const phase = rec ? phaseOf(rec, this.now()) : 'absent'
    if (phase === 'deleting') throw stillBeingDeleted(this.labels)
    if (!rec || phase !== 'deleted') throw notFound(this.labels, name)
    delete rec.deleted
    rec.recoveringUntil = this.now() + this.settings().recoverDelayMs
    return rec
  }

  /** Permanently remove a deleted object. Throws 404, 409 while being deleted, 403 under purge protection. */
  purge(name: string): void {
    const rec = this.find(name)
    const phase = rec ? phaseOf(rec, this.now()) : 'absent'
    if (phase === 'deleting') throw stillBeingDeleted(this.labels)
    if (!rec || phase !== 'deleted') throw deletedNotFound(this.labels, name)
    const s = this.settings()
    if (s.purgeProtection) throw purgeProtected(s.name, s.region)
    rec.versions = []
    delete rec.deleted
    rec.purgingUntil = this.now() + s.purgeDelayMs
  }

  /**
   * Recreate an object from a backup with its original versions and ids. `conflictId` names the backup's latest
   * version in the 409 message. Throws 409 when the name is in use in any way.
   */
  restore(incoming: Pick<ObjectRecord<P>, 'name' | 'managed' | 'versions'>, conflictId: string): ObjectRecord<P> {
    const existing = this.find(incoming.name)
    const phase = existing ? phaseOf(existing, this.now()) : 'absent'
    if (phase === 'deleted') throw deletedButRecoverable(this.labels, incoming.name)
    if (phase !== 'absent') throw restoreConflict(this.labels, conflictId)
    const record: ObjectRecord<P> = { name: incoming.name, managed: incoming.managed, versions: structuredClone(incoming.versions) }
    this.state.objects[incoming.name.toLowerCase()] = record
    return record
  }

  /** Live objects, sorted by lower-cased name. */
  listActive(): ObjectRecord<P>[] {
    this.sweep()
    const now = this.now()
    return sortedByName(Object.values(this.state.objects).filter((r) => phaseOf(r, now) === 'active'))
  }

  /** Deleted objects whose deletion has completed, sorted by lower-cased name. */
  listDeleted(): ObjectRecord<P>[] {
    this.sweep()
    const now = this.now()
    return sortedByName(Object.values(this.state.objects).filter((r) => phaseOf(r, now) === 'deleted'))
  }

  /** Versions of a live object sorted by version id (the service's order); empty for unknown or deleted names. */
  listVersions(name: string): VersionRecord<P>[] {
    const rec = this.find(name)
    if (!rec || phaseOf(rec, this.now()) !== 'active') return []
    return [...rec.versions].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))
  }

  private refuseReuse(name: string, phase: Phase): void {
    const refusals: Partial<Record<Phase, () => KvHttpError>> = {
      deleted: () => deletedButRecoverable(this.labels, name),
      deleting: () => beingDeleted(this.labels, name),
      purging: () => beingDeleted(this.labels, name),
      recovering: () => beingRecovered(this.labels, name),
    }
    const refuse = refusals[phase]
    if (refuse) throw refuse()
  }
}

/** The latest (most recently created) version. */
export function latest<P>(record: ObjectRecord<P>): VersionRecord<P> {
  const v = record.versions.at(-1)
  if (!v) throw new Error(`object ${record.name} has no versions`)
  return v
}

function phaseOf(rec: ObjectRecord<unknown>, now: number): Phase {
  if (rec.purgingUntil !== undefined) return now < rec.purgingUntil ? 'purging' : 'absent'
  if (rec.deleted) {
    if (now >= rec.deleted.scheduledPurgeAt) return 'absent'
    return now < rec.deleted.visibleAt ? 'deleting' : 'deleted'
  }
  if (rec.recoveringUntil !== undefined && now < rec.recoveringUntil) return 'recovering'
  return 'active'
}

function applyAttributes(base: ObjectAttributes, input: AttributesInput | undefined): ObjectAttributes {
  const out: ObjectAttributes = { ...base }
  if (!input) return out
  if (input.enabled !== undefined) out.enabled = input.enabled
  for (const k of ['nbf', 'exp'] as const) {
    const v = input[k]
    if (v === null) delete out[k]
    else if (v !== undefined) out[k] = v
  }
  return out
}

function sortedByName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => {
    const x = a.name.toLowerCase()
    const y = b.name.toLowerCase()
    return x < y ? -1 : x > y ? 1 : 0
  })
}
