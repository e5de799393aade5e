/**
 * Certificate versions and their names: adding an issued version (with its managed key and secret, one version id for
 * all three), removing a request's placeholder, the policy as stored, and Key Vault's refusals for blocked names.
 */
import type { KeyObject } from 'node:crypto'
import { beingDeleted, beingRecovered, CERTIFICATE_LABELS, deletedButRecoverable } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import { newVersionId, type VersionedCollection } from '../model/versioned.js'
import type { KeyMaterial } from '../keys/crypto.js'
import { createManagedVersions } from './managed.js'
import {
  CERTIFICATES_COLLECTION,
  certificateCollection,
  type CertificatePayload,
  type CertificateRecord,
  type CertificateVersion,
  type PendingOperation,
  type StoredPolicy,
} from './model.js'
import type { CertificatePolicy, CompletePolicy } from './policy.js'
import type { CertificateFacts } from './x509-facts.js'

/** What an issued version is made of. */
export interface IssuedVersionInput {
  material: KeyMaterial
  privateKey: KeyObject
  chain: Buffer[]
  leaf: CertificateFacts
  policy: CompletePolicy
  enabled: boolean
  tags?: Record<string, string>
  preserveCertOrder?: boolean
  /** Issuance time, epoch ms. */
  at: number
}

/** Add an issued certificate version with its managed key and secret (one new version id for all three). */
export function addIssuedVersion(vault: Vault, name: string, input: IssuedVersionInput): CertificateVersion {
  const version = newVersionId()
  const attributes = { enabled: input.enabled, nbf: input.leaf.nbf, exp: input.leaf.exp }
  const tags = input.tags === undefined ? {} : { tags: input.tags }
  const created = certificateCollection(vault).create(name, {
    version,
    at: input.at,
    payload: {
      cer: input.leaf.cer,
      chain: input.chain.map((c) => c.toString('base64')),
      ...(input.preserveCertOrder ? { preserveCertOrder: true } : {}),
    },
    attributes,
    ...tags,
  }).version
  createManagedVersions(vault, name, {
    version,
    material: input.material,
    privateKey: input.privateKey,
    chain: input.chain,
    policy: input.policy,
    attributes,
    ...tags,
    at: input.at,
  })
  return created
}

/**
 * Remove the request's placeholder version. A certificate left without versions is removed altogether, unless the
 * caller adds a version right away (`keep-record`).
 */
export function dropPlaceholder(vault: Vault, record: CertificateRecord, op: PendingOperation, mode: 'keep-record' | 'drop-empty'): void {
  if (op.placeholder === undefined) return
  record.versions = record.versions.filter((v) => v.version !== op.placeholder)
  delete op.placeholder
  if (record.versions.length === 0 && mode === 'drop-empty') {
    const state = vault.state.collections[CERTIFICATES_COLLECTION]
    if (state) delete state.objects[record.name.toLowerCase()]
  }
}

/** Throw Key Vault's 409 unless `name` is free or a live certificate (deleted, being deleted/recovered/purged). */
export function assertCertificateNameUsable(certs: VersionedCollection<CertificatePayload>, name: string): void {
  const phase = certs.phase(name)
  if (phase === 'deleted') throw deletedButRecoverable(CERTIFICATE_LABELS, name)
  if (phase === 'deleting' || phase === 'purging') throw beingDeleted(CERTIFICATE_LABELS, name)
  if (phase === 'recovering') throw beingRecovered(CERTIFICATE_LABELS, name)
}

/** The live certificate `name`, or undefined. */
export function liveRecord(certs: VersionedCollection<CertificatePayload>, name: string): CertificateRecord | undefined {
  return certs.phase(name) === 'active' ? certs.active(name) : undefined
}

/**
 * The policy as stored: `policy` with its own attributes (enabled from the request's policy attributes, else as before;
 * created kept; updated now).
 */
export function storedPolicy(policy: CompletePolicy, requested: CertificatePolicy | undefined, existing: StoredPolicy | undefined, nowSec: number): StoredPolicy {
  const enabled = requested?.attributes?.enabled
  return {
    policy,
    enabled: typeof enabled === 'boolean' ? enabled : (existing?.enabled ?? true),
    created: existing?.created ?? nowSec,
    updated: nowSec,
  }
}
