/**
 * An Entra-compatible token service (the part `@azure/identity`'s ClientSecretCredential and MSAL use): OAuth2
 * client credentials at `/{tenant}/oauth2/v2.0/token` (and the v1 `/{tenant}/oauth2/token`), OpenID
 * configuration, the JWKS, and cloud instance discovery. Served over HTTPS on the emulator's shared port; the
 * authority host is `https://localhost:<shared port>`. Errors carry Entra's `AADSTS` codes and wording.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { systemClock, type Clock } from '../../core/clock.js'
import { readText, sendJson } from '../http/simple.js'
import { secretMatches, type Directory } from './directory.js'
import { publicJwkOf } from './jwt.js'
import type { TokenIssuer } from './issuer.js'

export interface TokenServiceDeps {
  directory: Directory
  issuer: TokenIssuer
  clock: Clock
  /** True for tenants the emulator knows (those of its vaults and principals). */
  knownTenant(tenantId: string): boolean
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Handle a token-service request. Returns false when the path is not one of the token service's, so the caller
 * can try other services.
 */
export async function handleTokenService(deps: TokenServiceDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'https://placeholder')
  const authority = `https://${req.headers.host ?? 'localhost'}`
  const segs = url.pathname.split('/').filter((s) => s !== '')
  const method = (req.method ?? 'GET').toUpperCase()
  const [tenant, ...rest] = segs
  const path = rest.join('/').toLowerCase()
  if (tenant === undefined) return false

  if (method === 'GET' && tenant === 'common' && path === 'discovery/instance') {
    const endpoint = url.searchParams.get('authorization_endpoint') ?? `${authority}/common/oauth2/v2.0/authorize`
    const host = safeHost(endpoint) ?? new URL(authority).host
    const t = /^https:\/\/[^/]+\/([^/]+)\//.exec(endpoint)?.[1] ?? 'common'
    sendJson(res, 200, {
      tenant_discovery_endpoint: `https://${host}/${t}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    })
    return true
  }
  if (method === 'GET' && (path === 'v2.0/.well-known/openid-configuration' || path === '.well-known/openid-configuration')) {
    sendJson(res, 200, openIdConfiguration(authority, tenant, path.startsWith('v2.0')))
    return true
  }
  if (method === 'GET' && (path === 'discovery/v2.0/keys' || path === 'discovery/keys')) {
    sendJson(res, 200, { keys: deps.issuer.keys.map(publicJwkOf) })
    return true
  }
  if (method === 'POST' && (path === 'oauth2/v2.0/token' || path === 'oauth2/token')) {
    await tokenRequest(deps, req, res, tenant, path === 'oauth2/token')
    return true
  }
  return false
}

function openIdConfiguration(authority: string, tenant: string, v2: boolean): Record<string, unknown> {
  const base = `${authority}/${tenant}`
  return {
    token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2 ? `${base}/v2.0` : `https://sts.windows.net/${tenant}/`,
    authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'oid', 'tid', 'appid', 'ver'],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  }
}

async function tokenRequest(deps: TokenServiceDeps, req: IncomingMessage, res: ServerResponse, tenant: string, v1: boolean): Promise<void> {
  const text = (await readText(req)) ?? ''
  const form = new URLSearchParams(text)
  const basic = basicCredentials(req)
  const clientId = form.get('client_id') ?? basic?.id ?? ''
  const fail = (status: number, error: string, code: number, description: string): void => {
    const now = new Date(deps.clock.now())
    const traceId = randomUUID()
    const correlationId = randomUUID()
    sendJson(res, status, {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${now.toISOString().replace('T', ' ').slice(0, 19)}Z`,
      error_codes: [code],
      timestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    })
  }

  if (!GUID.test(tenant) || !deps.knownTenant(tenant)) {
    return fail(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`)
  }
  const grant = form.get('grant_type')
  if (grant !== 'client_credentials') {
    return fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant ?? ''}'. The emulator's token service supports client_credentials; managed identities use the identity endpoint.`)
  }
  let resource: string
  if (v1) {
    resource = form.get('resource') ?? ''
  } else {
    const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s))
    if (scopes.length !== 1 || !(scopes[0] as string).endsWith('/.default')) {
      return fail(400, 'invalid_scope', 1002012, `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`)
    }
    resource = (scopes[0] as string).slice(0, -'/.default'.length)
  }
  if (resource === '') return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.")
  const principal = deps.directory.servicePrincipal(clientId, tenant)
  if (!principal || principal.clientSecret === undefined) {
    return fail(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`)
  }
  const secret = form.get('client_secret') ?? basic?.secret
  if (secret === undefined || secret === null) {
    return fail(401, 'invalid_client', 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
  }
  if (!secretMatches(secret, principal.clientSecret)) {
    return fail(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${principal.clientId}'.`)
  }
  const issued = deps.issuer.issue(principal, tenant.toLowerCase(), resource, 'secret')
  sendJson(res, 200, {
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    ...(v1 ? { expires_on: String(Math.floor(systemClock.now() / 1000) + issued.expiresIn), resource } : {}),
    access_token: issued.accessToken,
  })
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const h = req.headers.authorization
  const m = typeof h === 'string' ? /^Basic ([A-Za-z0-9+/=]+)$/.exec(h) : null
  if (!m) return undefined
  const text = Buffer.from(m[1] as string, 'base64').toString('utf8')
  const i = text.indexOf(':')
  return i === -1 ? undefined : { id: decodeURIComponent(text.slice(0, i)), secret: decodeURIComponent(text.slice(i + 1)) }
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host
  } catch {
    return undefined
  }
}
