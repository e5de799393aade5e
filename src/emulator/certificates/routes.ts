/**
 * The Certificates API (api-version 2025-07-01 and older): create (pending operation), import, get, list, versions,
 * update, policy, pending operation (get, cancel, delete, merge), delete, get/list deleted, recover, purge, backup and
 * restore; issuers and contacts are in issuer-routes.ts.
 */
import { badParameter } from '../http/errors.js'
import { paginate, tokenOption } from '../http/paging.js'
import type { HandlerContext, HandlerResult, Router } from '../http/router.js'
import { objectBody, optionalAttributes, optionalString, optionalTags, requireValidName } from '../http/validate.js'
import { latest } from '../model/versioned.js'
import { backupCertificate, restoreCertificate } from './backup.js'
import { importVersion } from './import.js'
import { cancelRequest, certificatesOf, deleteRequest, mergeRequest, operationOf, startRequest } from './issuance.js'
import { deleteManaged, mirrorToManaged, purgeManaged, recoverManaged } from './managed.js'
import { latestIssued, latestIsPending, metaOf, type CertificateRecord, type CertificateVersion } from './model.js'
import { CERTIFICATE_OPERATIONS as OP } from './operations.js'
import { updatePolicy } from './policy-update.js'
import { registerIssuerRoutes } from './issuer-routes.js'
import { certificateBundle, certificateId, certificateItem, deletedCertificateBundle, deletedCertificateItem, operationBody, policyBody } from './render.js'
import { optionalBoolean, optionalPolicy, stringList } from './request.js'

/** Key Vault asks pollers to come back after this many seconds while a request runs. */
const RETRY_AFTER_SECONDS = '10'

function ok(body: unknown): HandlerResult {
  return { status: 200, body }
}

function nameOf(ctx: HandlerContext): string {
  return requireValidName(ctx.params.name as string)
}

function seconds(ctx: HandlerContext): number {
  return Math.floor(ctx.clock.now() / 1000)
}

/** `enabled` of a request's attributes; nbf and exp are the certificate's own validity and cannot be set. */
function enabledOf(body: Record<string, unknown>): boolean | undefined {
  return optionalAttributes(body)?.enabled
}

const INCLUDE_PENDING = 'includePending'

function pageRequest(ctx: HandlerContext, path: string, withPending = false): Parameters<typeof paginate>[2] {
  return { query: ctx.query, baseUrl: ctx.baseUrl, path, apiVersion: ctx.apiVersion, mode: ctx.paging, ...(withPending ? { option: INCLUDE_PENDING } : {}) }
}

/** `includePending=true` on the first page; later pages carry it in their $skiptoken (the nextLink does not repeat it). */
function includePending(ctx: HandlerContext): boolean {
  const raw = ctx.query.get('includePending')
  if (raw === null || raw === '') return tokenOption(ctx.query) === INCLUDE_PENDING
  if (!/^(true|false)$/i.test(raw)) throw badParameter(`Invalid value '${raw}' for parameter includePending: it must be true or false.`)
  return raw.toLowerCase() === 'true'
}

function operationResult(ctx: HandlerContext, name: string, op: Parameters<typeof operationBody>[2], status = 200): HandlerResult {
  const headers: Record<string, string> = op.status === 'inProgress' ? { 'Retry-After': RETRY_AFTER_SECONDS } : {}
  return { status, body: operationBody(ctx, name, op), headers }
}

async function createCertificate(ctx: HandlerContext): Promise<HandlerResult> {
  const name = nameOf(ctx)
  const body = objectBody(ctx.body, true)
  const policy = optionalPolicy(body)
  const enabled = enabledOf(body)
  const tags = optionalTags(body)
  const preserveCertOrder = optionalBoolean(body, 'preserveCertOrder')
  const record = await startRequest(ctx.vault, ctx.clock, {
    name,
    ...(policy === undefined ? {} : { policy }),
    ...(enabled === undefined ? {} : { enabled }),
    ...(tags === undefined ? {} : { tags }),
    ...(preserveCertOrder === undefined ? {} : { preserveCertOrder }),
  })
  const op = metaOf(record).operation
  if (!op) throw new Error(`certificate ${name} lost its request`)
  const result = operationResult(ctx, record.name, op, 202)
  result.headers = {
    ...result.headers,
    Location: `${certificateId(ctx.baseUrl, record.name)}/pending?api-version=${encodeURIComponent(ctx.apiVersion)}&request_id=${op.requestId}`,
  }
  return result
}

