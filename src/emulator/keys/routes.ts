/**
 * The Keys API (api-version 2025-07-01 and older): create, import, get, update, list, list versions, delete, get and
 * list deleted, recover, purge, backup and restore here; rotation and rotation policies in rotation-routes.ts; the
 * cryptographic operations and release in crypto-routes.ts.
 */
import { isValidObjectName } from '../../core/types.js'
import { isVersionList, malformedBackup } from '../backup.js'
import { badParameter } from '../http/errors.js'
import { paginate } from '../http/paging.js'
import type { HandlerContext, HandlerResult, Router } from '../http/router.js'
import { objectBody, optionalAttributes, optionalTags } from '../http/validate.js'
import { KEY_LABELS, MAX_BACKUP_VERSIONS, tooManyVersionsToBackUp } from '../model/messages.js'
import { latest, type NewVersionInput, type ObjectRecord, type VersionRecord } from '../model/versioned.js'
import { defaultKeyOps, generateKey, importJwk, KEY_TYPES, validateKeyOps, type KeyMaterial, type KeyType } from './crypto.js'
import { registerKeyCryptoRoutes } from './crypto-routes.js'
import { onTheWire, onTheWireAsync } from './errors.js'
import { deletedKeyBundle, deletedKeyItem, keyBundle, keyId, keyItem, keysOf, type KeyPayload } from './model.js'
import { KEY_OPERATIONS as OP } from './operations.js'
import { releasePolicyForNewVersion, requestedReleasePolicy, updatedReleasePolicy } from './release.js'
import { registerKeyRotationRoutes } from './rotation-routes.js'
import { addKeyRoute, byAddressedKey, byImportedKey, byRequestedKey, keyName, ok, refuseManaged } from './routing.js'

/** Kind tag inside backup blobs. */
const BACKUP_KIND = 'key'

/** What a key backup blob carries: every version with its original id, attributes, tags and private material. */
interface KeyBackup {
  name: string
  managed: boolean
  versions: VersionRecord<KeyPayload>[]
}

/** `attributes.exportable` of a create or import request (default false). Throws 400 for non-booleans. */
function requestedExportable(body: Record<string, unknown>): boolean {
  const exportable = (body.attributes as { exportable?: unknown } | null | undefined)?.exportable
  if (exportable === undefined || exportable === null) return false
  if (typeof exportable !== 'boolean') throw badParameter(`Attribute 'exportable' must be true or false.`)
  return exportable
}

/** key_ops of a create or import request, checked against the key type; the type's defaults when absent. */
function requestedKeyOps(kty: KeyType, ops: unknown): string[] {
  return ops === undefined || ops === null ? defaultKeyOps(kty) : [...onTheWire(() => validateKeyOps(kty, ops))]
}

/** The live key under `name` when there is one; refuses the key behind a certificate. */
function currentKey(ctx: HandlerContext, name: string, operation: string): ObjectRecord<KeyPayload> | undefined {
  const keys = keysOf(ctx.vault)
  if (keys.phase(name) !== 'active') return undefined
  const record = keys.active(name)
  refuseManaged(record, operation)
  return record
}

/**
 * Store a new version made by create or import. The request's attributes, tags and exportability were validated
 * before the material was made; the managed check runs again because generation awaited.
 */
function storeNewVersion(ctx: HandlerContext, name: string, operation: string, body: Record<string, unknown>, material: KeyMaterial, keyOps: string[]): HandlerResult {
  const tags = optionalTags(body)
  const attributes = optionalAttributes(body)
  const exportable = requestedExportable(body)
  const current = currentKey(ctx, name, operation)
  const releasePolicy = releasePolicyForNewVersion(exportable, requestedReleasePolicy(body), current && latest(current).payload.releasePolicy)
  const input: NewVersionInput<KeyPayload> = {
    payload: { material, keyOps, exportable, ...(releasePolicy === undefined ? {} : { releasePolicy }) },
    ...(tags === undefined ? {} : { tags }),
    ...(attributes === undefined ? {} : { attributes }),
  }
  const { record, version } = keysOf(ctx.vault).create(name, input)
  return ok(keyBundle(ctx, record, version))
}

/** Everything a create or import request can get wrong without key material, checked before any is made. */
function precheck(ctx: HandlerContext, name: string, operation: string, body: Record<string, unknown>): void {
  optionalTags(body)
  optionalAttributes(body)
  const current = currentKey(ctx, name, operation)
  releasePolicyForNewVersion(requestedExportable(body), requestedReleasePolicy(body), current && latest(current).payload.releasePolicy)
}

