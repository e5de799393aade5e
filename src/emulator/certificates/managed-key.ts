/**
 * The key behind a certificate, in the vault's keys collection: created with the certificate's version id and
 * `managed: true`, its key_ops mapped from the policy's key usage as Key Vault documents it.
 *
 * The payload is the keys module's stored form of a key version (its private JWK material and key_ops); this module
 * is the only place the certificates module writes or reads it.
 */
import { KEY_LABELS } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import { latest, type AttributesInput, type VersionedCollection } from '../model/versioned.js'
import { supportedKeyOps, type KeyMaterial } from '../keys/crypto.js'
import type { KeyUsageName } from './policy.js'

/** Collection key of keys in VaultState. */
export const KEYS_COLLECTION = 'keys'

/** A key version as the keys module stores it. */
export interface ManagedKeyPayload {
  material: KeyMaterial
  keyOps: string[]
}

/** The vault's keys (for the lifecycle of the key behind a certificate: delete, recover, purge, backup). */
export function keysOf(vault: Vault): VersionedCollection<ManagedKeyPayload> {
  return vault.collection<ManagedKeyPayload>(KEYS_COLLECTION, KEY_LABELS)
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

export interface ManagedKeyInput {
  /** The certificate's version id. */
  version: string
  material: KeyMaterial
  keyOps: string[]
  attributes: AttributesInput
  tags?: Record<string, string>
}

/** Add a version to the key behind certificate `name` (creating it, managed). Throws 409 while the name is blocked. */
export function createManagedKey(vault: Vault, name: string, input: ManagedKeyInput): void {
  keysOf(vault).create(name, {
    version: input.version,
    managed: true,
    payload: { material: input.material, keyOps: [...input.keyOps] },
    attributes: input.attributes,
    ...(input.tags === undefined ? {} : { tags: input.tags }),
  })
}

/** The private material of the latest version of the live key behind certificate `name`, if it has one. */
export function managedKeyMaterial(vault: Vault, name: string): KeyMaterial | undefined {
  const keys = keysOf(vault)
  if (keys.phase(name) !== 'active') return undefined
  const record = keys.active(name)
  return record.managed ? latest(record).payload.material : undefined
}