function importCertificate(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const body = objectBody(ctx.body)
  if (typeof body.value !== 'string' || body.value === '') throw badParameter(`Property 'value' (the PFX or PEM content) is required.`)
  const password = optionalString(body, 'pwd')
  const policy = optionalPolicy(body)
  const enabled = enabledOf(body)
  const tags = optionalTags(body)
  const preserveCertOrder = optionalBoolean(body, 'preserveCertOrder')
  const { record, version } = importVersion(ctx.vault, ctx.clock, {
    name,
    value: body.value,
    ...(password === undefined ? {} : { password }),
    ...(policy === undefined ? {} : { policy }),
    ...(enabled === undefined ? {} : { enabled }),
    ...(tags === undefined ? {} : { tags }),
    ...(preserveCertOrder === undefined ? {} : { preserveCertOrder }),
  })
  return ok(certificateBundle(ctx, record, version))
}

function getCertificate(ctx: HandlerContext): HandlerResult {
  const { record, version } = certificatesOf(ctx.vault, ctx.clock).version(nameOf(ctx), ctx.params.version)
  return ok(certificateBundle(ctx, record, version))
}

function updateCertificate(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const body = objectBody(ctx.body, true)
  const enabled = enabledOf(body)
  const tags = optionalTags(body)
  const policy = optionalPolicy(body)
  const certs = certificatesOf(ctx.vault, ctx.clock)
  const { record, version } = certs.version(name, ctx.params.version)
  if (policy) updatePolicy(record, policy, seconds(ctx))
  certs.update(name, version.version, {
    ...(enabled === undefined ? {} : { attributes: { enabled } }),
    ...(tags === undefined ? {} : { tags }),
  })
  mirrorToManaged(ctx.vault, name, version.version, { ...(enabled === undefined ? {} : { enabled }), ...(tags === undefined ? {} : { tags }) })
  return ok(certificateBundle(ctx, record, version))
}

/** The version a listing shows: the latest, or the latest issued one when pending certificates are left out. */
function listed(record: CertificateRecord, withPending: boolean): CertificateVersion | undefined {
  return withPending || !latestIsPending(record) ? latest(record) : latestIssued(record)
}

function listCertificates(ctx: HandlerContext): HandlerResult {
  const withPending = includePending(ctx)
  const shown = certificatesOf(ctx.vault, ctx.clock)
    .listActive()
    .flatMap((r) => {
      const v = listed(r, withPending)
      return v ? [{ r, v }] : []
    })
  const page = paginate(shown, (x) => x.r.name.toLowerCase(), pageRequest(ctx, '/certificates', withPending))
  return ok({ value: page.items.map((x) => certificateItem(ctx, x.r, x.v, false)), nextLink: page.nextLink })
}

function listVersions(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const certs = certificatesOf(ctx.vault, ctx.clock)
  const versions = certs.listVersions(name)
  const record = versions.length > 0 ? certs.active(name) : undefined
  const page = paginate(versions, (v) => v.version, pageRequest(ctx, `/certificates/${name}/versions`))
  return ok({ value: record ? page.items.map((v) => certificateItem(ctx, record, v, true)) : [], nextLink: page.nextLink })
}

function getPolicy(ctx: HandlerContext): HandlerResult {
  const record = certificatesOf(ctx.vault, ctx.clock).active(nameOf(ctx))
  return ok(policyBody(ctx, record.name, metaOf(record).policy))
}

function patchPolicy(ctx: HandlerContext): HandlerResult {
  const body = objectBody(ctx.body)
  const patch = optionalPolicy({ policy: body })
  const record = certificatesOf(ctx.vault, ctx.clock).active(nameOf(ctx))
  return ok(policyBody(ctx, record.name, updatePolicy(record, patch ?? {}, seconds(ctx))))
}

function getPending(ctx: HandlerContext): HandlerResult {
  const { record, op } = operationOf(ctx.vault, ctx.clock, nameOf(ctx), ctx.query.get('request_id'))
  return operationResult(ctx, record.name, op)
}

function patchPending(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const body = objectBody(ctx.body)
  const cancel = optionalBoolean(body, 'cancellation_requested')
  if (cancel === undefined) throw badParameter(`Property 'cancellation_requested' is required.`)
  const requestId = ctx.query.get('request_id')
  const op = cancel ? cancelRequest(ctx.vault, ctx.clock, name, requestId) : operationOf(ctx.vault, ctx.clock, name, requestId).op
  return operationResult(ctx, certificatesOf(ctx.vault, ctx.clock).active(name).name, op)
}

function deletePending(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const shownName = operationOf(ctx.vault, ctx.clock, name).record.name
  return operationResult(ctx, shownName, deleteRequest(ctx.vault, ctx.clock, name, ctx.query.get('request_id')))
}

function mergeCertificate(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const body = objectBody(ctx.body)
  const x5c = stringList(body, 'x5c')
  const enabled = enabledOf(body)
  const tags = optionalTags(body)
  const version = mergeRequest(ctx.vault, ctx.clock, name, x5c, { ...(enabled === undefined ? {} : { enabled }), ...(tags === undefined ? {} : { tags }) })
  const record = certificatesOf(ctx.vault, ctx.clock).active(name)
  return {
    status: 201,
    body: certificateBundle(ctx, record, version),
    headers: { Location: `${certificateId(ctx.baseUrl, record.name)}?api-version=${encodeURIComponent(ctx.apiVersion)}` },
  }
}

