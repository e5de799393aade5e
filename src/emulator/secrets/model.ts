/**
 * Secrets in the versioned model: the payload stored per version, access to a vault's secrets collection (also
 * used by the certificates module for the managed secret behind each certificate), and the wire shapes
 * (SecretBundle, SecretItem, DeletedSecretBundle, DeletedSecretItem) built from the request's own base URL.
 */
import type { HandlerContext } from '../http/router.js'
import { SECRET_LABELS } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import { deletedFields, latest, wireAttributes, type ObjectRecord, type VersionedCollection, type VersionRecord } from '../model/versioned.js'

/** What a secret version stores besides attributes and tags. */
export interface SecretPayload {
  value: string
  contentType?: string
  /**
   * For the secret behind a certificate: the path of its key, `keys/<name>/<version>`; rendered as `kid` with the
   * request's base URL.
   */
  keyPath?: string
}

/** Collection key of secrets in VaultState. */
export const SECRETS_COLLECTION = 'secrets'

/** The vault's secrets. Certificates create their managed secrets here with `managed: true`. */
export function secretsOf(vault: Vault): VersionedCollection<SecretPayload> {
  return vault.collection<SecretPayload>(SECRETS_COLLECTION, SECRET_LABELS)
}

/** What rendering depends on: the address the client used, the vault, and the api-version it asked for. */
export type View = Pick<HandlerContext, 'baseUrl' | 'vault' | 'apiVersion'>

/** `previousVersion` exists from api-version 2025-07-01 on (7.x responses never carry it). */
export function hasPreviousVersion(apiVersion: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(apiVersion) && apiVersion.slice(0, 10) >= '2025-07-01'
}

/** `https://host/secrets/name[/version]`. */
export function secretId(baseUrl: string, name: string, version?: string): string {
  return version === undefined ? `${baseUrl}/secrets/${name}` : `${baseUrl}/secrets/${name}/${version}`
}

function common(view: View, record: ObjectRecord<SecretPayload>, v: VersionRecord<SecretPayload>): Record<string, unknown> {
  return {
    ...(v.payload.contentType === undefined ? {} : { contentType: v.payload.contentType }),
    attributes: wireAttributes(v.attributes, view.vault),
    ...(v.tags && Object.keys(v.tags).length > 0 ? { tags: { ...v.tags } } : {}),
    ...(v.payload.keyPath === undefined ? {} : { kid: `${view.baseUrl}/${v.payload.keyPath}` }),
    ...(record.managed ? { managed: true } : {}),
  }
}

/** SecretBundle. The value is included only when asked (GET and set); update, recover and restore omit it. */
export function secretBundle(
  view: View,
  record: ObjectRecord<SecretPayload>,
  v: VersionRecord<SecretPayload>,
  options: { value?: string | undefined } = {},
): Record<string, unknown> {
  return {
    ...(options.value === undefined ? {} : { value: options.value }),
    id: secretId(view.baseUrl, record.name, v.version),
    ...common(view, record, v),
    ...(v.previousVersion !== undefined && hasPreviousVersion(view.apiVersion) ? { previousVersion: v.previousVersion } : {}),
  }
}

/** SecretItem: metadata only, never the value. `withVersion` for version listings. */
export function secretItem(view: View, record: ObjectRecord<SecretPayload>, v: VersionRecord<SecretPayload>, withVersion: boolean): Record<string, unknown> {
  return { id: secretId(view.baseUrl, record.name, withVersion ? v.version : undefined), ...common(view, record, v) }
}

/** DeletedSecretBundle (latest version, no value). */
export function deletedSecretBundle(view: View, record: ObjectRecord<SecretPayload>): Record<string, unknown> {
  return { ...deletedFields(view.baseUrl, 'deletedsecrets', record), ...secretBundle(view, record, latest(record)) }
}

/** DeletedSecretItem (id without version). */
export function deletedSecretItem(view: View, record: ObjectRecord<SecretPayload>): Record<string, unknown> {
  return { ...deletedFields(view.baseUrl, 'deletedsecrets', record), ...secretItem(view, record, latest(record), false) }
}
