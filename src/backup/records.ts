/**
 * Backup records, version 1: the `data` kvdr stores in each snapshot entry (docs/FORMAT.md, "Backup records").
 * Plain JSON, never a secret value: values, private material, native blobs and issuer credentials are sealed
 * contents referenced by their ContentId. Each version carries a keyed fingerprint so restore and verify can
 * tell "identical" without reading values.
 */
import type { ContentId, Entry, Json } from '../repo/types.js'
import type { Attributes, CertificateContact, DeletedObject, IssuerDetail, ListedObject, PlainJson } from '../vault/types.js'

export const RECORD_VERSION = 1

/** Entry kinds written by backup (besides the object kinds themselves). */
export const ISSUER_KIND = 'certificate-issuer'
export const CONTACTS_KIND = 'certificate-contacts'
export const CONTACTS_NAME = 'contacts'

/** Content types of the contents backup stores. */
export const CONTENT = {
  secretValue: 'secret-value',
  secretBackup: 'secret-backup',
  keyBackup: 'key-backup',
  keyPublic: 'key-public',
  certificateBackup: 'certificate-backup',
  certificateCer: 'certificate-cer',
  certificateSecret: 'certificate-secret',
  issuerCredentials: 'issuer-credentials',
} as const

/** Fingerprint labels (FORMAT.md lists what each covers). */
export const FINGERPRINT = {
  secret: 'secret-version/v1',
  key: 'key-version/v1',
  certificate: 'certificate-version/v1',
  issuer: 'certificate-issuer/v1',
} as const

/** What the top-level listing showed for an object; the next run compares it to decide whether to fetch. */
export interface ListingSignature {
  state: 'active' | 'deleted'
  enabled: boolean
  createdOn?: string
  updatedOn?: string
  notBefore?: string
  expiresOn?: string
  tags: Record<string, string>
  contentType?: string
  thumbprint?: string
  deletedOn?: string
  scheduledPurgeDate?: string
  recoveryId?: string
}

/** Where an entry can be restored. */
export interface Restorability {
  /** A native backup is stored: restorable into a vault of the snapshot's subscription and geography. */
  sameWorld: boolean
  /** How much can be recreated in any vault from captured values: every version, some, or none. */
  anywhere: 'all' | 'partial' | 'none'
  /** Why not everything (e.g. "key material only in native blob", "2 disabled versions: native only"). */
  notes: string[]
}

/** How one version was captured. */
export type VersionCapture = 'value' | 'public' | 'native-only' | 'none'

/** A native Key Vault backup of every version of an object. */
export interface NativeRecord {
  content: ContentId
  versions: number
}

interface VersionCommon {
  version: string
  attributes: Attributes
  tags: Record<string, string>
  capture: VersionCapture
  /** Keyed fingerprint (hex) of what `capture` covers; absent when nothing readable was captured. */
  fingerprint?: string
}

export interface SecretVersionRecord extends VersionCommon {
  contentType?: string
  value?: ContentId
}

export interface KeyVersionRecord extends VersionCommon {
  keyType: string
  keySize?: number
  curve?: string
  keyOps: string[]
  exportable?: boolean
  releasePolicy?: { contentType?: string; immutable?: boolean; data?: string }
  hsmPlatform?: string
  publicKey?: ContentId
}

export interface CertificateVersionRecord extends VersionCommon {
  thumbprint?: string
  cer?: ContentId
  /** The managed secret's value (PFX or PEM with the private key), when the policy allows export. */
  secret?: ContentId
  secretContentType?: string
}

/** Fields every object record has. */
export interface ObjectRecordBase {
  v: 1
  state: 'active' | 'deleted'
  listing: ListingSignature
  /** The vault's clock (ms, second precision) just before the listing page with this object was read. */
  listedAt: number | null
  deleted?: { deletedOn?: string; scheduledPurgeDate?: string; recoveryId?: string }
  /** Set when this run could not read the object and kept the previous snapshot's capture. */
  carried?: { reason: string; capturedAt: string | null }
  /** When this capture was made (kvdr's clock, ISO). */
  capturedAt: string | null
  restore: Restorability
}

export interface SecretRecord extends ObjectRecordBase {
  versions: SecretVersionRecord[]
  native: NativeRecord | null
}

