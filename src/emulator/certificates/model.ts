/**
 * Certificates in the versioned model: what a version stores (its certificate chain, or nothing while it is the
 * placeholder of a pending request), the object-level data every certificate carries (its one policy and its
 * pending operation) and the vault's certificates collection.
 */
import { CERTIFICATE_LABELS } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import { latest, type ObjectRecord, type VersionedCollection, type VersionRecord } from '../model/versioned.js'
import type { KeyMaterial } from '../keys/crypto.js'
import type { CompletePolicy } from './policy.js'

/** Collection key of certificates in VaultState. */
export const CERTIFICATES_COLLECTION = 'certificates'

/**
 * What a certificate version stores. An issued version has `cer` and `chain`; the placeholder Key Vault shows while
 * a request is pending (disabled, no certificate) has neither.
 */
export interface CertificatePayload {
  /** base64 DER of the certificate itself (the leaf). */
  cer?: string
  /** base64 DER of every certificate kept with it: leaf first, then its issuers (or as imported with preserveCertOrder). */
  chain?: string[]
  /** The version was imported or created with preserveCertOrder. */
  preserveCertOrder?: boolean
}

/** The certificate's policy as stored: one per certificate, shared by all its versions. */
export interface StoredPolicy {
  /** The complete policy (Key Vault's defaults filled in), without `id` and `attributes`. */
  policy: CompletePolicy
  enabled: boolean
  /** Unix seconds. */
  created: number
  updated: number
}

export type OperationStatus = 'inProgress' | 'completed' | 'cancelled' | 'failed'

/** A certificate request (`/pending`): from create until its deletion, including after it completed. */
export interface PendingOperation {
  /** 32 hex characters, as Key Vault's `request_id`. */
  requestId: string
  /** The policy's issuer name at request time: Self, Unknown or a configured issuer. */
  issuerName: string
  /** base64 DER PKCS#10 request for the key pair below. */
  csr: string
  /** The policy the request was made under (a later policy update applies to the next request). */
  policy: CompletePolicy
  status: OperationStatus
  cancellationRequested: boolean
  /** Set when the request failed. */
  error?: { code: string; message: string }
  /** Epoch ms when the request ends by itself (Self: issued; CA issuers: failed or cancelled). */
  dueAt?: number
  /** The key pair of the request while it runs. Secret: never rendered, dropped when the request ends. */
  material?: KeyMaterial
  /** Version id of the placeholder version shown while the request has not produced a certificate. */
  placeholder?: string
  /** What the issued version gets (from the create request). */
  enabled?: boolean
  tags?: Record<string, string>
  preserveCertOrder?: boolean
}

/** Object-level data of a certificate (stored as ObjectRecord.objectData). */
export type CertificateMeta = {
  policy: StoredPolicy
  operation?: PendingOperation
}

export type CertificateRecord = ObjectRecord<CertificatePayload>
export type CertificateVersion = VersionRecord<CertificatePayload>

/** The vault's certificates collection, without settling pending requests (see issuance.ts for that). */
export function certificateCollection(vault: Vault): VersionedCollection<CertificatePayload> {
  return vault.collection<CertificatePayload>(CERTIFICATES_COLLECTION, CERTIFICATE_LABELS)
}

/** The certificate's object-level data, if set. */
export function maybeMetaOf(record: CertificateRecord): CertificateMeta | undefined {
  return record.objectData as CertificateMeta | undefined
}

/** The certificate's object-level data. Every certificate gets it when its first version is created. */
export function metaOf(record: CertificateRecord): CertificateMeta {
  const meta = maybeMetaOf(record)
  if (!meta) throw new Error(`certificate ${record.name} has no policy`)
  return meta
}

/** Set the certificate's object-level data. */
export function setMeta(record: CertificateRecord, meta: CertificateMeta): void {
  record.objectData = meta
}

/** True for a version that holds a certificate (not the placeholder of a pending request). */
function isIssued(v: CertificateVersion): v is CertificateVersion & { payload: { cer: string; chain: string[] } } {
  return v.payload.cer !== undefined && v.payload.chain !== undefined
}

/** True when the latest version is the placeholder of a request that has not produced a certificate yet. */
export function latestIsPending(record: CertificateRecord): boolean {
  return !isIssued(latest(record))
}

/** The latest issued version, if any. */
export function latestIssued(record: CertificateRecord): CertificateVersion | undefined {
  return [...record.versions].reverse().find(isIssued)
}
