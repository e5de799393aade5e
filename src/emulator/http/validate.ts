/** Request validation shared by every object kind: names, JSON bodies, attributes and tags. Failures are 400 BadParameter. */
import { isValidObjectName } from '../../core/types.js'
import type { AttributesInput } from '../model/versioned.js'
import { badParameter } from './errors.js'

/** Throw 400 unless `name` is a valid object name (1-127 of `0-9a-zA-Z-`). */
export function requireValidName(name: string): string {
  if (!isValidObjectName(name)) {
    throw badParameter(`The request URI contains an invalid name: ${name}. Object names are 1-127 characters of 0-9, a-z, A-Z and '-'.`)
  }
  return name
}

/** The body as a JSON object. Throws 400 when absent (unless `optional`) or not an object. */
export function objectBody(body: unknown, optional = false): Record<string, unknown> {
  if (body === undefined && optional) return {}
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badParameter('The request body must be a JSON object.')
  }
  return body as Record<string, unknown>
}

/** An optional string property. Throws 400 for other types or when longer than `maxLength`. */
export function optionalString(obj: Record<string, unknown>, field: string, maxLength?: number): string | undefined {
  const v = obj[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw badParameter(`Property '${field}' must be a string.`)
  if (maxLength !== undefined && v.length > maxLength) throw badParameter(`Property '${field}' must be at most ${maxLength} characters long.`)
  return v
}

/** Optional `tags`: an object of string values. */
export function optionalTags(obj: Record<string, unknown>): Record<string, string> | undefined {
  const v = obj.tags
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw badParameter(`Property 'tags' must be an object of string values.`)
  for (const [k, t] of Object.entries(v)) {
    if (typeof t !== 'string') throw badParameter(`Tag '${k}' must have a string value.`)
  }
  return v as Record<string, string>
}

/**
 * Optional `attributes`: `enabled` (boolean), `nbf` and `exp` (integer Unix seconds, or null to clear). Read-only
 * attributes (`created`, `updated`, `recoveryLevel`, `recoverableDays`) are ignored as the service ignores them.
 */
export function optionalAttributes(obj: Record<string, unknown>): AttributesInput | undefined {
  const v = obj.attributes
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw badParameter(`Property 'attributes' must be an object.`)
  const a = v as Record<string, unknown>
  const out: AttributesInput = {}
  if (a.enabled !== undefined && a.enabled !== null) {
    if (typeof a.enabled !== 'boolean') throw badParameter(`Attribute 'enabled' must be true or false.`)
    out.enabled = a.enabled
  }
  for (const k of ['nbf', 'exp'] as const) {
    const t = a[k]
    if (t === undefined) continue
    if (t === null) out[k] = null
    else if (typeof t === 'number' && Number.isInteger(t)) out[k] = t
    else throw badParameter(`Attribute '${k}' must be an integer number of seconds since the Unix epoch.`)
  }
  return out
}
