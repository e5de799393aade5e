/**
 * Keys in the versioned model: the payload stored per version (private key material, key_ops, exportability,
 * release policy), access to a vault's keys collection (also used by the certificates module for the managed key
 * behind each certificate), and the wire shapes (KeyBundle, KeyItem, DeletedKeyBundle, DeletedKeyItem) built from
 * the request's own base URL. Responses carry only the public JWK.
 */
import type { HandlerContext } from '../http/router.js'
import { KvHttpError } from '../http/errors.js'
import { KEY_LABELS } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import { deletedFields, latest, wireAttributes, type AttributesInput, type ObjectRecord, type VersionedCollection, type VersionRecord } from '../model/versioned.js'
import { defaultKeyOps, describeKey, publicJwk, validateKeyOps, type KeyMaterial } from './crypto.js'
import { onTheWire } from './errors.js'

/** A key release policy as stored and returned (`data` is base64url, as received). */
export interface ReleasePolicy {
  contentType: string
  data: string
  immutable?: boolean
}

/** What a key version stores besides attributes and tags. `material` is the private key: never rendered, never logged. */
export interface KeyPayload {
  material: KeyMaterial
  keyOps: string[]
  exportable: boolean
  releasePolicy?: ReleasePolicy
}

/** Collection key of keys in VaultState. */
export const KEYS_COLLECTION = 'keys'

/** The vault's keys. Certificates create their managed keys here (see createManagedKey). */
export function keysOf(vault: Vault): VersionedCollection<KeyPayload> {
  return vault.collection<KeyPayload>(KEYS_COLLECTION, KEY_LABELS)
}

/** What rendering depends on: the address the client used and the vault. */
type KeyView = Pick<HandlerContext, 'baseUrl' | 'vault'>

/** `https://host/keys/name[/version]`. */
export function keyId(baseUrl: string, name: string, version?: string): string {
  return version === undefined ? `${baseUrl}/keys/${name}` : `${baseUrl}/keys/${name}/${version}`
}

/** The service's `hsmPlatform`: "2" for HSM-protected keys, "0" for software keys (as the recordings show). */
function hsmPlatform(kty: string): string {
  return kty.endsWith('-HSM') ? '2' : '0'
}

function attributes(vault: Vault, v: VersionRecord<KeyPayload>): Record<string, unknown> {
  const shape = describeKey(v.payload.material)
  // The service's order: key_size right after enabled.
  const { enabled, ...rest } = wireAttributes(v.attributes, vault)
  return {
    enabled,
    ...(shape.keySize === undefined ? {} : { key_size: shape.keySize }),
    ...rest,
    exportable: v.payload.exportable,
    hsmPlatform: hsmPlatform(shape.kty),
  }
}

function common(view: KeyView, record: ObjectRecord<KeyPayload>, v: VersionRecord<KeyPayload>): Record<string, unknown> {
  return {
    attributes: attributes(view.vault, v),
    ...(v.tags && Object.keys(v.tags).length > 0 ? { tags: { ...v.tags } } : {}),
    ...(record.managed ? { managed: true } : {}),
  }
}

/** KeyBundle: the public JWK of one version with its attributes, tags and release policy. */
export function keyBundle(view: KeyView, record: ObjectRecord<KeyPayload>, v: VersionRecord<KeyPayload>): Record<string, unknown> {
  const p = v.payload
  return {
    key: publicJwk(p.material, keyId(view.baseUrl, record.name, v.version), p.keyOps),
    ...common(view, record, v),
    ...(p.releasePolicy === undefined ? {} : { release_policy: { ...p.releasePolicy } }),
  }
}

/** KeyItem: metadata only. `withVersion` for version listings. */
export function keyItem(view: KeyView, record: ObjectRecord<KeyPayload>, v: VersionRecord<KeyPayload>, withVersion: boolean): Record<string, unknown> {
  return { kid: keyId(view.baseUrl, record.name, withVersion ? v.version : undefined), ...common(view, record, v) }
}

/** DeletedKeyBundle (latest version). */
export function deletedKeyBundle(view: KeyView, record: ObjectRecord<KeyPayload>): Record<string, unknown> {
  return { ...deletedFields(view.baseUrl, 'deletedkeys', record), ...keyBundle(view, record, latest(record)) }
}

/** DeletedKeyItem (kid without version). */
export function deletedKeyItem(view: KeyView, record: ObjectRecord<KeyPayload>): Record<string, unknown> {
  return { ...deletedFields(view.baseUrl, 'deletedkeys', record), ...keyItem(view, record, latest(record), false) }
}

/** What a certificate passes for the key behind it. */
export interface ManagedKeyInput {
  attributes?: AttributesInput
  /** Default: the key type's default key_ops. */
  keyOps?: readonly string[]
  tags?: Record<string, string>
  exportable?: boolean
}

/**
 * Create (or add a version to) the key behind a certificate, with the certificate's version id. The key is listed
 * with `managed: true`; the Keys API refuses to create, import, update, rotate, delete, recover, purge or back it up
 * (403 KeyManagedByKeyVault); the certificates module uses keysOf(vault) for its lifecycle. Throws 400 for key_ops
 * the key type cannot have, 409 when a key that is not managed, or a deleted key, holds the name, and Error for a
 * version id that is not new 32-hex.
 */
export function createManagedKey(
  vault: Vault,
  name: string,
  version: string,
  material: KeyMaterial,
  input: ManagedKeyInput = {},
): { record: ObjectRecord<KeyPayload>; version: VersionRecord<KeyPayload> } {
  const keys = keysOf(vault)
  if (keys.phase(name) === 'active' && !keys.active(name).managed) {
    throw new KvHttpError(409, 'Conflict', `Key ${name} already exists and is not managed by a certificate; a certificate cannot take its name.`)
  }
  const keyOps = onTheWire(() => (input.keyOps === undefined ? defaultKeyOps(material.kty) : validateKeyOps(material.kty, [...input.keyOps])))
  return keys.create(name, {
    managed: true,
    version,
    payload: { material, keyOps: [...keyOps], exportable: input.exportable ?? false },
    ...(input.attributes === undefined ? {} : { attributes: input.attributes }),
    ...(input.tags === undefined ? {} : { tags: input.tags }),
  })
}
