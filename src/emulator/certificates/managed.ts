/**
 * The key and secret behind a certificate: created with each issued version (same version id, `managed: true`; the
 * key through the Keys API's createManagedKey, its key_ops mapped from the policy's key usage), mirroring the
 * certificate's attributes and tags, and following its lifecycle (deleted, recovered and purged with it).
 */
import type { KeyObject } from 'node:crypto'
import { KvHttpError } from '../http/errors.js'
import { SECRET_LABELS, KEY_LABELS, type KindLabels } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import type { AttributesInput, ObjectRecord, VersionedCollection } from '../model/versioned.js'
import { supportedKeyOps, type KeyMaterial } from '../keys/crypto.js'
import { createManagedKey, keysOf } from '../keys/model.js'
import { secretsOf } from '../secrets/model.js'
import type { CompletePolicy, KeyUsageName } from './policy.js'
import { certificateSecretValue } from './x509-secret.js'

/** What one issued certificate version puts behind it. */
export interface ManagedVersionInput {
  /** The certificate's version id, shared by the key and the secret. */
  version: string
  material: KeyMaterial
  /** The private key of `material`. */
  privateKey: KeyObject
  /** DER certificates in the certificate's stored order. */
  chain: Buffer[]
  policy: CompletePolicy
  /** The certificate version's attributes, mirrored (nbf/exp are the certificate's validity). */
  attributes: { enabled: boolean; nbf: number; exp: number }
  tags?: Record<string, string>
  /** When the certificate version was issued (epoch ms): the key and secret versions are created then too. */
  at: number
}

/**
 * "Mapping X.509 usage to key operations" (about-certificates): the key operations each key usage allows. keyAgreement
 * maps to none.
 */
const USAGE_OPS: Readonly<Record<KeyUsageName, readonly string[]>> = {
  digitalSignature: ['sign', 'verify'],
  nonRepudiation: ['sign', 'verify'],
  keyEncipherment: ['wrapKey', 'unwrapKey'],
  dataEncipherment: ['encrypt', 'decrypt'],
  keyAgreement: [],
  keyCertSign: ['sign', 'verify'],
  cRLSign: ['sign', 'verify'],
  encipherOnly: ['encrypt'],
  decipherOnly: ['decrypt'],
}

/** Key Vault's default when a certificate names no key usage. */
const DEFAULT_USAGES: readonly KeyUsageName[] = ['digitalSignature', 'keyEncipherment']

/**
 * The key_ops of a certificate's key: the union of its key usages' operations, in usage order, limited to what the
 * key type supports (an EC key cannot wrap keys). A certificate without key usage gets the default usages' operations.
 */
export function keyOpsFor(usages: readonly KeyUsageName[], kty: KeyMaterial['kty']): string[] {
  const supported = supportedKeyOps(kty)
  const ops = (usages.length > 0 ? usages : DEFAULT_USAGES).flatMap((u) => USAGE_OPS[u])
  return [...new Set(ops)].filter((op) => supported.includes(op))
}

/** The private material of the latest version of the live key behind certificate `name`, if it has one. */
export function managedKeyMaterial(vault: Vault, name: string): KeyMaterial | undefined {
  const keys = keysOf(vault)
  if (keys.phase(name) !== 'active') return undefined
  const record = keys.active(name)
  return record.managed ? record.versions.at(-1)?.payload.material : undefined
}

/**
 * Create the key and secret versions behind a certificate version. The secret holds the PFX (base64) or PEM text the
 * policy's secret_props.contentType asks for, without the private key when the policy's key is not exportable, and
 * links the key (`kid`). Throws 409 when the key or secret name is blocked (call assertManagedNamesUsable first).
 */