async function createKey(ctx: HandlerContext): Promise<HandlerResult> {
  const name = keyName(ctx)
  const body = objectBody(ctx.body)
  if (body.kty === undefined || body.kty === null) throw badParameter(`Property 'kty' is required: RSA, RSA-HSM, EC or EC-HSM.`)
  precheck(ctx, name, 'create', body)
  const kty = body.kty
  if (typeof kty === 'string' && (KEY_TYPES as readonly string[]).includes(kty)) requestedKeyOps(kty as KeyType, body.key_ops)
  const material = await onTheWireAsync(() => generateKey({ kty, keySize: body.key_size, crv: body.crv, publicExponent: body.public_exponent }))
  return storeNewVersion(ctx, name, 'create', body, material, requestedKeyOps(material.kty, body.key_ops))
}

function importKey(ctx: HandlerContext): HandlerResult {
  const name = keyName(ctx)
  const body = objectBody(ctx.body)
  const jwk = body.key
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw badParameter(`Property 'key' (the JSON web key to import) is required.`)
  if (body.Hsm !== undefined && body.Hsm !== null && typeof body.Hsm !== 'boolean') throw badParameter(`Property 'Hsm' must be true or false.`)
  precheck(ctx, name, 'import', body)
  const material = onTheWire(() => importJwk(jwk, { hsm: body.Hsm === true }))
  return storeNewVersion(ctx, name, 'import', body, material, requestedKeyOps(material.kty, (jwk as { key_ops?: unknown }).key_ops))
}

function getKey(ctx: HandlerContext): HandlerResult {
  const { record, version } = keysOf(ctx.vault).version(keyName(ctx), ctx.params.version)
  return ok(keyBundle(ctx, record, version))
}

function updateKey(ctx: HandlerContext): HandlerResult {
  const name = keyName(ctx)
  const body = objectBody(ctx.body, true)
  const tags = optionalTags(body)
  const attributes = optionalAttributes(body)
  const given = requestedReleasePolicy(body)
  const keys = keysOf(ctx.vault)
  refuseManaged(keys.active(name), 'update')
  const target = keys.version(name, ctx.params.version).version.payload
  const keyOps = body.key_ops === undefined || body.key_ops === null ? undefined : [...onTheWire(() => validateKeyOps(target.material.kty, body.key_ops))]
  const releasePolicy = given === undefined ? undefined : updatedReleasePolicy(target.exportable, target.releasePolicy, given)
  const { record, version } = keys.update(name, ctx.params.version, {
    ...(attributes === undefined ? {} : { attributes }),
    ...(tags === undefined ? {} : { tags }),
    payload: (p) => ({ ...p, ...(keyOps === undefined ? {} : { keyOps }), ...(releasePolicy === undefined ? {} : { releasePolicy }) }),
  })
  return ok(keyBundle(ctx, record, version))
}

function pageRequest(ctx: HandlerContext, path: string): Parameters<typeof paginate>[2] {
  return { query: ctx.query, baseUrl: ctx.baseUrl, path, apiVersion: ctx.apiVersion, mode: ctx.paging }
}

function listKeys(ctx: HandlerContext): HandlerResult {
  const page = paginate(keysOf(ctx.vault).listActive(), (r) => r.name.toLowerCase(), pageRequest(ctx, '/keys'))
  return ok({ value: page.items.map((r) => keyItem(ctx, r, latest(r), false)), nextLink: page.nextLink })
}

function listVersions(ctx: HandlerContext): HandlerResult {
  const name = keyName(ctx)
  const keys = keysOf(ctx.vault)
  const versions = keys.listVersions(name)
  const record = versions.length > 0 ? keys.active(name) : undefined
  const page = paginate(versions, (v) => v.version, pageRequest(ctx, `/keys/${name}/versions`))
  return ok({ value: record ? page.items.map((v) => keyItem(ctx, record, v, true)) : [], nextLink: page.nextLink })
}

function deleteKey(ctx: HandlerContext): HandlerResult {
  const name = keyName(ctx)
  const keys = keysOf(ctx.vault)
  if (keys.phase(name) === 'active') refuseManaged(keys.active(name), 'delete')
  return ok(deletedKeyBundle(ctx, keys.softDelete(name)))
}

function getDeleted(ctx: HandlerContext): HandlerResult {
  return ok(deletedKeyBundle(ctx, keysOf(ctx.vault).deleted(keyName(ctx))))
}

