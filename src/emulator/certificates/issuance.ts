/**
 * Certificate requests: a create (a pending operation with a CSR and a disabled placeholder version) that issuer Self
 * completes after the vault's issue delay, that waits for a merge with issuer Unknown, and that fails (or is
 * cancelled) with a CA issuer, which the emulator cannot reach; merge, cancellation and deletion of the request.
 *
 * Requests end lazily: the vault runs `settleRequests` before every collection access (Vault.onAccess), so a due
 * request has produced its certificate, key and secret before anything reads them.
 */
import { randomBytes, type JsonWebKey } from 'node:crypto'
import type { Clock } from '../../core/clock.js'
import { badParameter } from '../http/errors.js'
import { DEFAULT_ISSUE_DELAY_MS, type Vault } from '../model/vault.js'
import type { VersionedCollection } from '../model/versioned.js'
import { describeKey as describeMaterial, generateKey, type KeyMaterial } from '../keys/crypto.js'
import { mergeForbidden, pendingNotFound, requestInProgress, wireErrors, wireErrorsSync } from './errors.js'
import { IssuerStore } from './issuers.js'
import { assertManagedNamesUsable, managedKeyMaterial } from './managed.js'
import {
  CERTIFICATES_COLLECTION,
  certificateCollection,
  maybeMetaOf,
  metaOf,
  setMeta,
  type CertificateMeta,
  type CertificatePayload,
  type CertificateRecord,
  type CertificateVersion,
  type PendingOperation,
  type StoredPolicy,
} from './model.js'
import { completePolicy, type CertificatePolicy, type CompletePolicy } from './policy.js'
import { addMonths, createCsr, issueSelfSigned, NOT_BEFORE_SKEW_SECONDS } from './x509-build.js'
import { certificateFacts, type CertificateFacts } from './x509-facts.js'
import { toPrivateKey } from './x509-keys.js'
import { mergeCertificate } from './x509-merge.js'
import { addIssuedVersion, assertCertificateNameUsable, dropPlaceholder, liveRecord, storedPolicy } from './versions.js'

type IssuerKind = 'self' | 'unknown' | 'ca'

function issuerKind(issuerName: string): IssuerKind {
  const n = issuerName.toLowerCase()
  return n === 'self' ? 'self' : n === 'unknown' ? 'unknown' : 'ca'
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000)
}

function issueDelay(vault: Vault): number {
  return vault.settings.issueDelayMs ?? DEFAULT_ISSUE_DELAY_MS
}

/**
 * The vault's certificates. Registers the settler that ends due requests (once per vault and clock; re-registering
 * replaces it) and settles them before returning.
 */
export function certificatesOf(vault: Vault, clock: Clock): VersionedCollection<CertificatePayload> {
  vault.onAccess(CERTIFICATES_COLLECTION, () => settleRequests(vault, clock))
  return certificateCollection(vault)
}

/** End every request whose time has come: Self issues, a CA issuer fails, a cancellation takes effect. */
function settleRequests(vault: Vault, clock: Clock): void {
  const state = vault.state.collections[CERTIFICATES_COLLECTION]
  if (!state) return
  const now = clock.now()
  const certs = certificateCollection(vault)
  for (const record of Object.values(state.objects) as CertificateRecord[]) {
    const op = maybeMetaOf(record)?.operation
    if (!op || op.status !== 'inProgress' || op.dueAt === undefined || op.dueAt > now) continue
    if (certs.phase(record.name) !== 'active') continue
    endRequest(vault, record, op, op.dueAt)
  }
}

/**
 * End a request at `atMs`: issue (Self), cancel (cancellation requested) or fail (a CA issuer). Never throws: a request
 * that cannot be issued (its key or secret name was taken meanwhile) fails, as anything a settler throws would break
 * every request to the vault.
 */
function endRequest(vault: Vault, record: CertificateRecord, op: PendingOperation, atMs: number): void {
  try {
    if (issuerKind(op.issuerName) === 'self' && op.material) {
      const der = issueSelfSigned({ policy: op.policy, key: op.material as JsonWebKey, now: atMs })
      assertManagedNamesUsable(vault, record.name)
      completeRequest(vault, record, op, { chain: [der], leaf: certificateFacts(der), atMs })
      return
    }
  } catch (err) {
    fail(op, 'Request rejected', err instanceof Error ? err.message : String(err))
    return
  }
  delete op.dueAt
  if (op.cancellationRequested) {
    op.status = 'cancelled'
    return
  }
  const issuer = new IssuerStore(vault).get(op.issuerName)
  if (!issuer) {
    fail(op, 'Request rejected', `Issuer '${op.issuerName}' is not configured in this vault. Use Self, Unknown or an issuer set with the issuers API.`)
    return
  }
  fail(
    op,
    'Certificate issuer error',
    `The Key Vault emulator does not contact certificate authorities: issuer '${issuer.name}' (provider '${issuer.payload.provider}') cannot issue. Merge a certificate your CA signed for this request's CSR, or use issuer Self or Unknown.`,
  )
}

