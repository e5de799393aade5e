/**
 * Managed-identity endpoints over plain HTTP, as Azure hosts offer them and `@azure/identity` (through MSAL) calls
 * them: the Azure Instance Metadata Service form (`GET /metadata/identity/oauth2/token`, header `Metadata: true`;
 * reached through `AZURE_POD_IDENTITY_AUTHORITY_HOST`) and the App Service form (`GET /msi/token`, header
 * `X-IDENTITY-HEADER`; reached through `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`). Tokens are the token service's.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { systemClock } from '../../core/clock.js'
import { header, sendJson } from '../http/simple.js'
import { secretMatches, type Directory, type DirectoryPrincipal } from './directory.js'
import type { TokenIssuer } from './issuer.js'

/** Path of the IMDS token endpoint. */
const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token'
/** Path of the App Service token endpoint (the value of IDENTITY_ENDPOINT ends with it). */
export const APP_SERVICE_TOKEN_PATH = '/msi/token'

export interface ManagedIdentityDeps {
  directory: Directory
  issuer: TokenIssuer
  /** The secret App Service clients send in `X-IDENTITY-HEADER` (the value of IDENTITY_HEADER). */
  identityHeader: string
}

/** A request listener for the plain-HTTP identity port. */
export function managedIdentityListener(deps: ManagedIdentityDeps): RequestListener {
  return (req, res) => {
    req.resume()
    req.once('end', () => answer(deps, req, res))
  }
}

function answer(deps: ManagedIdentityDeps, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://placeholder')
  const q = url.searchParams
  // MSAL builds the IMDS URL from AZURE_POD_IDENTITY_AUTHORITY_HOST with a trailing slash.
  const path = url.pathname.replace(/\/+$/, '')
  if ((req.method ?? 'GET').toUpperCase() !== 'GET') return sendJson(res, 405, { error: 'invalid_request', error_description: 'Only GET is supported.' })

  if (path === IMDS_TOKEN_PATH) {
    if (header(req, 'metadata')?.toLowerCase() !== 'true') {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' })
    }
    const mi = deps.directory.managedIdentity({ clientId: q.get('client_id') ?? undefined, objectId: q.get('object_id') ?? undefined, resourceId: q.get('msi_res_id') ?? q.get('mi_res_id') ?? undefined })
    return issue(deps, res, mi, q.get('resource'), true)
  }
  if (path === APP_SERVICE_TOKEN_PATH) {
    const presented = header(req, 'x-identity-header')
    if (presented === undefined || !secretMatches(presented, deps.identityHeader)) {
      return sendJson(res, 401, { statusCode: 401, message: 'Unauthorized: the X-IDENTITY-HEADER value does not match IDENTITY_HEADER.' })
    }
    const mi = deps.directory.managedIdentity({ clientId: q.get('client_id') ?? undefined, objectId: q.get('principal_id') ?? q.get('object_id') ?? undefined, resourceId: q.get('mi_res_id') ?? undefined })
    return issue(deps, res, mi, q.get('resource'), false)
  }
  sendJson(res, 404, { error: 'not_found', error_description: `No managed-identity endpoint at ${url.pathname}. Use ${IMDS_TOKEN_PATH} or ${APP_SERVICE_TOKEN_PATH}.` })
}

function issue(deps: ManagedIdentityDeps, res: ServerResponse, mi: DirectoryPrincipal | undefined, resource: string | null, imds: boolean): void {
  if (!resource) return sendJson(res, 400, { error: 'invalid_request', error_description: 'Required query variable resource is missing' })
  if (!mi) {
    return sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'Identity not found. Configure a managed identity (systemAssigned: true, or pass its client id) in the emulator configuration.',
    })
  }
  const issued = deps.issuer.issue(mi, mi.tenantId, resource, 'managedIdentity')
  // expires_on tells the client's token cache when to refresh, in its own (wall-clock) time.
  const expiresOn = String(Math.floor(systemClock.now() / 1000) + issued.expiresIn)
  sendJson(res, 200, {
    access_token: issued.accessToken,
    client_id: mi.clientId,
    expires_in: String(issued.expiresIn),
    expires_on: expiresOn,
    ...(imds ? { ext_expires_in: String(issued.expiresIn), not_before: String(issued.issuedAt) } : {}),
    resource,
    token_type: 'Bearer',
  })
}
