/** Compact JWS (RS256) for the emulator's token service: sign, decode and verify against a key set. */
import { createHash, sign, verify, type KeyObject } from 'node:crypto'

/** The JOSE header Entra puts on access tokens. */
export interface JwtHeader {
  typ?: string
  alg?: string
  kid?: string
  x5t?: string
}

/** A token split into its parts. Nothing here is verified. */
export interface DecodedJwt {
  header: JwtHeader
  claims: Record<string, unknown>
  /** `base64url(header).base64url(claims)`: the bytes the signature covers. */
  signingInput: string
  signature: Buffer
  /** The encoded header as received (Key Vault quotes it in AKV10046). */
  encodedHeader: string
}

/** A public key of the token service as published in its JWKS. */
export interface PublishedKey {
  kid: string
  key: KeyObject
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url')

/** Sign `claims` with RS256 under `kid`. */
export function signJwt(claims: Record<string, unknown>, privateKey: KeyObject, kid: string): string {
  const input = `${b64({ typ: 'JWT', alg: 'RS256', x5t: kid, kid })}.${b64(claims)}`
  return `${input}.${sign('sha256', Buffer.from(input, 'ascii'), privateKey).toString('base64url')}`
}

/** Split a compact JWS. Returns undefined when it is not three base64url parts with JSON header and claims. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined
  const [h, c, s] = parts as [string, string, string]
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown
    if (!isObject(header) || !isObject(claims)) return undefined
    return { header: header as JwtHeader, claims, signingInput: `${h}.${c}`, signature: Buffer.from(s, 'base64url'), encodedHeader: h }
  } catch {
    return undefined
  }
}

/** Result of checking a decoded token's signature against the published keys. */
export type SignatureCheck = 'valid' | 'unknown-key' | 'invalid'

/** RS256 verification with the key named by `kid`. */
export function checkSignature(jwt: DecodedJwt, keys: readonly PublishedKey[]): SignatureCheck {
  const key = keys.find((k) => k.kid === jwt.header.kid)
  if (!key) return 'unknown-key'
  if (jwt.header.alg !== 'RS256') return 'invalid'
  return verify('sha256', Buffer.from(jwt.signingInput, 'ascii'), key.key, jwt.signature) ? 'valid' : 'invalid'
}

/** Key id of a public key: base64url SHA-1 of its SubjectPublicKeyInfo (the shape of Entra's `kid`/`x5t`). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url')
}

/** The JWK a key set publishes for an RSA public key. */
export function publicJwkOf(key: PublishedKey): Record<string, string> {
  const jwk = key.key.export({ format: 'jwk' }) as { n: string; e: string }
  return { kty: 'RSA', use: 'sig', kid: key.kid, x5t: key.kid, n: jwk.n, e: jwk.e }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
