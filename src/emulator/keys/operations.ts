/**
 * The Keys API's operations as Key Vault names them: AuditEvent operation names (Key Vault logging reference) and
 * the RBAC data actions of the Azure permissions reference (Microsoft.KeyVault/vaults/keys/*,
 * .../keyrotationpolicies/*), plus the throttling class that names the key's family so a throttle can weight it.
 */
import { keyFamilyOf, type KeyFamily, type Protection } from '../../core/limits.js'
import type { OperationDescriptor } from '../http/router.js'

const KEYS = 'Microsoft.KeyVault/vaults/keys'
const POLICIES = 'Microsoft.KeyVault/vaults/keyrotationpolicies'

/** Key Vault's two key transaction kinds: CREATE key, and all other transactions. */
export type KeyTransactionKind = 'create' | 'other'

function op(name: string, dataAction: string, kind: KeyTransactionKind = 'other'): OperationDescriptor {
  return { name, dataAction, kind: 'key', throttleClass: `key-${kind}` }
}

/**
 * Every Keys API route's descriptor. Reading deleted keys needs `keys/read` and purging `keys/purge/action` (vaults
 * have no deletedKeys data actions). Import and rotate create versions, so they count as CREATE transactions; restore
 * is not listed by the service limits and counts as "other".
 */
export const KEY_OPERATIONS = {
  create: op('KeyCreate', `${KEYS}/create/action`, 'create'),
  import: op('KeyImport', `${KEYS}/import/action`, 'create'),
  get: op('KeyGet', `${KEYS}/read`),
  list: op('KeyList', `${KEYS}/read`),
  listVersions: op('KeyListVersions', `${KEYS}/read`),
  update: op('KeyUpdate', `${KEYS}/update/action`),
  delete: op('KeyDelete', `${KEYS}/delete`),
  getDeleted: op('KeyGetDeleted', `${KEYS}/read`),
  listDeleted: op('KeyListDeleted', `${KEYS}/read`),
  recover: op('KeyRecover', `${KEYS}/recover/action`),
  purge: op('KeyPurge', `${KEYS}/purge/action`),
  backup: op('KeyBackup', `${KEYS}/backup/action`),
  restore: op('KeyRestore', `${KEYS}/restore/action`),
  rotate: op('KeyRotate', `${KEYS}/rotate/action`, 'create'),
  getRotationPolicy: op('KeyRotationPolicyGet', `${POLICIES}/read`),
  setRotationPolicy: op('KeyRotationPolicySet', `${POLICIES}/write`),
  encrypt: op('KeyEncrypt', `${KEYS}/encrypt/action`),
  decrypt: op('KeyDecrypt', `${KEYS}/decrypt/action`),
  wrapKey: op('KeyWrap', `${KEYS}/wrap/action`),
  unwrapKey: op('KeyUnwrap', `${KEYS}/unwrap/action`),
  sign: op('KeySign', `${KEYS}/sign/action`),
  verify: op('KeyVerify', `${KEYS}/verify/action`),
  /** Not in the logging reference (the name is the emulator's); release itself is not supported. */
  release: op('KeyRelease', `${KEYS}/release/action`),
  /** `POST /keys/{name}` without an operation segment; answered with 400 before anything is read. */
  unspecified: op('Unknown', `${KEYS}/read`),
} as const satisfies Record<string, OperationDescriptor>

/** A key throttling class taken apart. */
export interface KeyThrottleClass {
  kind: KeyTransactionKind
  family: KeyFamily
  protection: Protection
}

/**
 * `key-<kind>/<family>/<protection>`, e.g. `key-other/RSA-4096/hsm`, for a key of type `kty` (RSA, RSA-HSM, EC,
 * EC-HSM) and RSA size `keySize`. Guarantees parseKeyThrottleClass gives the family back.
 */
export function keyThrottleClass(kind: KeyTransactionKind, kty: string, keySize?: number): string {
  const { family, protection } = keyFamilyOf(kty, keySize)
  return `key-${kind}/${family}/${protection}`
}

/**
 * The kind, family and protection a key throttling class names, or undefined for classes that are not key classes.
 * A bare `key-create` / `key-other` (listings, and requests whose key is unknown or absent) is a software RSA-2048
 * transaction, the unit Key Vault's limits are weighted in.
 */
export function parseKeyThrottleClass(throttleClass: string): KeyThrottleClass | undefined {
  const m = /^key-(create|other)(?:\/(RSA-2048|RSA-3072|RSA-4096|EC)\/(software|hsm))?$/.exec(throttleClass)
  if (!m) return undefined
  return { kind: m[1] as KeyTransactionKind, family: (m[2] ?? 'RSA-2048') as KeyFamily, protection: (m[3] ?? 'software') as Protection }
}

/** The descriptor with its throttling class naming a key family. */
export function withKeyFamily(operation: OperationDescriptor, kty: string, keySize?: number): OperationDescriptor {
  const kind: KeyTransactionKind = operation.throttleClass === 'key-create' ? 'create' : 'other'
  return { ...operation, throttleClass: keyThrottleClass(kind, kty, keySize) }
}