export interface KeyRecord extends ObjectRecordBase {
  versions: KeyVersionRecord[]
  rotationPolicy: PlainJson
  native: NativeRecord | null
}

export interface CertificateRecord extends ObjectRecordBase {
  versions: CertificateVersionRecord[]
  policy: PlainJson
  native: NativeRecord | null
}

export interface IssuerRecord extends Omit<IssuerDetail, 'name' | 'credentials'> {
  v: 1
  /** Sealed `{accountId, password?}`; Key Vault never returns issuer passwords, so `password` is usually absent. */
  credentials: ContentId | null
  /** True when the issuer's password was returned and is in `credentials`. */
  passwordCaptured: boolean
  notes: string[]
  fingerprint: string
}

export interface ContactsRecord {
  v: 1
  contacts: CertificateContact[]
}

/** The listing signature of a listed or deleted object. */
export function signatureOf(o: ListedObject | DeletedObject, state: 'active' | 'deleted'): ListingSignature {
  const a = o.attributes
  const d = o as DeletedObject
  const sig: ListingSignature = { state, enabled: a.enabled, tags: sortKeys(o.tags) }
  const opt = { createdOn: a.createdOn, updatedOn: a.updatedOn, notBefore: a.notBefore, expiresOn: a.expiresOn, contentType: o.contentType, thumbprint: o.thumbprint }
  const del = state === 'deleted' ? { deletedOn: d.deletedOn, scheduledPurgeDate: d.scheduledPurgeDate, recoveryId: d.recoveryId } : {}
  for (const [k, v] of Object.entries({ ...opt, ...del })) if (v !== undefined) (sig as unknown as Record<string, unknown>)[k] = v
  return sig
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k] as string]))
}

/** Attributes as recorded (vault-wide recovery settings are the same for every object and are dropped). */
export function recordedAttributes(a: Attributes): Attributes {
  const { recoveryLevel: _l, recoverableDays: _d, ...rest } = a
  return rest
}

/** Summarise where an object with these versions can be restored. */
export function restorability(kind: 'secret' | 'key' | 'certificate', versions: readonly VersionCommon[], native: NativeRecord | null): Restorability {
  const notes: string[] = []
  const byValue = versions.filter((v) => v.capture === 'value').length
  if (kind === 'key') notes.push('key material only in native blob')
  const publicOnly = versions.filter((v) => v.capture === 'public').length
  if (kind === 'certificate' && publicOnly > 0) notes.push(`${publicOnly} version(s) without an exportable private key: private key only in native blob`)
  const nativeOnly = versions.filter((v) => v.capture === 'native-only').length
  if (nativeOnly > 0) notes.push(`${nativeOnly} disabled version(s): native only`)
  const none = versions.filter((v) => v.capture === 'none').length
  if (none > 0) notes.push(`${none} version(s) not captured`)
  if (!native) notes.push('no native backup')
  const anywhere = kind === 'key' || byValue === 0 ? 'none' : byValue === versions.length ? 'all' : 'partial'
  return { sameWorld: native !== null, anywhere, notes }
}

/** The previous run's view of an entry, as far as incremental runs need it. */
export interface IndexedEntry {
  /** Digest of the canonical listing signature. */
  signature: string
  listedAt: number | null
  /** False for entries that were carried forward or lack a comparable listing: refetch them. */
  reusable: boolean
}

/** True when `data` is a backup record of this version with a listing (an object entry). */
export function isObjectRecord(data: Json): data is Json & ObjectRecordBase {
  const d = data as Record<string, unknown> | null
  return typeof d === 'object' && d !== null && d.v === RECORD_VERSION && typeof d.listing === 'object' && d.listing !== null && (d.state === 'active' || d.state === 'deleted')
}

/** The map key of an entry or object: kind and lower-cased name (Key Vault names are case-insensitive). */
export function entryKey(kind: string, name: string): string {
  return `${kind}\0${name.toLowerCase()}`
}

/** Cast a record to entry data (records are plain JSON by construction). */
export function toEntry(kind: string, name: string, refs: ContentId[], data: object): Entry {
  return { kind, name, refs: [...new Set(refs)], data: data as unknown as Json }
}
