/**
 * The complete Secrets API (api-versions 2025-07-01 and 2026-04-01 and older): set, get (with outContentType),
 * update, list, list versions, delete, get/list deleted, recover, purge, backup and restore.
 */
import { KvHttpError, badParameter } from '../http/errors.js'
import { paginate } from '../http/paging.js'
import type { HandlerContext, HandlerResult, Router } from '../http/router.js'
import { objectBody, optionalAttributes, optionalString, optionalTags, requireValidName } from '../http/validate.js'
import { MAX_BACKUP_VERSIONS, SECRET_LABELS, managedByCertificate, tooManyVersionsToBackUp } from '../model/messages.js'
import { latest, type ObjectRecord, type VersionRecord } from '../model/versioned.js'
import { isVersionList, malformedBackup } from '../backup.js'
import { isValidObjectName } from '../../core/types.js'
import {
  deletedSecretBundle,
  deletedSecretItem,
  secretBundle,
  secretId,
  secretItem,
  secretsOf,
  type SecretPayload,
} from './model.js'
import { SECRET_OPERATIONS as OP } from './operations.js'
import { transformSecret } from './pem.js'

/** Key Vault's documented limits on secret values and content types. */
export const MAX_SECRET_VALUE_BYTES = 25 * 1024
export const MAX_CONTENT_TYPE_LENGTH = 255

/** Kind tag inside backup blobs. */
const BACKUP_KIND = 'secret'

/** What a secret backup blob carries: every version with its original id, attributes and tags. */
interface SecretBackup {
  name: string
  managed: boolean
  versions: VersionRecord<SecretPayload>[]
}

function ok(body: unknown): HandlerResult {
  return { status: 200, body }
}

/** Refuse direct operations on the secret behind a certificate. */
function refuseManaged(record: ObjectRecord<SecretPayload>, operation: string): void {
  if (record.managed) throw managedByCertificate(SECRET_LABELS, operation)
}

function setSecret(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const body = objectBody(ctx.body)
  if (typeof body.value !== 'string') throw badParameter(`Property 'value' is required and must be a string.`)
  const value = body.value
  const bytes = Buffer.byteLength(value, 'utf8')
  if (bytes > MAX_SECRET_VALUE_BYTES) {
    throw badParameter(`The secret value is ${bytes} bytes long; Key Vault accepts at most ${MAX_SECRET_VALUE_BYTES} bytes.`)
  }
  const contentType = optionalString(body, 'contentType', MAX_CONTENT_TYPE_LENGTH)
  const tags = optionalTags(body)
  const attributes = optionalAttributes(body)
  const secrets = secretsOf(ctx.vault)
  if (secrets.phase(name) === 'active') refuseManaged(secrets.active(name), 'set')
  const { record, version } = secrets.create(name, {
    payload: { value, ...(contentType === undefined ? {} : { contentType }) },
    trackPreviousVersion: true,
    ...(tags === undefined ? {} : { tags }),
    ...(attributes === undefined ? {} : { attributes }),
  })
  return ok(secretBundle(ctx, record, version, { value }))
}

function getSecret(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const { record, version } = secretsOf(ctx.vault).version(name, ctx.params.version)
  if (!version.attributes.enabled) {
    throw new KvHttpError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', { innerCode: 'SecretDisabled' })
  }
  const out = ctx.query.get('outContentType')
  let { value, contentType } = version.payload
  if (out !== null) ({ value, contentType } = transformSecret(value, contentType, record.managed, out))
  const bundle = secretBundle(ctx, record, version, { value })
  return ok(contentType === undefined ? bundle : { ...bundle, contentType })
}

function updateSecret(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const body = objectBody(ctx.body, true)
  const contentType = optionalString(body, 'contentType', MAX_CONTENT_TYPE_LENGTH)
  const tags = optionalTags(body)
  const attributes = optionalAttributes(body)
  const secrets = secretsOf(ctx.vault)
  refuseManaged(secrets.active(name), 'update')
  const { record, version } = secrets.update(name, ctx.params.version, {
    ...(attributes === undefined ? {} : { attributes }),
    ...(tags === undefined ? {} : { tags }),
    ...(contentType === undefined ? {} : { payload: (p: SecretPayload) => ({ ...p, contentType }) }),
  })
  return ok(secretBundle(ctx, record, version))
}

function listSecrets(ctx: HandlerContext): HandlerResult {
  const all = secretsOf(ctx.vault).listActive()
  const page = paginate(all, (r) => r.name.toLowerCase(), pageRequest(ctx, '/secrets'))
  return ok({ value: page.items.map((r) => secretItem(ctx, r, latest(r), false)), nextLink: page.nextLink })
}