function listDeleted(ctx: HandlerContext): HandlerResult {
  const page = paginate(keysOf(ctx.vault).listDeleted(), (r) => r.name.toLowerCase(), pageRequest(ctx, '/deletedkeys'))
  return ok({ value: page.items.map((r) => deletedKeyItem(ctx, r)), nextLink: page.nextLink })
}

function recoverKey(ctx: HandlerContext): HandlerResult {
  const name = keyName(ctx)
  const keys = keysOf(ctx.vault)
  if (keys.phase(name) === 'deleted') refuseManaged(keys.deleted(name), 'recover')
  const record = keys.recover(name)
  return ok(keyBundle(ctx, record, latest(record)))
}

function purgeKey(ctx: HandlerContext): HandlerResult {
  const name = keyName(ctx)
  const keys = keysOf(ctx.vault)
  if (keys.phase(name) === 'deleted') refuseManaged(keys.deleted(name), 'purge')
  keys.purge(name)
  return { status: 204 }
}

function backupKey(ctx: HandlerContext): HandlerResult {
  const record = keysOf(ctx.vault).active(keyName(ctx))
  refuseManaged(record, 'backup')
  if (record.versions.length > MAX_BACKUP_VERSIONS) throw tooManyVersionsToBackUp(KEY_LABELS, record.name, record.versions.length)
  const payload: KeyBackup = { name: record.name, managed: record.managed, versions: record.versions }
  return ok({ value: ctx.backups.seal(BACKUP_KIND, ctx.vault.settings, payload) })
}

function restoreKey(ctx: HandlerContext): HandlerResult {
  const body = objectBody(ctx.body)
  if (typeof body.value !== 'string' || body.value === '') throw badParameter(`Property 'value' (the backup blob) is required.`)
  const backup = ctx.backups.open(BACKUP_KIND, ctx.vault.settings, body.value)
  if (!isKeyBackup(backup)) throw malformedBackup()
  const conflictId = keyId(ctx.baseUrl, backup.name, (backup.versions.at(-1) as VersionRecord<KeyPayload>).version)
  const record = keysOf(ctx.vault).restore(backup, conflictId)
  return ok(keyBundle(ctx, record, latest(record)))
}

/** `POST /keys/{name}` names no operation; the service answers 400 (recorded). */
function operationNotSpecified(): HandlerResult {
  throw badParameter('Operation not specified')
}

function isKeyBackup(x: unknown): x is KeyBackup {
  if (x === null || typeof x !== 'object') return false
  const b = x as Partial<KeyBackup>
  return (
    typeof b.name === 'string' &&
    isValidObjectName(b.name) &&
    typeof b.managed === 'boolean' &&
    isVersionList(b.versions, (p) => {
      const kty = (p.material as { kty?: unknown } | null)?.kty
      return typeof kty === 'string' && (KEY_TYPES as readonly string[]).includes(kty) && Array.isArray(p.keyOps) && typeof p.exportable === 'boolean'
    })
  )
}

/** Register every Keys API route on `router`. */
export function registerKeyRoutes(router: Router): void {
  const add = (method: Parameters<typeof addKeyRoute>[1], path: string, op: (typeof OP)[keyof typeof OP], handler: Parameters<typeof addKeyRoute>[4], refine = byAddressedKey(op)): void =>
    addKeyRoute(router, method, path, op, handler, refine)
  add('POST', '/keys/{name}/create', OP.create, createKey, byRequestedKey(OP.create))
  add('PUT', '/keys/{name}', OP.import, importKey, byImportedKey(OP.import))
  add('POST', '/keys/{name}', OP.unspecified, operationNotSpecified)
  add('GET', '/keys', OP.list, listKeys)
  add('GET', '/keys/{name}/versions', OP.listVersions, listVersions)
  add('GET', '/keys/{name}/{version?}', OP.get, getKey)
  add('PATCH', '/keys/{name}/{version?}', OP.update, updateKey)
  add('DELETE', '/keys/{name}', OP.delete, deleteKey)
  add('POST', '/keys/{name}/backup', OP.backup, backupKey)
  add('POST', '/keys/restore', OP.restore, restoreKey)
  add('GET', '/deletedkeys', OP.listDeleted, listDeleted)
  add('GET', '/deletedkeys/{name}', OP.getDeleted, getDeleted)
  add('DELETE', '/deletedkeys/{name}', OP.purge, purgeKey)
  add('POST', '/deletedkeys/{name}/recover', OP.recover, recoverKey)
  registerKeyRotationRoutes(router)
  registerKeyCryptoRoutes(router)
}
