/**
 * The request pipeline's replaceable stages: firewall -> authenticate -> authorize -> throttle -> faults ->
 * handler -> audit. Today's implementations are permissive; later work swaps implementations, not the pipeline.
 */
import type { VaultSettings } from '../model/vault.js'
import { KvHttpError } from './errors.js'
import type { OperationDescriptor } from './router.js'

/** What every stage may know about a request. Bodies and tokens are deliberately absent. */
export interface StageRequest {
  method: string
  /** Path and query as received. */
  url: string
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** Remote address of the TCP connection. */
  sourceAddress: string
  vault: VaultSettings
  /** Decoded path parameters of the matched route (`name`, `version`, ...); absent before routing or for unknown paths. */
  params?: Readonly<Record<string, string>>
  /** Aborted when the client goes away or the emulator stops (so a stage that waits can give up). */
  signal?: AbortSignal
}

/** Who is calling, as established by the authenticator. */
export interface Principal {
  /** Stable id (object id in Entra terms). */
  id: string
  tenantId?: string
  /** Claims of the presented token, when the authenticator decodes them. */
  claims?: Readonly<Record<string, unknown>>
}

/** Network rules, checked once the caller is known (Key Vault's firewall denial names the caller). Throw KvHttpError(403) to refuse. */
export interface Firewall {
  check(req: StageRequest, principal?: Principal): void | Promise<void>
}

/** Token -> principal. Throw KvHttpError(401) with a `WWW-Authenticate` challenge when there is no usable token. */
export interface Authenticator {
  authenticate(req: StageRequest): Principal | Promise<Principal>
}

/** Principal x data action -> allow, or throw KvHttpError(403). */
export interface Authorizer {
  authorize(principal: Principal, operation: OperationDescriptor, req: StageRequest): void | Promise<void>
}

/** Admission control. Throw KvHttpError(429) (with or without Retry-After) to throttle. */
export interface Throttle {
  admit(principal: Principal, operation: OperationDescriptor, req: StageRequest): void | Promise<void>
}

/** Fault injection and latency: may wait, throw a KvHttpError, or throw DropConnection. */
export interface FaultInjector {
  /** Before the handler: a fault here means the request was not acted on. */
  inject(operation: OperationDescriptor, req: StageRequest): void | Promise<void>
  /** After the handler ran (and its changes were committed): a fault here loses the response of an applied request. */
  after?(operation: OperationDescriptor, req: StageRequest): void | Promise<void>
}

/** One record per answered request, shaped after Key Vault's AuditEvent log. Never holds bodies or tokens. */
export interface AuditRecord {
  /** ISO time of the request (emulator clock). */
  time: string
  vault: string
  /** Operation name (`SecretGet`, ...); `Authentication` when authentication refused it; `Unknown` for unknown paths. */
  operationName: string
  /** HTTP status code. */
  resultSignature: number
  durationMs: number
  callerIpAddress: string
  requestUri: string
  principalId?: string
  /** Object id returned or acted on, when known (`https://host/secrets/name/version`). */
  id?: string
  /** Error code when the request failed. */
  errorCode?: string
  /** Inner error code (`ForbiddenByRbac`, `ForbiddenByFirewall`, ...). */
  innerErrorCode?: string
  correlationId?: string
  /** The pipeline stage that decided the outcome when it was not the handler. */
  stage?: 'firewall' | 'authentication' | 'authorization' | 'throttling' | 'faults' | 'request' | 'handler'
  /** True when no response was sent: the connection was dropped (fault) or the client gave up on a hung request. */
  dropped?: boolean
  /** True when the request carried no Authorization header and got the 401 challenge (the SDK's first request). */
  challenge?: boolean
  /** api-version the client sent. */
  operationVersion?: string
  /** User agent. */
  clientInfo?: string
  /** Negotiated TLS version (`TLSv1.3`). */
  tlsVersion?: string
  /** Identity claims of the caller, when authenticated (never the token). */
  identity?: { oid?: string; appid?: string; upn?: string; tid?: string }
}

export interface AuditSink {
  record(entry: AuditRecord): void
}

export interface PipelineStages {
  firewall: Firewall
  authenticator: Authenticator
  authorizer: Authorizer
  throttle: Throttle
  faults: FaultInjector
  audit: AuditSink
}

/** Key Vault's Entra audience; the challenge names it as `resource`. */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net'

/**
 * Today's authenticator: any well-formed `Authorization: Bearer <token>` passes; anything else gets Key Vault's
 * 401 challenge naming the vault's tenant. The request is never acted on (the SDK's first, body-less probe).
 */
export class AnyBearerAuthenticator implements Authenticator {
  constructor(private readonly authorityHost = 'https://login.microsoftonline.com') {}

  authenticate(req: StageRequest): Principal {
    const raw = req.headers.authorization
    const header = Array.isArray(raw) ? raw[0] : raw
    const m = header === undefined ? null : /^Bearer ([^\s]+)$/i.exec(header.trim())
    if (!m) throw challenge(req.vault.tenantId, this.authorityHost)
    return { id: 'emulator-principal', tenantId: req.vault.tenantId }
  }
}

/** The 401 Key Vault answers to a request without a usable bearer token. */
export function challenge(tenantId: string, authorityHost = 'https://login.microsoftonline.com'): KvHttpError {
  return new KvHttpError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
    headers: { 'WWW-Authenticate': `Bearer authorization="${authorityHost}/${tenantId}", resource="${KEY_VAULT_RESOURCE}"` },
  })
}

/** The stages used when none are given: open firewall, any bearer token, everything allowed, no throttling, no faults, no audit. */
export function permissiveStages(): PipelineStages {
  return {
    firewall: { check: () => {} },
    authenticator: new AnyBearerAuthenticator(),
    authorizer: { authorize: () => {} },
    throttle: { admit: () => {} },
    faults: { inject: () => {} },
    audit: { record: () => {} },
  }
}
