/**
 * Token validation at the vaults, as Key Vault does it: a bearer token must be one the emulator's token service
 * signed (RS256, key in its JWKS), for the vault's tenant (issuer), for `https://vault.azure.net` (audience), and
 * valid now by the emulator clock (5 minutes of skew allowed). Anything else is 401 with the challenge, and the
 * request is never acted on. The insecure mode accepts any bearer token.
 */
import type { Clock } from '../../core/clock.js'
import { KvHttpError } from '../http/errors.js'
import { challenge, KEY_VAULT_RESOURCE, type Authenticator, type Principal, type StageRequest } from '../http/pipeline.js'
import { checkSignature, decodeJwt, type PublishedKey } from './jwt.js'
import { issuerOf } from './issuer.js'

/** Clock skew Key Vault tolerates on `nbf` and `exp`. */
const CLOCK_SKEW_SECONDS = 300

/** The bearer token of a request, or undefined when there is no usable `Authorization: Bearer <token>`. */
function bearerToken(req: StageRequest): string | undefined {
  const raw = req.headers.authorization
  const header = Array.isArray(raw) ? raw[0] : raw
  const m = header === undefined ? null : /^Bearer ([^\s]+)$/i.exec(header.trim())
  return m ? (m[1] as string) : undefined
}

/** A 401 that carries the vault's challenge, so SDK clients can authenticate again. */
function unauthorized(req: StageRequest, message: string): KvHttpError {
  const c = challenge(req.vault.tenantId)
  return new KvHttpError(401, 'Unauthorized', message, { headers: { ...c.headers } })
}

/** Validates tokens issued by the emulator's token service. */
export class EntraAuthenticator implements Authenticator {
  constructor(
    private readonly keys: () => readonly PublishedKey[],
    private readonly clock: Clock,
  ) {}

  authenticate(req: StageRequest): Principal {
    const token = bearerToken(req)
    if (token === undefined) throw challenge(req.vault.tenantId)
    const jwt = decodeJwt(token)
    if (!jwt) throw unauthorized(req, 'AKV10000: Request is missing a Bearer or PoP token.')
    const signature = checkSignature(jwt, this.keys())
    if (signature === 'unknown-key') throw unauthorized(req, `AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '${jwt.encodedHeader}'.`)
    if (signature === 'invalid') throw unauthorized(req, 'Token signature validation failed.')
    const c = jwt.claims
    if (c.aud !== KEY_VAULT_RESOURCE) throw unauthorized(req, `AKV10022: Invalid audience. Expected ${KEY_VAULT_RESOURCE}, found: ${String(c.aud)}.`)
    const expected = issuerOf(req.vault.tenantId)
    if (typeof c.iss !== 'string' || c.iss.toLowerCase() !== expected.toLowerCase()) {
      throw unauthorized(req, `AKV10032: Invalid issuer. Expected one of ${expected}, found ${String(c.iss)}.`)
    }
    const now = Math.floor(this.clock.now() / 1000)
    if (typeof c.exp !== 'number' || now >= c.exp + CLOCK_SKEW_SECONDS) throw unauthorized(req, 'Token expired.')
    if (typeof c.nbf === 'number' && now < c.nbf - CLOCK_SKEW_SECONDS) throw unauthorized(req, 'Token not yet valid.')
    if (typeof c.oid !== 'string' || typeof c.tid !== 'string') throw unauthorized(req, 'Token has no oid or tid claim.')
    return { id: c.oid, tenantId: c.tid, claims: c }
  }
}

/**
 * The insecure mode (`auth: none`): any well-formed bearer token passes without checks. When it decodes as a JWT
 * whose `oid` is a known principal, the request runs as that principal; otherwise as `fallback` (the built-in
 * administrator). Requests without a token still get the challenge.
 */
export class InsecureAuthenticator implements Authenticator {
  constructor(private readonly known: (objectId: string) => boolean, private readonly fallback: Principal) {}

  authenticate(req: StageRequest): Principal {
    const token = bearerToken(req)
    if (token === undefined) throw challenge(req.vault.tenantId)
    const claims = decodeJwt(token)?.claims ?? {}
    if (typeof claims.oid === 'string' && this.known(claims.oid.toLowerCase())) {
      return { id: claims.oid.toLowerCase(), tenantId: typeof claims.tid === 'string' ? claims.tid : req.vault.tenantId, claims }
    }
    return this.fallback
  }
}
