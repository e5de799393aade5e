/**
 * The Certificates API's wire shapes, built from the request's own base URL: CertificateBundle (issued or pending
 * placeholder), CertificateItem, the deleted variants, CertificatePolicy, CertificateOperation, IssuerBundle and
 * Contacts. Field order and presence follow the service's recorded responses. Nothing secret is ever rendered:
 * no key material, no issuer password.
 */
import type { HandlerContext } from '../http/router.js'
import { deletedFields, latest, wireAttributes } from '../model/versioned.js'
import type { Contact, Issuer } from './issuers.js'
import { metaOf, type CertificateRecord, type CertificateVersion, type PendingOperation, type StoredPolicy } from './model.js'
import { thumbprint } from './x509-facts.js'

/** status_details of a request waiting for a merge, and of one an issuer works on (recorded wording). */
const STATUS_MERGE = 'Pending certificate created. Please Perform Merge to complete the request.'
const STATUS_IN_PROGRESS =
  'Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.'

/** What rendering depends on: the address the client used, the vault, and the api-version it asked for. */
export type View = Pick<HandlerContext, 'baseUrl' | 'vault' | 'apiVersion'>

/** `https://host/certificates/name[/version]`. */
export function certificateId(baseUrl: string, name: string, version?: string): string {
  return version === undefined ? `${baseUrl}/certificates/${name}` : `${baseUrl}/certificates/${name}/${version}`
}

/** Items carry `subject` (always empty, as the service sends it) from api-version 2025-07-01 on. */
function itemsHaveSubject(apiVersion: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(apiVersion) && apiVersion.slice(0, 10) >= '2025-07-01'
}


function tagsOf(v: CertificateVersion): Record<string, unknown> {
  return v.tags && Object.keys(v.tags).length > 0 ? { tags: { ...v.tags } } : {}
}

function x5tOf(v: CertificateVersion): Record<string, unknown> {
  return v.payload.cer === undefined ? {} : { x5t: thumbprint(Buffer.from(v.payload.cer, 'base64')) }
}

/** CertificatePolicy with its id and attributes. */
export function policyBody(view: View, name: string, stored: StoredPolicy): Record<string, unknown> {
  return {
    id: `${certificateId(view.baseUrl, name)}/policy`,
    ...stored.policy,
    attributes: { enabled: stored.enabled, created: stored.created, updated: stored.updated },
  }
}

/** CertificateBundle of a version: issued (kid, sid, x5t, cer) or the placeholder of a pending request. */
export function certificateBundle(view: View, record: CertificateRecord, v: CertificateVersion): Record<string, unknown> {
  const meta = metaOf(record)
  const issued = v.payload.cer !== undefined
  return {
    id: certificateId(view.baseUrl, record.name, v.version),
    ...(issued
      ? {
          kid: `${view.baseUrl}/keys/${record.name}/${v.version}`,
          sid: `${view.baseUrl}/secrets/${record.name}/${v.version}`,
          ...x5tOf(v),
          cer: v.payload.cer,
        }
      : {}),
    attributes: wireAttributes(v.attributes, view.vault),
    ...tagsOf(v),
    policy: policyBody(view, record.name, meta.policy),
    ...(meta.operation ? { pending: { id: `${certificateId(view.baseUrl, record.name)}/pending` } } : {}),
    ...(v.payload.preserveCertOrder ? { preserveCertOrder: true } : {}),
  }
}

/** CertificateItem: `withVersion` for version listings. */
export function certificateItem(view: View, record: CertificateRecord, v: CertificateVersion, withVersion: boolean): Record<string, unknown> {
  return {
    id: certificateId(view.baseUrl, record.name, withVersion ? v.version : undefined),
    ...x5tOf(v),
    attributes: wireAttributes(v.attributes),
    ...tagsOf(v),
    ...(itemsHaveSubject(view.apiVersion) ? { subject: '' } : {}),
  }
}

/** DeletedCertificateBundle (latest version). */
export function deletedCertificateBundle(view: View, record: CertificateRecord): Record<string, unknown> {
  return { ...deletedFields(view.baseUrl, 'deletedcertificates', record), ...certificateBundle(view, record, latest(record)) }
}

/** DeletedCertificateItem (id without version; attributes with the recovery level, as the service's example shows). */
export function deletedCertificateItem(view: View, record: CertificateRecord): Record<string, unknown> {
  const v = latest(record)
  return {
    ...deletedFields(view.baseUrl, 'deletedcertificates', record),
    id: certificateId(view.baseUrl, record.name),
    ...x5tOf(v),
    attributes: wireAttributes(v.attributes, view.vault),
    ...tagsOf(v),
  }
}

/** CertificateOperation (`/pending`). Never includes the request's key pair. */
export function operationBody(view: View, name: string, op: PendingOperation): Record<string, unknown> {
  const details =
    op.status === 'inProgress'
      ? { status_details: op.issuerName.toLowerCase() === 'unknown' ? STATUS_MERGE : STATUS_IN_PROGRESS }
      : op.status === 'failed'
        ? { status_details: '', error: { ...op.error } }
        : {}
  return {
    id: `${certificateId(view.baseUrl, name)}/pending`,
    issuer: { name: op.issuerName },
    csr: op.csr,
    cancellation_requested: op.cancellationRequested,
    status: op.status,
    ...details,
    ...(op.status === 'completed' ? { target: certificateId(view.baseUrl, name) } : {}),
    ...(op.preserveCertOrder ? { preserveCertOrder: true } : {}),
    request_id: op.requestId,
  }
}

/** `https://host/certificates/issuers/name`. */
function issuerId(baseUrl: string, name: string): string {
  return `${baseUrl}/certificates/issuers/${name}`
}

/** IssuerBundle. The credentials' password is never returned (as the service's example shows). */
export function issuerBody(view: View, issuer: Issuer): Record<string, unknown> {
  const { credentials, org_details: org } = issuer.payload
  return {
    id: issuerId(view.baseUrl, issuer.name),
    provider: issuer.payload.provider,
    ...(credentials ? { credentials: credentials.account_id === undefined ? {} : { account_id: credentials.account_id } } : {}),
    ...(org
      ? { org_details: { ...(org.id === undefined ? {} : { id: org.id }), zip: 0, ...(org.admin_details ? { admin_details: org.admin_details.map((a) => ({ ...a })) } : {}) } }
      : {}),
    attributes: { enabled: issuer.enabled, created: issuer.created, updated: issuer.updated },
  }
}

/** CertificateIssuerItem. */
export function issuerItem(view: View, issuer: Issuer): Record<string, unknown> {
  return { id: issuerId(view.baseUrl, issuer.name), provider: issuer.payload.provider }
}

/** Contacts. */
export function contactsBody(view: View, contacts: readonly Contact[]): Record<string, unknown> {
  return { id: `${view.baseUrl}/certificates/contacts`, contacts: contacts.map((c) => ({ ...c })) }
}
