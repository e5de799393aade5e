/**
 * The route table: each route declares its Key Vault operation (audit name, RBAC data action, object kind,
 * throttling class) next to its handler, so the pipeline can authorize, throttle and audit it generically.
 */
import type { Clock } from '../../core/clock.js'
import type { BackupCodec } from '../backup.js'
import type { Vault } from '../model/vault.js'
import type { PagingMode } from './paging.js'
import type { Principal } from './pipeline.js'
import { methodNotAllowed, KvHttpError } from './errors.js'

/** What a request does, in Key Vault's own terms. */
export interface OperationDescriptor {
  /** `operationName` as it appears in Key Vault AuditEvent logs, e.g. `SecretGet`. */
  name: string
  /** The Azure RBAC data action Key Vault checks, e.g. `Microsoft.KeyVault/vaults/secrets/getSecret/action`. */
  dataAction: string
  /** The object kind the operation touches. */
  kind: 'secret' | 'key' | 'certificate' | 'vault'
  /**
   * Throttling bucket (Key Vault limits per vault per 10 s): `secret-create` vs `secret-other` for secrets; keys and
   * certificates define their own.
   */
  throttleClass: string
}

/** Everything a handler may use. Handlers are synchronous over vault state or async; they never see raw sockets. */
export interface HandlerContext {
  vault: Vault
  /** Decoded path parameters, e.g. `{ name, version }`. Optional parameters are absent when not given. */
  params: Readonly<Record<string, string>>
  query: URLSearchParams
  /** Parsed JSON body, or undefined when the request had none. */
  body: unknown
  /** `scheme://host[:port]` exactly as the client addressed the vault; ids in responses are built from it. */
  baseUrl: string
  /** The api-version the client sent (any value is accepted). */
  apiVersion: string
  clock: Clock
  backups: BackupCodec
  principal: Principal
  /** How list operations page (see paging.ts). */
  paging: PagingMode
}

/** What a handler answers with. `body` undefined means no body (204). */
export interface HandlerResult {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export type Handler = (ctx: HandlerContext) => HandlerResult | Promise<HandlerResult>

export interface RouteDefinition {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'
  /** Path template: literal segments and `{param}`; a trailing `{param?}` is optional. E.g. `/secrets/{name}/{version?}`. */
  path: string
  operation: OperationDescriptor
  handler: Handler
  /**
   * Refines `operation` for one request before the pipeline authorizes, throttles and audits it, e.g. the Keys API
   * names the addressed key's family in `throttleClass`. Must not throw and must not change vault state; it returns
   * `operation` when it cannot tell.
   */
  refine?: (req: RefineRequest) => OperationDescriptor
}

/** What `RouteDefinition.refine` may look at. */
export interface RefineRequest {
  vault: Vault
  params: Readonly<Record<string, string>>
  /** The parsed JSON body (parsed when called, so routes that do not look pay nothing); undefined when absent or not JSON. */
  body(): unknown
}

/** A route module registers one object kind's routes (`registerSecretRoutes(router)`). */
export type RouteModule = (router: Router) => void

export type RouteMatch =
  | { ok: true; route: RouteDefinition; params: Record<string, string> }
  | { ok: false; error: KvHttpError }

interface Segment {
  literal?: string
  param?: string
  optional?: boolean
}

interface CompiledRoute {
  def: RouteDefinition
  segments: Segment[]
  literals: number
}

/**
 * Splits a request path into decoded segments. Empty segments are dropped, as the service's front end does:
 * `/secrets/name/` (empty version) addresses the latest version and `PUT /secrets/` becomes `PUT /secrets`.
 * Throws 400 for undecodable percent-escapes.
 */
export function pathSegments(path: string): string[] {
  const out: string[] = []
  for (const raw of path.split('/')) {
    if (raw === '') continue
    try {
      out.push(decodeURIComponent(raw))
    } catch {
      throw new KvHttpError(400, 'BadParameter', 'The request URI contains an invalid escape sequence.')
    }
  }
  return out
}

export class Router {
  private readonly routes: CompiledRoute[] = []

  /** Add a route. Throws when the same method and template are registered twice (a wiring bug). */
  add(def: RouteDefinition): void {
    const segments: Segment[] = def.path.split('/').filter((s) => s !== '').map((s) => {
      const m = /^\{(\w+)(\?)?\}$/.exec(s)
      return m ? { param: m[1] as string, optional: m[2] === '?' } : { literal: s.toLowerCase() }
    })
    if (segments.slice(0, -1).some((s) => s.optional)) throw new Error(`route ${def.path}: only the last parameter may be optional`)
    if (this.routes.some((r) => r.def.method === def.method && r.def.path === def.path)) {
      throw new Error(`route ${def.method} ${def.path} is registered twice`)
    }
    this.routes.push({ def, segments, literals: segments.filter((s) => s.literal !== undefined).length })
  }

  /** All registered routes (for documentation and tests). */
  list(): readonly RouteDefinition[] {
    return this.routes.map((r) => r.def)
  }

  /**
   * Find the route for `method` and `path`. Literal segments win over parameters (`/secrets/restore` over
   * `/secrets/{name}`). A path known only under other methods gives 405; an unknown path 404; a path with a bad
   * percent-escape 400. Never throws for request data, so the pipeline can authenticate before reporting it.
   */
  match(method: string, path: string): RouteMatch {
    let segs: string[]
    try {
      segs = pathSegments(path)
    } catch (err) {
      if (err instanceof KvHttpError) return { ok: false, error: err }
      throw err
    }
    let best: { route: CompiledRoute; params: Record<string, string> } | undefined
    let pathKnown = false
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segs)
      if (!params) continue
      pathKnown = true
      if (route.def.method !== method.toUpperCase()) continue
      if (!best || route.literals > best.route.literals) best = { route, params }
    }
    if (best) return { ok: true, route: best.route.def, params: best.params }
    if (pathKnown) return { ok: false, error: methodNotAllowed(method.toUpperCase()) }
    return { ok: false, error: new KvHttpError(404, 'NotFound', `The requested resource ${path} was not found.`) }
  }
}

function matchSegments(template: Segment[], segs: string[]): Record<string, string> | undefined {
  const required = template.filter((s) => !s.optional).length
  if (segs.length < required || segs.length > template.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < template.length; i++) {
    const t = template[i] as Segment
    const s = segs[i]
    if (s === undefined) return t.optional ? params : undefined
    if (t.literal !== undefined) {
      if (s.toLowerCase() !== t.literal) return undefined
    } else {
      params[t.param as string] = s
    }
  }
  return params
}