export function createManagedVersions(vault: Vault, name: string, input: ManagedVersionInput): void {
  const attributes: AttributesInput = { ...input.attributes }
  const tags = input.tags === undefined ? {} : { tags: input.tags }
  const key = createManagedKey(vault, name, input.version, input.material, {
    keyOps: keyOpsFor(input.policy.x509_props.key_usage, input.material.kty),
    attributes,
    ...tags,
  })
  key.version.attributes.created = Math.floor(input.at / 1000)
  key.version.attributes.updated = key.version.attributes.created
  const contentType = input.policy.secret_props.contentType
  const value = certificateSecretValue({ ...(input.policy.key_props.exportable ? { key: input.privateKey } : {}), chain: input.chain }, contentType)
  secretsOf(vault).create(name, {
    version: input.version,
    managed: true,
    trackPreviousVersion: true,
    payload: { value, contentType, keyPath: `keys/${name}/${input.version}` },
    attributes,
    at: input.at,
    ...tags,
  })
}

function managedCollections(vault: Vault): VersionedCollection<unknown>[] {
  return [keysOf(vault) as VersionedCollection<unknown>, secretsOf(vault) as VersionedCollection<unknown>]
}

/**
 * Mirror a certificate version's `enabled` and tags to its key and secret ("the certificate attributes are mirrored
 * to attributes of the addressable key and secret"). Versions without a key or secret (placeholders) are skipped.
 */
export function mirrorToManaged(vault: Vault, name: string, version: string, change: { enabled?: boolean; tags?: Record<string, string> }): void {
  for (const c of managedCollections(vault)) {
    if (c.phase(name) !== 'active' || !c.active(name).versions.some((v) => v.version === version)) continue
    c.update(name, version, {
      ...(change.enabled === undefined ? {} : { attributes: { enabled: change.enabled } }),
      ...(change.tags === undefined ? {} : { tags: change.tags }),
    })
  }
}

/** 409 for a certificate whose name is taken by a key or secret that is not its own. Wording is the emulator's. */
function nameTaken(k: KindLabels, name: string): KvHttpError {
  return new KvHttpError(
    409,
    'Conflict',
    `A ${k.noun} named ${name} that does not belong to a certificate exists in this vault (it may be deleted but recoverable); a certificate needs its ${k.noun} name. Use another certificate name, or delete and purge the ${k.noun}.`,
  )
}

/**
 * Throw 409 unless certificate `name` can have its key and secret: the names are free, or held by the certificate's
 * own live managed key and secret.
 */
export function assertManagedNamesUsable(vault: Vault, name: string): void {
  for (const [c, labels] of [[keysOf(vault), KEY_LABELS], [secretsOf(vault), SECRET_LABELS]] as const) {
    const phase = (c as VersionedCollection<unknown>).phase(name)
    if (phase === 'absent') continue
    if (phase !== 'active' || !(c as VersionedCollection<unknown>).active(name).managed) throw nameTaken(labels, name)
  }
}

/** Give a managed object the certificate's lifecycle marks, so both change state at the same instants. */
function followMarks(target: ObjectRecord<unknown>, cert: ObjectRecord<unknown>): void {
  for (const mark of ['deleted', 'recoveringUntil', 'purgingUntil'] as const) {
    if (cert[mark] === undefined) delete target[mark]
    else (target as unknown as Record<string, unknown>)[mark] = structuredClone(cert[mark])
  }
}

/** Soft-delete the live key and secret behind certificate `cert` (just deleted), with its dates. */
export function deleteManaged(vault: Vault, cert: ObjectRecord<unknown>): void {
  for (const c of managedCollections(vault)) {
    if (c.phase(cert.name) === 'active' && c.active(cert.name).managed) followMarks(c.softDelete(cert.name), cert)
  }
}

/** Recover the deleted key and secret behind certificate `cert` (just recovered), with its dates. */
export function recoverManaged(vault: Vault, cert: ObjectRecord<unknown>): void {
  for (const c of managedCollections(vault)) {
    if (c.phase(cert.name) === 'deleted' && c.deleted(cert.name).managed) followMarks(c.recover(cert.name), cert)
  }
}

/** Purge the deleted key and secret behind certificate `cert` (just purged). */
export function purgeManaged(vault: Vault, cert: ObjectRecord<unknown>): void {
  for (const c of managedCollections(vault)) {
    if (c.phase(cert.name) !== 'deleted' || !c.deleted(cert.name).managed) continue
    const record = c.deleted(cert.name)
    c.purge(cert.name)
    followMarks(record, cert)
  }
}
