/**
 * The key family a key operation is throttled as (src/core/limits.ts): for a create or import, from the request
 * (`kty`, `key_size`, `crv`, the imported JWK, `Hsm`); for an operation on a stored key, from its latest version's
 * key material. Unknown shapes count as software RSA-2048 (weight 1).
 */
import { keyFamilyOf } from '../../core/limits.js'
import type { StageRequest } from '../http/pipeline.js'
import type { OperationDescriptor } from '../http/router.js'
import type { KeyShapeForThrottle } from './throttle.js'

interface JwkLike {
  kty?: unknown
  n?: unknown
  crv?: unknown
  key_size?: unknown
}

/** Resolve the throttling family of a key operation (see module doc). */
export function keyShapeOf(operation: OperationDescriptor, req: StageRequest): KeyShapeForThrottle | undefined {
  const create = operation.throttleClass.toLowerCase().endsWith('-create')
  if (create) {
    const body = req.inspect?.body() as (JwkLike & { key?: JwkLike; Hsm?: unknown }) | undefined
    if (!body || typeof body !== 'object') return undefined
    const jwk = body.key && typeof body.key === 'object' ? body.key : body
    const shape = shapeOf(jwk)
    if (shape && body.Hsm === true && shape.protection === 'software') return { ...shape, protection: 'hsm' }
    return shape
  }
  const name = req.params?.name
  const objects = (req.inspect?.vault.state.collections.keys as { objects?: Record<string, { versions?: { version?: string; payload?: unknown }[] }> } | undefined)?.objects
  const record = name === undefined ? undefined : objects?.[name.toLowerCase()]
  const versions = record?.versions ?? []
  const version = req.params?.version === undefined ? versions.at(-1) : versions.find((v) => v.version === req.params?.version?.toLowerCase())
  return shapeOf(materialOf(version?.payload))
}

/** The JWK-like key material inside a stored key payload. */
function materialOf(payload: unknown): JwkLike | undefined {
  if (!payload || typeof payload !== 'object') return undefined
  const p = payload as Record<string, unknown>
  for (const k of ['material', 'key', 'jwk']) {
    const m = p[k]
    if (m && typeof m === 'object' && typeof (m as JwkLike).kty === 'string') return m as JwkLike
  }
  return typeof p.kty === 'string' ? (p as JwkLike) : undefined
}

function shapeOf(jwk: JwkLike | undefined): KeyShapeForThrottle | undefined {
  if (!jwk || typeof jwk.kty !== 'string') return undefined
  const size = typeof jwk.key_size === 'number' ? jwk.key_size : typeof jwk.n === 'string' ? rsaBits(jwk.n) : undefined
  return keyFamilyOf(jwk.kty, size)
}

/** Modulus size of a base64url `n`, rounded to the sizes Key Vault has (2048, 3072, 4096). */
function rsaBits(n: string): number {
  const bits = Buffer.from(n, 'base64url').length * 8
  return bits > 3072 ? 4096 : bits > 2048 ? 3072 : 2048
}
