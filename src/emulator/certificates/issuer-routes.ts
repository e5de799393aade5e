/** The Certificates API's vault-wide objects: certificate issuers (set, get, list, update, delete) and contacts (set, get, delete). */
import { badParameter } from '../http/errors.js'
import { paginate } from '../http/paging.js'
import type { HandlerContext, HandlerResult, Router } from '../http/router.js'
import { objectBody, optionalString, requireValidName } from '../http/validate.js'
import { contactsNotFound, issuerNotFound } from './errors.js'
import { deleteContacts, getContacts, IssuerStore, setContacts, type AdministratorDetails, type Contact, type IssuerPayload } from './issuers.js'
import { CERTIFICATE_OPERATIONS as OP } from './operations.js'
import { contactsBody, issuerBody, issuerItem } from './render.js'
import { optionalBoolean, optionalObject } from './request.js'

function ok(body: unknown): HandlerResult {
  return { status: 200, body }
}

function nowSec(ctx: HandlerContext): number {
  return Math.floor(ctx.clock.now() / 1000)
}

function issuerName(ctx: HandlerContext): string {
  return requireValidName(ctx.params.issuer as string)
}

/** A list of objects whose given fields are strings (admin details, contacts). */
function objectList<T>(value: unknown, path: string, fields: readonly string[]): T[] {
  if (!Array.isArray(value)) throw badParameter(`Property ${path} has invalid value. It must be a list.`)
  return value.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw badParameter(`Property ${path}[${i}] has invalid value. It must be an object.`)
    const out: Record<string, string> = {}
    for (const f of fields) {
      const v = optionalString(item as Record<string, unknown>, f)
      if (v !== undefined) out[f] = v
    }
    return out as T
  })
}

/** The issuer fields a set or update sends (all optional here; set requires `provider`). */
function issuerFields(body: Record<string, unknown>): Partial<IssuerPayload> & { enabled?: boolean } {
  const provider = optionalString(body, 'provider')
  const credentials = optionalObject(body, 'credentials')
  const org = optionalObject(body, 'org_details')
  const attributes = optionalObject(body, 'attributes')
  const enabled = attributes ? optionalBoolean(attributes, 'enabled') : undefined
  const out: Partial<IssuerPayload> & { enabled?: boolean } = {}
  if (provider !== undefined) out.provider = provider
  if (credentials) {
    const accountId = optionalString(credentials, 'account_id')
    const pwd = optionalString(credentials, 'pwd')
    out.credentials = { ...(accountId === undefined ? {} : { account_id: accountId }), ...(pwd === undefined ? {} : { pwd }) }
  }
  if (org) {
    const id = optionalString(org, 'id')
    const admins = org.admin_details === undefined || org.admin_details === null ? undefined : objectList<AdministratorDetails>(org.admin_details, 'org_details.admin_details', ['first_name', 'last_name', 'email', 'phone'])
    out.org_details = { ...(id === undefined ? {} : { id }), ...(admins === undefined ? {} : { admin_details: admins }) }
  }
  if (enabled !== undefined) out.enabled = enabled
  return out
}

function setIssuer(ctx: HandlerContext): HandlerResult {
  const name = issuerName(ctx)
  const { enabled, ...fields } = issuerFields(objectBody(ctx.body))
  if (fields.provider === undefined || fields.provider === '') throw badParameter(`Property 'provider' is required.`)
  const issuer = new IssuerStore(ctx.vault).put(name, { ...fields, provider: fields.provider }, enabled ?? true, nowSec(ctx))
  return ok(issuerBody(ctx, issuer))
}

function getIssuer(ctx: HandlerContext): HandlerResult {
  const issuer = new IssuerStore(ctx.vault).get(issuerName(ctx))
  if (!issuer) throw issuerNotFound()
  return ok(issuerBody(ctx, issuer))
}

/** Update: sent fields replace stored ones; credentials merge field by field (a new account keeps the password unless sent). */
function updateIssuer(ctx: HandlerContext): HandlerResult {
  const store = new IssuerStore(ctx.vault)
  const current = store.get(issuerName(ctx))
  if (!current) throw issuerNotFound()
  const { enabled, ...fields } = issuerFields(objectBody(ctx.body, true))
  const payload: IssuerPayload = {
    ...current.payload,
    ...fields,
    provider: fields.provider || current.payload.provider,
    ...(fields.credentials ? { credentials: { ...current.payload.credentials, ...fields.credentials } } : {}),
  }
  return ok(issuerBody(ctx, store.put(current.name, payload, enabled ?? current.enabled, nowSec(ctx))))
}

function deleteIssuer(ctx: HandlerContext): HandlerResult {
  const issuer = new IssuerStore(ctx.vault).remove(issuerName(ctx))
  if (!issuer) throw issuerNotFound()
  return ok(issuerBody(ctx, issuer))
}

function listIssuers(ctx: HandlerContext): HandlerResult {
  const all = new IssuerStore(ctx.vault).list()
  const page = paginate(all, (i) => i.name.toLowerCase(), { query: ctx.query, baseUrl: ctx.baseUrl, path: '/certificates/issuers', apiVersion: ctx.apiVersion, mode: ctx.paging })
  return ok({ value: page.items.map((i) => issuerItem(ctx, i)), nextLink: page.nextLink })
}

function putContacts(ctx: HandlerContext): HandlerResult {
  const body = objectBody(ctx.body)
  const contacts = objectList<Contact>(body.contacts, 'contacts', ['email', 'name', 'phone'])
  setContacts(ctx.vault, contacts, nowSec(ctx))
  return ok(contactsBody(ctx, contacts))
}

function readContacts(ctx: HandlerContext): HandlerResult {
  const contacts = getContacts(ctx.vault)
  if (!contacts) throw contactsNotFound()
  return ok(contactsBody(ctx, contacts))
}

function removeContacts(ctx: HandlerContext): HandlerResult {
  const contacts = deleteContacts(ctx.vault)
  if (!contacts) throw contactsNotFound()
  return ok(contactsBody(ctx, contacts))
}

/** Register the issuer and contacts routes on `router`. */
export function registerIssuerRoutes(router: Router): void {
  router.add({ method: 'GET', path: '/certificates/issuers', operation: OP.issuerList, handler: listIssuers })
  router.add({ method: 'PUT', path: '/certificates/issuers/{issuer}', operation: OP.issuerSet, handler: setIssuer })
  router.add({ method: 'GET', path: '/certificates/issuers/{issuer}', operation: OP.issuerGet, handler: getIssuer })
  router.add({ method: 'PATCH', path: '/certificates/issuers/{issuer}', operation: OP.issuerUpdate, handler: updateIssuer })
  router.add({ method: 'DELETE', path: '/certificates/issuers/{issuer}', operation: OP.issuerDelete, handler: deleteIssuer })
  router.add({ method: 'PUT', path: '/certificates/contacts', operation: OP.contactsSet, handler: putContacts })
  router.add({ method: 'GET', path: '/certificates/contacts', operation: OP.contactsGet, handler: readContacts })
  router.add({ method: 'DELETE', path: '/certificates/contacts', operation: OP.contactsDelete, handler: removeContacts })
}
