/**
 * Turning what the Azure SDK throws into errors a person can act on: 401 and credential failures (exit 20),
 * 403 naming the missing data action and the built-in role that grants it, firewall refusals with the caller's
 * IP (exit 21), unreachable vaults - DNS, refused connections, TLS trust failures with the --ca-file hint
 * (exit 22) - and per-object failures (not found, throttled, server errors). Messages never hold secret values:
 * Key Vault's error bodies carry none, and request bodies are never quoted.
 */
import { ExitCode, type ExitCodeValue, KvdrError } from '../core/errors.js'
import { describePermission, PERMISSIONS, type VaultOperation } from './permissions.js'

/** How far a failure reaches: the whole vault (stop the run) or one object (record it, carry on). */
export type FailureScope = 'vault' | 'object'

/** An error of one Key Vault call, classified. */
export class VaultError extends KvdrError {
  /** HTTP status when the service answered. */
  readonly status?: number
  /** Key Vault's error code and inner code (`Forbidden` / `ForbiddenByRbac`, `SecretNotFound`, ...). */
  readonly serviceCode?: string
  readonly innerCode?: string
  readonly operation?: VaultOperation
  readonly scope: FailureScope
  /** The data action that was missing, for 403s. */
  readonly missingPermission?: string

  constructor(
    code: string,
    exitCode: ExitCodeValue,
    message: string,
    info: { scope: FailureScope; status?: number; serviceCode?: string; innerCode?: string; operation?: VaultOperation; missingPermission?: string; hint?: string; cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, exitCode, message, {
      ...(info.hint === undefined ? {} : { hint: info.hint }),
      ...(info.cause === undefined ? {} : { cause: info.cause }),
      ...(info.details === undefined ? {} : { details: info.details }),
    })
    this.name = 'VaultError'
    this.scope = info.scope
    if (info.status !== undefined) this.status = info.status
    if (info.serviceCode !== undefined) this.serviceCode = info.serviceCode
    if (info.innerCode !== undefined) this.innerCode = info.innerCode
    if (info.operation !== undefined) this.operation = info.operation
    if (info.missingPermission !== undefined) this.missingPermission = info.missingPermission
  }
}

/** The service's answer as the SDK reports it (RestError), read structurally. */
interface ServiceAnswer {
  status?: number
  code?: string
  innerCode?: string
  message: string
}

function answerOf(err: unknown, rawBody?: string): ServiceAnswer {
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; details?: unknown }
  // The SDK deserialises the body into `details` ({error: {code, message, innerError}}), except for failed listing
  // pages, where only the raw body (kept by the Governor) has it; raw bodies say `innererror`.
  const details = (e?.details ?? parseBody(rawBody)) as { error?: { code?: unknown; message?: unknown; innererror?: { code?: unknown }; innerError?: { code?: unknown } } } | undefined
  const body = details?.error
  const inner = body?.innerError?.code ?? body?.innererror?.code
  return {
    ...(typeof e?.statusCode === 'number' ? { status: e.statusCode } : {}),
    ...(typeof body?.code === 'string' ? { code: body.code } : typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof inner === 'string' ? { innerCode: inner } : {}),
    message: typeof body?.message === 'string' ? body.message : typeof e?.message === 'string' ? e.message : String(err),
  }
}

function parseBody(text: string | undefined): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL'])
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'ESOCKETTIMEDOUT'])
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
])

/** The error code of a network failure (the SDK keeps Node's code on its RestError), or undefined. */
export function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (DNS_CODES.has(code) || CONNECT_CODES.has(code) || TLS_TRUST_CODES.has(code) || code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code.startsWith('ERR_SSL') || code === 'EPROTO')) return code
  }
  return undefined
}

/** The caller IP named by a firewall refusal ("Client address: 1.2.3.4"), if present. */
export function callerIp(message: string): string | undefined {
  return /Client address:\s*([0-9a-fA-F.:]+)/.exec(message)?.[1]
}

/** The RBAC action named by a 403 ("Action: 'Microsoft.KeyVault/...'"), if present. */
function actionOf(message: string): string | undefined {
  return /Action:\s*'([^']+)'/.exec(message)?.[1]
}

/** True for a 403 that is the vault's firewall, not a permission. */
function isFirewall(a: ServiceAnswer): boolean {
  return a.innerCode === 'ForbiddenByFirewall' || /Client address is not authorized/i.test(a.message)
}