function fail(op: PendingOperation, code: string, message: string): void {
  op.status = 'failed'
  op.error = { code, message }
  delete op.dueAt
}

/** What a version is issued from. */
interface Issued {
  /** DER certificates in the order to store (leaf first, or as given). */
  chain: Buffer[]
  leaf: CertificateFacts
  atMs: number
  /** Overrides of the request's `enabled` and tags (a merge's own). */
  enabled?: boolean
  tags?: Record<string, string>
}

/**
 * Finish a request with a certificate for its key pair: the placeholder is replaced by an issued version (new version
 * id, shared by the key and secret created with it) and the request is `completed`. The caller has checked that the
 * key and secret names are usable.
 */
function completeRequest(vault: Vault, record: CertificateRecord, op: PendingOperation, issued: Issued): CertificateVersion {
  if (!op.material) throw new Error(`certificate request ${op.requestId} has no key pair`)
  dropPlaceholder(vault, record, op, 'keep-record')
  const tags = issued.tags ?? op.tags
  const version = addIssuedVersion(vault, record.name, {
    material: op.material,
    privateKey: toPrivateKey(op.material as JsonWebKey),
    chain: issued.chain,
    leaf: issued.leaf,
    policy: op.policy,
    enabled: issued.enabled ?? op.enabled ?? true,
    ...(tags === undefined ? {} : { tags }),
    ...(op.preserveCertOrder ? { preserveCertOrder: true } : {}),
    at: issued.atMs,
  })
  op.status = 'completed'
  op.cancellationRequested = false
  delete op.material
  delete op.dueAt
  delete op.placeholder
  delete op.error
  return version
}

/** Checks shared by create and import: the names are usable and no request is in progress. Throws 409. */
export function assertCanAddVersion(vault: Vault, clock: Clock, name: string): CertificateRecord | undefined {
  const certs = certificatesOf(vault, clock)
  assertCertificateNameUsable(certs, name)
  const record = liveRecord(certs, name)
  if (record && maybeMetaOf(record)?.operation?.status === 'inProgress') throw requestInProgress()
  assertManagedNamesUsable(vault, name)
  return record
}

/** The policy to store: the requested one (issuer Unknown when it names none) with Key Vault's defaults. */
function policyFor(requested: CertificatePolicy | undefined, existing: StoredPolicy | undefined): CompletePolicy {
  if (requested === undefined) {
    if (existing) return existing.policy
    throw badParameter('Property policy is required to create the first version of a certificate.')
  }
  const { id: _id, attributes: _attributes, ...rest } = requested
  const issuer = rest.issuer?.name ? rest.issuer : { ...rest.issuer, name: 'Unknown' }
  return wireErrorsSync(() => completePolicy({ ...rest, issuer }))
}

/** A create request, validated by the route. */
export interface CreateRequest {
  name: string
  policy?: CertificatePolicy
  enabled?: boolean
  tags?: Record<string, string>
  preserveCertOrder?: boolean
}

/**
 * Start a certificate request: a key pair (the previous one with reuse_key), its CSR, a disabled placeholder version
 * and the pending operation. Throws 400 for a bad policy, 409 while the name is blocked or a request runs.
 */
