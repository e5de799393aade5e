/** Convert SDK model objects to plain JSON: Dates become ISO strings, bytes base64, undefined members vanish. */
import type { PlainJson } from './types.js'

/** A JSON-ready deep copy of `value`. Functions and symbols are dropped; key order is kept. */
export function plain(value: unknown): PlainJson {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object') {
    const out: Record<string, PlainJson> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue
      out[k] = plain(v)
    }
    return out
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value
  return null
}

/** ISO string of an optional Date. */
export function iso(d: Date | undefined): string | undefined {
  return d === undefined ? undefined : d.toISOString()
}

/** Drop undefined members (for exact optional property shapes). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}