function listVersions(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const secrets = secretsOf(ctx.vault)
  const versions = secrets.listVersions(name)
  const record = versions.length > 0 ? secrets.active(name) : undefined
  const page = paginate(versions, (v) => v.version, pageRequest(ctx, `/secrets/${name}/versions`))
  return ok({
    value: record ? page.items.map((v) => secretItem(ctx, record, v, true)) : [],
    nextLink: page.nextLink,
  })
}

function deleteSecret(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const secrets = secretsOf(ctx.vault)
  if (secrets.phase(name) === 'active') refuseManaged(secrets.active(name), 'delete')
  return ok(deletedSecretBundle(ctx, secrets.softDelete(name)))
}

function getDeleted(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  return ok(deletedSecretBundle(ctx, secretsOf(ctx.vault).deleted(name)))
}

function listDeleted(ctx: HandlerContext): HandlerResult {
  const all = secretsOf(ctx.vault).listDeleted()
  const page = paginate(all, (r) => r.name.toLowerCase(), pageRequest(ctx, '/deletedsecrets'))
  return ok({ value: page.items.map((r) => deletedSecretItem(ctx, r)), nextLink: page.nextLink })
}

function recoverSecret(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const secrets = secretsOf(ctx.vault)
  if (secrets.phase(name) === 'deleted') refuseManaged(secrets.deleted(name), 'recover')
  const record = secrets.recover(name)
  return ok(secretBundle(ctx, record, latest(record)))
}

function purgeSecret(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const secrets = secretsOf(ctx.vault)
  if (secrets.phase(name) === 'deleted') refuseManaged(secrets.deleted(name), 'purge')
  secrets.purge(name)
  return { status: 204 }
}

function backupSecret(ctx: HandlerContext): HandlerResult {
  const name = requireValidName(ctx.params.name as string)
  const record = secretsOf(ctx.vault).active(name)
  refuseManaged(record, 'backup')
  if (record.versions.length > MAX_BACKUP_VERSIONS) throw tooManyVersionsToBackUp(SECRET_LABELS, record.name, record.versions.length)
  const payload: SecretBackup = { name: record.name, managed: record.managed, versions: record.versions }
  return ok({ value: ctx.backups.seal(BACKUP_KIND, ctx.vault.settings, payload) })
}

function restoreSecret(ctx: HandlerContext): HandlerResult {
  const body = objectBody(ctx.body)
  if (typeof body.value !== 'string' || body.value === '') throw badParameter(`Property 'value' (the backup blob) is required.`)
  const backup = ctx.backups.open(BACKUP_KIND, ctx.vault.settings, body.value)
  if (!isSecretBackup(backup)) throw malformedBackup()
  const conflictId = secretId(ctx.baseUrl, backup.name, (backup.versions.at(-1) as VersionRecord<SecretPayload>).version)
  const record = secretsOf(ctx.vault).restore(backup, conflictId)
  return ok(secretBundle(ctx, record, latest(record)))
}

function pageRequest(ctx: HandlerContext, path: string): Parameters<typeof paginate>[2] {
  return { query: ctx.query, baseUrl: ctx.baseUrl, path, apiVersion: ctx.apiVersion, mode: ctx.paging }
}

function isSecretBackup(x: unknown): x is SecretBackup {
  if (x === null || typeof x !== 'object') return false
  const b = x as Partial<SecretBackup>
  return (
    typeof b.name === 'string' &&
    isValidObjectName(b.name) &&
    typeof b.managed === 'boolean' &&
    isVersionList(b.versions, (p) => typeof p.value === 'string')
  )
}

/** Register every Secrets API route on `router`. */
export function registerSecretRoutes(router: Router): void {
  router.add({ method: 'PUT', path: '/secrets/{name}', operation: OP.set, handler: setSecret })
  router.add({ method: 'GET', path: '/secrets', operation: OP.list, handler: listSecrets })
  router.add({ method: 'GET', path: '/secrets/{name}/versions', operation: OP.listVersions, handler: listVersions })
  router.add({ method: 'GET', path: '/secrets/{name}/{version?}', operation: OP.get, handler: getSecret })
  router.add({ method: 'PATCH', path: '/secrets/{name}/{version?}', operation: OP.update, handler: updateSecret })
  router.add({ method: 'DELETE', path: '/secrets/{name}', operation: OP.delete, handler: deleteSecret })
  router.add({ method: 'POST', path: '/secrets/{name}/backup', operation: OP.backup, handler: backupSecret })
  router.add({ method: 'POST', path: '/secrets/restore', operation: OP.restore, handler: restoreSecret })
  router.add({ method: 'GET', path: '/deletedsecrets', operation: OP.listDeleted, handler: listDeleted })
  router.add({ method: 'GET', path: '/deletedsecrets/{name}', operation: OP.getDeleted, handler: getDeleted })
  router.add({ method: 'DELETE', path: '/deletedsecrets/{name}', operation: OP.purge, handler: purgeSecret })
  router.add({ method: 'POST', path: '/deletedsecrets/{name}/recover', operation: OP.recover, handler: recoverSecret })
}
