/**
 * What every Keys API route shares: registration that first applies due lifetime actions (rotation by policy), the
 * per-request refinement that names the addressed key's family in the throttling class, the managed-key refusal and
 * the key name parameter.
 */
import type { HandlerContext, HandlerResult, OperationDescriptor, RefineRequest, Router, RouteDefinition } from '../http/router.js'
import { requireValidName } from '../http/validate.js'
import { KEY_LABELS, managedByCertificate } from '../model/messages.js'
import { latest, type ObjectRecord } from '../model/versioned.js'
import { decodeBase64Url, describeKey, KEY_TYPES, type KeyShape } from './crypto.js'
import { applyDueLifetimeActions } from './lifetime.js'
import { keysOf, type KeyPayload } from './model.js'
import { withKeyFamily } from './operations.js'

/** A 200 answer. */
export function ok(body: unknown): HandlerResult {
  return { status: 200, body }
}

/** The validated `{name}` path parameter. Throws 400 for invalid names. */
export function keyName(ctx: Pick<HandlerContext, 'params'>): string {
  return requireValidName(ctx.params.name as string)
}

/** Refuse direct operations on the key behind a certificate (403, inner KeyManagedByKeyVault). */
export function refuseManaged(record: ObjectRecord<KeyPayload>, operation: string): void {
  if (record.managed) throw managedByCertificate(KEY_LABELS, operation)
}

/**
 * Register a Keys API route. Before the handler runs, due lifetime actions of the vault's keys are applied, so a
 * request sees every rotation its policy made due by the emulator clock.
 */
export function addKeyRoute(
  router: Router,
  method: RouteDefinition['method'],
  path: string,
  operation: OperationDescriptor,
  handler: (ctx: HandlerContext) => HandlerResult | Promise<HandlerResult>,
  refine?: (req: RefineRequest) => OperationDescriptor,
): void {
  router.add({
    method,
    path,
    operation,
    handler: async (ctx) => {
      await applyDueLifetimeActions(ctx.vault, ctx.clock)
      return handler(ctx)
    },
    ...(refine === undefined ? {} : { refine }),
  })
}

/** The shape of the addressed key (a version, the latest, or the latest of a deleted key); undefined when unknown. */
function addressedShape(req: RefineRequest): KeyShape | undefined {
  const name = req.params.name
  if (name === undefined) return undefined
  const keys = keysOf(req.vault)
  try {
    const phase = keys.phase(name)
    if (phase === 'active') return describeKey(keys.version(name, req.params.version).version.payload.material)
    if (phase === 'deleted') return describeKey(latest(keys.deleted(name)).payload.material)
  } catch {
    // unknown version or invalid name: the handler reports it
  }
  return undefined
}

/** refine for routes that address an existing key: the throttling class names its family. */
export function byAddressedKey(operation: OperationDescriptor): (req: RefineRequest) => OperationDescriptor {
  return (req) => {
    const shape = addressedShape(req)
    return shape === undefined ? operation : withKeyFamily(operation, shape.kty, shape.keySize)
  }
}

/** refine for create: the family the request asks for. */
export function byRequestedKey(operation: OperationDescriptor): (req: RefineRequest) => OperationDescriptor {
  return (req) => {
    const b = req.body() as { kty?: unknown; key_size?: unknown } | undefined
    if (typeof b?.kty !== 'string' || !(KEY_TYPES as readonly string[]).includes(b.kty)) return operation
    return withKeyFamily(operation, b.kty, typeof b.key_size === 'number' ? b.key_size : undefined)
  }
}

/** refine for import: the family of the JWK being imported (`Hsm: true` makes it an HSM key). */
export function byImportedKey(operation: OperationDescriptor): (req: RefineRequest) => OperationDescriptor {
  return (req) => {
    const b = req.body() as { key?: { kty?: unknown; n?: unknown }; Hsm?: unknown } | undefined
    const kty = b?.key?.kty
    if (typeof kty !== 'string' || !(KEY_TYPES as readonly string[]).includes(kty)) return operation
    return withKeyFamily(operation, b?.Hsm === true && !kty.endsWith('-HSM') ? `${kty}-HSM` : kty, modulusBits(b?.key?.n))
  }
}

/** Bits of a base64url big-endian modulus, leading zero bytes ignored (RSA sizes are whole bytes). */
function modulusBits(n: unknown): number | undefined {
  const bytes = decodeBase64Url(n)
  if (bytes === undefined) return undefined
  let first = 0
  while (first < bytes.length && bytes[first] === 0) first++
  return (bytes.length - first) * 8
}
