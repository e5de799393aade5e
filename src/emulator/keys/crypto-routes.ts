/**
 * The cryptographic key operations over HTTP: encrypt, decrypt, wrapKey, unwrapKey, sign and verify on a key version
 * (`/keys/{name}/{version}/{op}`, or the latest version when the version segment is empty), run by the key library
 * with its errors written as Key Vault writes them; and release, which answers "not supported".
 */
import { objectBody } from '../http/validate.js'
import type { HandlerContext, HandlerResult, OperationDescriptor, Router } from '../http/router.js'
import { decrypt, encodeBase64Url, encrypt, sign, unwrapKey, verify, wrapKey, type UsableKey } from './crypto.js'
import { base64UrlMember, keyDisabled, onTheWire } from './errors.js'
import { keyId, keysOf } from './model.js'
import { KEY_OPERATIONS as OP } from './operations.js'
import { releaseNotSupported } from './release.js'
import { addKeyRoute, byAddressedKey, keyName, ok } from './routing.js'
import { badParameter } from '../http/errors.js'

/** The addressed version as the key library wants it, and whether it is enabled. */
function addressedKey(ctx: HandlerContext): { key: UsableKey; enabled: boolean; exportable: boolean } {
  const { record, version } = keysOf(ctx.vault).version(keyName(ctx), ctx.params.version)
  return {
    key: { kid: keyId(ctx.baseUrl, record.name, version.version), keyOps: version.payload.keyOps, material: version.payload.material },
    enabled: version.attributes.enabled,
    exportable: version.payload.exportable,
  }
}

type Transform = (key: UsableKey, alg: unknown, value: Uint8Array) => Buffer

/**
 * A handler for an operation that turns `value` into a result. Private-key operations (`needsEnabled`) are refused
 * with 403 KeyDisabled on disabled versions; public-key operations are not, as on the service.
 */
function transform(operation: string, fn: Transform, needsEnabled: boolean): (ctx: HandlerContext) => HandlerResult {
  return (ctx) => {
    const { key, enabled } = addressedKey(ctx)
    const body = objectBody(ctx.body)
    if (needsEnabled && !enabled) throw keyDisabled(operation)
    const value = base64UrlMember(body, 'value')
    const result = onTheWire(() => fn(key, body.alg, value))
    return ok({ kid: key.kid, value: encodeBase64Url(result) })
  }
}

function verifyDigest(ctx: HandlerContext): HandlerResult {
  const { key } = addressedKey(ctx)
  const body = objectBody(ctx.body)
  const digest = base64UrlMember(body, 'digest')
  const signature = base64UrlMember(body, 'value')
  return ok({ value: onTheWire(() => verify(key, body.alg, digest, signature)) })
}

function release(ctx: HandlerContext): HandlerResult {
  const { key, exportable } = addressedKey(ctx)
  const body = objectBody(ctx.body)
  if (typeof body.target !== 'string' || body.target === '') throw badParameter(`Property 'target' (the attestation token of the release target) is required.`)
  throw releaseNotSupported(key.kid, exportable)
}

/** Register the operations under `/keys/{name}/{version}/<op>` and `/keys/{name}/<op>` (latest version). */
export function registerKeyCryptoRoutes(router: Router): void {
  const routes: [string, OperationDescriptor, (ctx: HandlerContext) => HandlerResult][] = [
    ['encrypt', OP.encrypt, transform('encrypt', encrypt, false)],
    ['decrypt', OP.decrypt, transform('decrypt', decrypt, true)],
    ['wrapkey', OP.wrapKey, transform('wrapKey', wrapKey, false)],
    ['unwrapkey', OP.unwrapKey, transform('unwrapKey', unwrapKey, true)],
    ['sign', OP.sign, transform('sign', sign, true)],
    ['verify', OP.verify, verifyDigest],
    ['release', OP.release, release],
  ]
  for (const [segment, op, handler] of routes) {
    addKeyRoute(router, 'POST', `/keys/{name}/{version}/${segment}`, op, handler, byAddressedKey(op))
    addKeyRoute(router, 'POST', `/keys/{name}/${segment}`, op, handler, byAddressedKey(op))
  }
}
