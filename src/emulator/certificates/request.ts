/** Request-body validation of the Certificates API: policies, booleans, string lists. Failures are 400 BadParameter. */
import { badParameter } from '../http/errors.js'
import type { CertificatePolicy } from './policy.js'

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** An optional boolean property. */
export function optionalBoolean(obj: Record<string, unknown>, field: string): boolean | undefined {
  const v = obj[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean') throw badParameter(`Property '${field}' must be true or false.`)
  return v
}

/** An optional JSON object property. */
export function optionalObject(obj: Record<string, unknown>, field: string, path = field): Record<string, unknown> | undefined {
  const v = obj[field]
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) throw badParameter(`Property ${path} has invalid value. It must be an object.`)
  return v
}

/** A required array of strings (e.g. a merge's x5c). */
export function stringList(obj: Record<string, unknown>, field: string): string[] {
  const v = obj[field]
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw badParameter(`Property '${field}' is required and must be a list of strings.`)
  return v as string[]
}

/**
 * An optional `policy`: an object whose parts have the right JSON types (the certificate library checks their
 * values). Throws 400 naming the bad part.
 */
export function optionalPolicy(obj: Record<string, unknown>, field = 'policy'): CertificatePolicy | undefined {
  const policy = optionalObject(obj, field)
  if (!policy) return undefined
  for (const part of ['key_props', 'secret_props', 'x509_props', 'issuer', 'attributes']) optionalObject(policy, part, `${field}.${part}`)
  const x509 = optionalObject(policy, 'x509_props', `${field}.x509_props`)
  if (x509) optionalObject(x509, 'sans', `${field}.x509_props.sans`)
  const actions = policy.lifetime_actions
  if (actions !== undefined && actions !== null && (!Array.isArray(actions) || actions.some((a) => !isObject(a)))) {
    throw badParameter(`Property ${field}.lifetime_actions has invalid value. It must be a list of objects.`)
  }
  return policy as CertificatePolicy
}
