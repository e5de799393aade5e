/**
 * Key rotation routes: `POST /keys/{name}/rotate` (a new version of the same shape now) and
 * `GET|PUT /keys/{name}/rotationpolicy`. Scheduled rotation itself is lifetime.ts.
 */
import type { HandlerContext, HandlerResult, Router } from '../http/router.js'
import { latest } from '../model/versioned.js'
import { onTheWireAsync } from './errors.js'
import { rotatedVersion, setStoredPolicy, storedPolicy } from './lifetime.js'
import { keyBundle, keysOf } from './model.js'
import { KEY_OPERATIONS as OP } from './operations.js'
import { parseRotationPolicy, rotationPolicyBody } from './rotation-policy.js'
import { addKeyRoute, byAddressedKey, keyName, ok, refuseManaged } from './routing.js'

function policyId(ctx: HandlerContext, name: string): string {
  return `${ctx.baseUrl}/keys/${name}/rotationpolicy`
}

async function rotateKey(ctx: HandlerContext): Promise<HandlerResult> {
  const name = keyName(ctx)
  const keys = keysOf(ctx.vault)
  const record = keys.active(name)
  refuseManaged(record, 'rotate')
  const input = await onTheWireAsync(() => rotatedVersion(latest(record), storedPolicy(record), ctx.clock.now()))
  // Generation awaited: the key must still be there (create would otherwise start a new key under the name).
  refuseManaged(keys.active(name), 'rotate')
  const created = keys.create(name, input)
  return ok(keyBundle(ctx, created.record, created.version))
}

function getRotationPolicy(ctx: HandlerContext): HandlerResult {
  const record = keysOf(ctx.vault).active(keyName(ctx))
  return ok(rotationPolicyBody(policyId(ctx, record.name), storedPolicy(record)))
}

function setRotationPolicy(ctx: HandlerContext): HandlerResult {
  const record = keysOf(ctx.vault).active(keyName(ctx))
  refuseManaged(record, 'setRotationPolicy')
  const policy = parseRotationPolicy(ctx.body, Math.floor(ctx.clock.now() / 1000), storedPolicy(record))
  setStoredPolicy(record, policy)
  return ok(rotationPolicyBody(policyId(ctx, record.name), policy))
}

/** Register rotate and the rotation policy routes. */
export function registerKeyRotationRoutes(router: Router): void {
  addKeyRoute(router, 'POST', '/keys/{name}/rotate', OP.rotate, rotateKey, byAddressedKey(OP.rotate))
  addKeyRoute(router, 'GET', '/keys/{name}/rotationpolicy', OP.getRotationPolicy, getRotationPolicy, byAddressedKey(OP.getRotationPolicy))
  addKeyRoute(router, 'PUT', '/keys/{name}/rotationpolicy', OP.setRotationPolicy, setRotationPolicy, byAddressedKey(OP.setRotationPolicy))
}
