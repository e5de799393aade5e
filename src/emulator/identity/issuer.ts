/**
 * The token issuer: signs Entra-shaped v1 access tokens (RS256, key in the JWKS) with times from the emulator
 * clock. The signing key is created once per data directory and kept there, so tokens and key sets survive
 * restarts like the rest of the emulator's world.
 */
import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, randomBytes, type KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Clock } from '../../core/clock.js'
import { readOrCreate } from '../data-dir.js'
import type { DirectoryPrincipal } from './directory.js'
import { keyIdOf, signJwt, type PublishedKey } from './jwt.js'

const generateKeyPair = promisify(generateKeyPairCb)

/** The issuer Key Vault expects in access tokens of `tenantId` (v1 tokens, as Key Vault receives them). */
export function issuerOf(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`
}

/** The key the token service signs with. */
export interface SigningKey {
  privateKey: KeyObject
  published: PublishedKey
}

/** Load `<dataDir>/token-signing-key.pem`, creating it (RSA-2048) on first use. */
export async function loadSigningKey(dataDir: string): Promise<SigningKey> {
  const pem = await readOrCreate(join(dataDir, 'token-signing-key.pem'), async () => {
    const { privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 })
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  })
  const privateKey = createPrivateKey(pem)
  const publicKey = createPublicKey(privateKey)
  return { privateKey, published: { kid: keyIdOf(publicKey), key: publicKey } }
}

/** An issued token and its lifetime in emulator time. */
export interface IssuedToken {
  accessToken: string
  /** Unix seconds (emulator clock). */
  issuedAt: number
  expiresOn: number
  /** Seconds. */
  expiresIn: number
}

export class TokenIssuer {
  constructor(
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly lifetimeSeconds: number,
  ) {}

  /** The keys relying parties (the vaults) verify against. */
  get keys(): PublishedKey[] {
    return [this.key.published]
  }

  /**
   * A token for `principal` in `tenantId` with audience `resource` (`https://vault.azure.net` for Key Vault).
   * `via` records how the token was obtained (client secret or managed identity), as Entra's `appidacr` does.
   */
  issue(principal: DirectoryPrincipal, tenantId: string, resource: string, via: 'secret' | 'managedIdentity'): IssuedToken {
    const iat = Math.floor(this.clock.now() / 1000)
    const exp = iat + this.lifetimeSeconds
    const iss = issuerOf(tenantId)
    const claims: Record<string, unknown> = {
      aud: resource,
      iss,
      iat,
      nbf: iat,
      exp,
      aio: randomBytes(24).toString('base64'),
      appid: principal.clientId,
      appidacr: via === 'secret' ? '1' : '2',
      idp: iss,
      oid: principal.objectId,
      sub: principal.objectId,
      tid: tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      ...(via === 'managedIdentity' ? { xms_mirid: `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/kvdr-emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${principal.name}` } : {}),
    }
    return { accessToken: signJwt(claims, this.key.privateKey, this.key.published.kid), issuedAt: iat, expiresOn: exp, expiresIn: this.lifetimeSeconds }
  }
}
