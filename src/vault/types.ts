/**
 * What the read side returns: plain, JSON-ready descriptions of Key Vault objects (ISO times, base64 bytes),
 * independent of the SDK's classes. Secret values and private material appear only where a type says so
 * (`SecretValue`, `IssuerCredentials`) and must go to sealed contents, never into logs or entry data.
 */
import type { ObjectKind } from '../core/types.js'

/** Object attributes (of one version, or of the latest version in a top-level listing). */
export interface Attributes {
  enabled: boolean
  /** ISO 8601. */
  notBefore?: string
  expiresOn?: string
  createdOn?: string
  updatedOn?: string
  recoveryLevel?: string
  recoverableDays?: number
}

/** An object as the top-level listing shows it: its latest version's attributes, tags and content type. */
export interface ListedObject {
  kind: ObjectKind
  name: string
  attributes: Attributes
  tags: Record<string, string>
  contentType?: string
  /** True for the key and secret behind a certificate (backed up through the certificate). */
  managed: boolean
  /** Certificates: hex SHA-1 thumbprint of the latest version. */
  thumbprint?: string
}

/** A soft-deleted object: recoverable until `scheduledPurgeDate`. */
export interface DeletedObject extends ListedObject {
  deletedOn?: string
  scheduledPurgeDate?: string
  recoveryId?: string
}

/** One version as a version listing shows it. */
export interface VersionInfo {
  version: string
  attributes: Attributes
  tags: Record<string, string>
  contentType?: string
  managed: boolean
}

/** A key version's public material and settings (private material never leaves Key Vault except in a native backup). */
export interface KeyVersionDetail extends VersionInfo {
  keyType: string
  keySize?: number
  curve?: string
  keyOps: string[]
  /** Public JWK members (kty, n, e, crv, x, y), base64url. */
  publicJwk: Record<string, string>
  exportable?: boolean
  releasePolicy?: { contentType?: string; immutable?: boolean; data?: string }
  hsmPlatform?: string
}

/** A certificate version: the public certificate (DER) and its identifiers. */
export interface CertificateVersionDetail extends VersionInfo {
  /** DER of the X.509 certificate. */
  cer?: Uint8Array
  thumbprint?: string
  keyId?: string
  secretId?: string
}

/** A certificate issuer's settings. The credentials are secret: sealed contents only. */
export interface IssuerDetail {
  name: string
  provider?: string
  enabled?: boolean
  createdOn?: string
  updatedOn?: string
  organizationId?: string
  administratorContacts?: Array<{ firstName?: string; lastName?: string; email?: string; phone?: string }>
  /** Secret: the issuer account and password. */
  credentials?: IssuerCredentials
}

/** Secret. */
export interface IssuerCredentials {
  accountId?: string
  password?: string
}

/** A certificate contact of the vault. */
export interface CertificateContact {
  email?: string
  name?: string
  phone?: string
}

/** JSON values (what policies are recorded as). */
export type PlainJson = null | boolean | number | string | PlainJson[] | { [key: string]: PlainJson }
