/**
 * The credential an emulator handle gives out: OAuth2 client credentials against the emulator's own token service
 * (over HTTPS, like ClientSecretCredential), with tokens cached by the EMULATOR clock. @azure/identity caches by
 * wall-clock time, so after `clock.advance(90 days)` its cached token is expired for the vaults; this credential
 * notices and fetches a new one. It tells callers (the SDK's token cycler) that each token is about to expire, so
 * they ask again on every request and always get a token that is valid by the emulator clock.
 */
import { request, type Agent } from 'node:https'
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth'
import { systemClock, type Clock } from '../../core/clock.js'
import { decodeJwt } from './jwt.js'

export interface EmulatorClientCredentialOptions {
  /** `https://localhost:<shared port>`: the emulator's token service. */
  authority: string
  clientId: string
  clientSecret: string
  /** Tenant used when the caller names none (the SDK names the vault's tenant from its challenge). */
  tenantId: string
  /** Trusts the emulator CA. */
  agent: Agent
  clock: Clock
}

/** Tokens are renewed this long before they expire by the emulator clock. */
const RENEW_BEFORE_S = 300

/** A TokenCredential for one service principal of the emulator. Throws on token-service errors with Entra's message. */
export class EmulatorClientCredential implements TokenCredential {
  private readonly cache = new Map<string, { token: string; nbf: number; exp: number }>()
  private readonly inFlight = new Map<string, Promise<string>>()

  constructor(private readonly o: EmulatorClientCredentialOptions) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const scope = (Array.isArray(scopes) ? scopes[0] : scopes) ?? ''
    const tenant = options?.tenantId ?? this.o.tenantId
    const key = `${tenant}|${scope}`
    const now = Math.floor(this.o.clock.now() / 1000)
    let hit = this.cache.get(key)
    if (!hit || now < hit.nbf || now >= hit.exp - RENEW_BEFORE_S) {
      // Concurrent callers share one token request.
      let pending = this.inFlight.get(key)
      if (!pending) {
        pending = this.fetchToken(tenant, scope).finally(() => this.inFlight.delete(key))
        this.inFlight.set(key, pending)
      }
      const token = await pending
      const claims = decodeJwt(token)?.claims ?? {}
      hit = { token, nbf: Number(claims.nbf ?? now), exp: Number(claims.exp ?? now) }
      this.cache.set(key, hit)
    }
    return { token: hit.token, tokenType: 'Bearer', expiresOnTimestamp: systemClock.now() + 500 }
  }

  private fetchToken(tenant: string, scope: string): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.o.clientId, client_secret: this.o.clientSecret, scope }).toString()
    const url = new URL(`/${encodeURIComponent(tenant)}/oauth2/v2.0/token`, this.o.authority)
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent: this.o.agent, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          let parsed: { access_token?: string; error_description?: string } = {}
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed
          } catch {
            // reported below
          }
          if (res.statusCode === 200 && typeof parsed.access_token === 'string') resolve(parsed.access_token)
          else reject(new Error(`The emulator's token service refused the client credentials of ${this.o.clientId} (HTTP ${res.statusCode}): ${parsed.error_description ?? 'no error description'}`))
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  }
}