function isCredentialFailure(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name
  return name === 'CredentialUnavailableError' || name === 'AuthenticationError' || name === 'AggregateAuthenticationError' || name === 'AuthenticationRequiredError'
}

/** Context for messages: which call, on which vault and object. */
export interface CallContext {
  operation: VaultOperation
  vaultUrl: string
  /** `secret/db-pass`, `key/cmk/<version>`; absent for vault-level calls. */
  object?: string
  /** The raw error body for the request an SDK error names (Governor.errorBody). */
  bodyOf?: (request: unknown) => string | undefined
}

/**
 * Classify anything an SDK call threw. Returns a VaultError whose `scope` says whether the whole vault is
 * unusable (auth, firewall, unreachable, TLS) or only this object (403 on one operation, 404, 400, throttled or
 * server errors that outlived the retries). Listings failing with 403 are vault-scoped: nothing can be read.
 */
export function classifyError(err: unknown, ctx: CallContext): VaultError {
  if (err instanceof VaultError) return err
  const what = ctx.object ? `${ctx.object} in ${ctx.vaultUrl}` : ctx.vaultUrl
  if (isCredentialFailure(err)) {
    return new VaultError('VAULT_AUTH', ExitCode.Auth, `No usable Azure credential for ${ctx.vaultUrl}: ${firstLine(err)}`, {
      scope: 'vault',
      operation: ctx.operation,
      hint: 'Sign in (az login), run where a managed identity is assigned, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE).',
      cause: err,
    })
  }
  if ((err as { name?: unknown })?.name === 'AbortError') {
    return new VaultError('DEADLINE', ExitCode.Failure, `The run's deadline passed during ${ctx.operation} on ${what}.`, {
      scope: 'vault',
      operation: ctx.operation,
      hint: 'Give the run more time (--deadline), or back up fewer vaults per run.',
      cause: err,
    })
  }
  const message = (err as { message?: unknown })?.message
  if (typeof message === 'string' && message.includes('challenge resource')) {
    return new VaultError('VAULT_CHALLENGE', ExitCode.Auth, `${ctx.vaultUrl} answered with an authentication challenge for another domain: ${message.split('.')[0]}.`, {
      scope: 'vault',
      operation: ctx.operation,
      hint: 'Use the vault\'s real host name (https://<name>.vault.azure.net) and reach a private or local address with --resolve <host>=<ip>; kvdr keeps challenge verification on.',
      cause: err,
    })
  }
  const net = networkCode(err)
  if (net) return unreachable(net, ctx, err)
  const a = answerOf(err, ctx.bodyOf?.((err as { request?: unknown })?.request))
  const base = { operation: ctx.operation, ...(a.status === undefined ? {} : { status: a.status }), ...(a.code === undefined ? {} : { serviceCode: a.code }), ...(a.innerCode === undefined ? {} : { innerCode: a.innerCode }), cause: err }
  const service = `${a.status ?? '?'} ${a.code ?? ''}${a.innerCode ? `/${a.innerCode}` : ''}`.trim()
  switch (a.status) {
    case 401:
      return new VaultError('VAULT_AUTH', ExitCode.Auth, `Key Vault rejected the credential for ${ctx.vaultUrl} (401 ${a.code ?? 'Unauthorized'}): ${firstLine(a.message)}`, {
        ...base,
        scope: 'vault',
        hint: 'Check that the credential belongs to the vault\'s tenant (the challenge names it) and has not expired.',
      })
    case 403: {
      if (isFirewall(a)) {
        const ip = callerIp(a.message)
        return new VaultError('VAULT_FIREWALL', ExitCode.Forbidden, `The firewall of ${ctx.vaultUrl} refused this machine${ip ? ` (client address ${ip})` : ''}.`, {
          ...base,
          scope: 'vault',
          hint: `Allow ${ip ?? 'this machine\'s public IP'} in the vault's networking rules, or run kvdr where it reaches the vault through its private endpoint (use --resolve <host>=<private ip> when DNS does not point there).`,
          ...(ip ? { details: { clientAddress: ip } } : {}),
        })
      }
      const action = actionOf(a.message) ?? PERMISSIONS[ctx.operation].dataAction
      const listing = isListing(ctx.operation)
      return new VaultError('VAULT_FORBIDDEN', ExitCode.Forbidden, `Permission denied: ${ctx.operation} on ${what} needs ${describePermission(ctx.operation, action)}.`, {
        ...base,
        scope: listing ? 'vault' : 'object',
        missingPermission: action,
        hint: `Grant the identity kvdr runs as ${PERMISSIONS[ctx.operation].role} (or a custom role with ${action}) on the vault, or add "${PERMISSIONS[ctx.operation].accessPolicy}" to its access policy.`,
        details: { dataAction: action, role: PERMISSIONS[ctx.operation].role, accessPolicy: PERMISSIONS[ctx.operation].accessPolicy },
      })
    }
    case 404:
      if (isListing(ctx.operation)) {
        return new VaultError('VAULT_API_NOT_FOUND', ExitCode.Failure, `${ctx.vaultUrl} answered ${ctx.operation} with ${service}: no such vault, or it does not offer this API.`, {
          ...base,
          scope: 'vault',
          hint: 'Check the vault URL (and --resolve pins). To skip an object kind the endpoint does not serve, use --kind.',
        })
      }
      return new VaultError('VAULT_NOT_FOUND', ExitCode.Failure, `${what} was not found (${service}); it was probably deleted while the run was in progress.`, { ...base, scope: 'object' })
    case 429:
      return new VaultError('VAULT_THROTTLED', ExitCode.Failure, `${ctx.operation} on ${what} was still throttled after every retry (${service}).`, {
        ...base,
        scope: 'object',
        hint: 'Another client is using the vault\'s budget; run again later, or lower kvdr\'s share with --concurrency and the budget flags.',
      })
    default:
      if (a.status !== undefined && a.status >= 500) {
        return new VaultError('VAULT_SERVER_ERROR', ExitCode.Failure, `Key Vault failed ${ctx.operation} on ${what} (${service}) after every retry: ${firstLine(a.message)}`, { ...base, scope: 'object' })
      }
      if (a.status !== undefined) {
        return new VaultError('VAULT_REQUEST_FAILED', ExitCode.Failure, `Key Vault refused ${ctx.operation} on ${what} (${service}): ${firstLine(a.message)}`, { ...base, scope: 'object' })
      }
      return new VaultError('VAULT_CALL_FAILED', ExitCode.Failure, `${ctx.operation} on ${what} failed: ${firstLine(err)}`, { ...base, scope: 'object' })
  }
}

