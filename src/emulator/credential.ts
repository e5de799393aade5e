/**
 * An offline TokenCredential for an emulator started with `auth: none` (insecure mode): returns an unsigned
 * JWT-shaped bearer token for the requested scope and tenant, whose `oid` picks the principal the request runs as.
 * Vaults in the default mode refuse these tokens (they are not signed by the emulator's token service).
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth'
import { DEFAULT_TENANT_ID } from './options.js'

/** Claims the emulator credential puts in its tokens. */
export interface EmulatorTokenClaims {
  aud: string
  tid: string
  oid: string
  iat: number
  exp: number
}

const LIFETIME_S = 3600

/** A credential whose tokens name `principalId` as `oid` (default `emulator-principal`: the administrator in insecure mode). */
export function emulatorCredential(principalId = 'emulator-principal'): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? (scopes[0] ?? '') : scopes
      // The SDK's token cycler works in wall-clock time, so tokens expire by Date.now(), not the emulator clock.
      const iat = Math.floor(Date.now() / 1000)
      const claims: EmulatorTokenClaims = {
        aud: scope.replace(/\/\.default$/, ''),
        tid: options?.tenantId ?? DEFAULT_TENANT_ID,
        oid: principalId,
        iat,
        exp: iat + LIFETIME_S,
      }
      const part = (o: unknown): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url')
      return { token: `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`, expiresOnTimestamp: claims.exp * 1000, tokenType: 'Bearer' }
    },
  }
}