function deleteCertificate(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const record = certificatesOf(ctx.vault, ctx.clock).softDelete(name)
  deleteManaged(ctx.vault, record)
  return ok(deletedCertificateBundle(ctx, record))
}

function getDeleted(ctx: HandlerContext): HandlerResult {
  return ok(deletedCertificateBundle(ctx, certificatesOf(ctx.vault, ctx.clock).deleted(nameOf(ctx))))
}

function listDeleted(ctx: HandlerContext): HandlerResult {
  const withPending = includePending(ctx)
  const all = certificatesOf(ctx.vault, ctx.clock)
    .listDeleted()
    .filter((r) => withPending || latestIssued(r) !== undefined)
  const page = paginate(all, (r) => r.name.toLowerCase(), pageRequest(ctx, '/deletedcertificates', withPending))
  return ok({ value: page.items.map((r) => deletedCertificateItem(ctx, r)), nextLink: page.nextLink })
}

function recoverCertificate(ctx: HandlerContext): HandlerResult {
  const name = nameOf(ctx)
  const record = certificatesOf(ctx.vault, ctx.clock).recover(name)
  recoverManaged(ctx.vault, record)
  return ok(certificateBundle(ctx, record, latest(record)))
}

function purgeCertificate(ctx: HandlerContext): HandlerResult {
  const certs = certificatesOf(ctx.vault, ctx.clock)
  const name = nameOf(ctx)
  const record = certs.phase(name) === 'deleted' ? certs.deleted(name) : undefined
  certs.purge(name)
  if (record) purgeManaged(ctx.vault, record)
  return { status: 204 }
}

function backup(ctx: HandlerContext): HandlerResult {
  return ok({ value: backupCertificate(ctx.vault, ctx.clock, ctx.backups, nameOf(ctx)) })
}

function restore(ctx: HandlerContext): HandlerResult {
  const body = objectBody(ctx.body)
  if (typeof body.value !== 'string' || body.value === '') throw badParameter(`Property 'value' (the backup blob) is required.`)
  const record = restoreCertificate(ctx.vault, ctx.clock, ctx.backups, ctx.baseUrl, body.value)
  return ok(certificateBundle(ctx, record, latest(record)))
}

/**
 * Register every Certificates API route on `router`. Issuer routes come first so that `/certificates/issuers/{name}`
 * wins over a certificate named `issuers`.
 */
export function registerCertificateRoutes(router: Router): void {
  registerIssuerRoutes(router)
  router.add({ method: 'POST', path: '/certificates/{name}/create', operation: OP.create, handler: createCertificate })
  router.add({ method: 'POST', path: '/certificates/{name}/import', operation: OP.import, handler: importCertificate })
  router.add({ method: 'GET', path: '/certificates', operation: OP.list, handler: listCertificates })
  router.add({ method: 'GET', path: '/certificates/{name}/versions', operation: OP.listVersions, handler: listVersions })
  router.add({ method: 'GET', path: '/certificates/{name}/policy', operation: OP.policyGet, handler: getPolicy })
  router.add({ method: 'PATCH', path: '/certificates/{name}/policy', operation: OP.policyUpdate, handler: patchPolicy })
  router.add({ method: 'GET', path: '/certificates/{name}/pending', operation: OP.pendingGet, handler: getPending })
  router.add({ method: 'PATCH', path: '/certificates/{name}/pending', operation: OP.pendingUpdate, handler: patchPending })
  router.add({ method: 'DELETE', path: '/certificates/{name}/pending', operation: OP.pendingDelete, handler: deletePending })
  router.add({ method: 'POST', path: '/certificates/{name}/pending/merge', operation: OP.pendingMerge, handler: mergeCertificate })
  router.add({ method: 'GET', path: '/certificates/{name}/{version?}', operation: OP.get, handler: getCertificate })
  router.add({ method: 'PATCH', path: '/certificates/{name}/{version?}', operation: OP.update, handler: updateCertificate })
  router.add({ method: 'DELETE', path: '/certificates/{name}', operation: OP.delete, handler: deleteCertificate })
  router.add({ method: 'POST', path: '/certificates/{name}/backup', operation: OP.backup, handler: backup })
  router.add({ method: 'POST', path: '/certificates/restore', operation: OP.restore, handler: restore })
  router.add({ method: 'GET', path: '/deletedcertificates', operation: OP.listDeleted, handler: listDeleted })
  router.add({ method: 'GET', path: '/deletedcertificates/{name}', operation: OP.getDeleted, handler: getDeleted })
  router.add({ method: 'DELETE', path: '/deletedcertificates/{name}', operation: OP.purge, handler: purgeCertificate })
  router.add({ method: 'POST', path: '/deletedcertificates/{name}/recover', operation: OP.recover, handler: recoverCertificate })
}