function unreachable(code: string, ctx: CallContext, err: unknown): VaultError {
  const host = hostOf(ctx.vaultUrl)
  const base = { scope: 'vault' as const, operation: ctx.operation, cause: err, details: { networkCode: code } }
  if (DNS_CODES.has(code)) {
    return new VaultError('VAULT_UNREACHABLE', ExitCode.Unreachable, `Cannot resolve ${host} (${code}).`, {
      ...base,
      hint: `Check the vault URL. For a private endpoint without private DNS, pass --resolve ${host}=<private ip>.`,
    })
  }
  if (TLS_TRUST_CODES.has(code)) {
    return new VaultError('VAULT_TLS_UNTRUSTED', ExitCode.Unreachable, `The TLS certificate presented for ${host} is not trusted (${code}).`, {
      ...base,
      hint: 'A TLS-inspecting proxy or a private CA sits in between: pass its CA certificate with --ca-file <pem> (verification stays on).',
    })
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new VaultError('VAULT_TLS_NAME', ExitCode.Unreachable, `The TLS certificate presented for ${host} does not name that host (${code}).`, {
      ...base,
      hint: `Address the vault by its real host name and pin the address with --resolve ${host}=<ip> instead of using an IP or alias in the URL.`,
    })
  }
  return new VaultError('VAULT_UNREACHABLE', ExitCode.Unreachable, `Cannot connect to ${host} (${code}).`, {
    ...base,
    hint: 'Check network access to the vault (proxy, firewall, private endpoint) and retry.',
  })
}

/** Vault-level listings: when these fail, nothing of that kind can be backed up. */
function isListing(op: VaultOperation): boolean {
  return op.endsWith('.list') || op.endsWith('.listDeleted') || op === 'certificates.listIssuers'
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

function firstLine(v: unknown): string {
  const text = v instanceof Error ? v.message : String(v)
  return (text.split(/\r?\n/)[0] ?? '').slice(0, 300)
}