export async function startRequest(vault: Vault, clock: Clock, req: CreateRequest): Promise<CertificateRecord> {
  const checked = assertCanAddVersion(vault, clock, req.name)
  const existing = checked ? metaOf(checked).policy : undefined
  const policy = policyFor(req.policy, existing)
  const reused = policy.key_props.reuse_key ? managedKeyMaterial(vault, req.name) : undefined
  const material = reused && sameShape(reused, policy) ? reused : await wireErrors(() => generateKey({ kty: policy.key_props.kty, keySize: policy.key_props.key_size, crv: policy.key_props.crv }))
  const csr = createCsr({ policy, key: material as JsonWebKey }).toString('base64')

  // Key generation awaited: check again before changing anything.
  const current = assertCanAddVersion(vault, clock, req.name)
  const previous = current ? metaOf(current) : undefined
  if (current && previous?.operation) dropPlaceholder(vault, current, previous.operation, 'keep-record')
  const now = clock.now()
  const nowSec = seconds(now)
  const certs = certificateCollection(vault)
  const placeholder = certs.create(req.name, {
    payload: {},
    attributes: { enabled: false, nbf: nowSec - NOT_BEFORE_SKEW_SECONDS, exp: seconds(addMonths(new Date(nowSec * 1000), policy.x509_props.validity_months).getTime()) },
    ...(req.tags === undefined ? {} : { tags: req.tags }),
  })
  const kind = issuerKind(policy.issuer.name)
  const operation: PendingOperation = {
    requestId: randomBytes(16).toString('hex'),
    issuerName: policy.issuer.name,
    csr,
    policy,
    status: 'inProgress',
    cancellationRequested: false,
    ...(kind === 'unknown' ? {} : { dueAt: now + issueDelay(vault) }),
    material,
    placeholder: placeholder.version.version,
    ...(req.enabled === undefined ? {} : { enabled: req.enabled }),
    ...(req.tags === undefined ? {} : { tags: req.tags }),
    ...(req.preserveCertOrder ? { preserveCertOrder: true } : {}),
  }
  const meta: CertificateMeta = { policy: storedPolicy(policy, req.policy, previous?.policy, nowSec), operation }
  setMeta(placeholder.record, meta)
  return certificatesOf(vault, clock).active(req.name)
}

/** True when reused key material fits the policy's key_props (a changed kty, size or curve needs a new key). */
function sameShape(material: KeyMaterial, policy: CompletePolicy): boolean {
  const shape = describeMaterial(material)
  const k = policy.key_props
  return shape.kty === k.kty && (shape.crv === undefined ? shape.keySize === k.key_size : shape.crv === k.crv)
}

/** The request of live certificate `name`. Throws 404 PendingCertificateNotFound. */
export function operationOf(vault: Vault, clock: Clock, name: string, requestId?: string | null): { record: CertificateRecord; op: PendingOperation } {
  const record = liveRecord(certificatesOf(vault, clock), name)
  const op = record ? metaOf(record).operation : undefined
  if (!record || !op || (requestId !== undefined && requestId !== null && requestId !== op.requestId)) throw pendingNotFound(name)
  return { record, op }
}

/**
 * Merge a chain a CA signed for the request's CSR: allowed while a request to Unknown runs, and after any request
 * failed or was cancelled. Throws 404 without a request, 403 while Self or a CA issuer works on it, 400 for a
 * completed request or a chain without a certificate for the request's key, 409 when the key or secret name is taken.
 */
export function mergeRequest(vault: Vault, clock: Clock, name: string, x5c: readonly string[], change: { enabled?: boolean; tags?: Record<string, string> }): CertificateVersion {
  const { record, op } = operationOf(vault, clock, name)
  if (op.status === 'completed' || !op.material) throw badParameter(`The certificate request of ${record.name} has completed; there is nothing to merge.`)
  if (op.status === 'inProgress' && issuerKind(op.issuerName) !== 'unknown') throw mergeForbidden(op.issuerName)
  const material = op.material
  const merged = wireErrorsSync(() => mergeCertificate(x5c, material as JsonWebKey))
  assertManagedNamesUsable(vault, name)
  return completeRequest(vault, record, op, { chain: merged.chain, leaf: merged.leaf, atMs: clock.now(), ...change })
}

/**
 * Request cancellation. Self ignores it (a self-signed certificate is issued within moments, as on Azure); other
 * requests end `cancelled` after the issue delay. Throws 404 without a request, 400 when it is not in progress.
 */
export function cancelRequest(vault: Vault, clock: Clock, name: string, requestId: string | null): PendingOperation {
  const { op } = operationOf(vault, clock, name, requestId)
  if (op.status !== 'inProgress') throw badParameter(`The certificate request of ${name} is ${op.status}; only a request in progress can be cancelled.`)
  op.cancellationRequested = true
  if (op.dueAt === undefined) op.dueAt = clock.now() + issueDelay(vault)
  return op
}

/**
 * Delete the request. A Self request in progress is issued first (it cannot be stopped, as on Azure); any other
 * unfinished request takes its placeholder version with it (and the certificate, when it had no other version).
 * Returns the request as it was when deleted. Throws 404 without a request.
 */
export function deleteRequest(vault: Vault, clock: Clock, name: string, requestId: string | null): PendingOperation {
  const { record, op } = operationOf(vault, clock, name, requestId)
  if (op.status === 'inProgress' && issuerKind(op.issuerName) === 'self') endRequest(vault, record, op, clock.now())
  const shown = structuredClone(op)
  dropPlaceholder(vault, record, op, 'drop-empty')
  const meta = maybeMetaOf(record)
  if (meta) delete meta.operation
  return shown
}
