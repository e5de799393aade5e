/**
 * Key material in Key Vault's JSON Web Key form: the stored private form, the public JWK responses carry,
 * and JWK import with the consistency checks the service applies.
 *
 * All byte members are base64url without padding. RSA integers are minimal big-endian (no leading zero
 * bytes, as the service returns them even when a client sends them padded); EC coordinates and scalars
 * are fixed-length for their curve.
 */
import { checkPrimeSync, createECDH, createPrivateKey, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { bigIntToBytes, bytesToBigInt, CURVE_NAMES, CURVES, isOnCurve } from './crypto-ec.js'
import type { CurveName } from './crypto-ec.js'
import { keyErrors } from './crypto-errors.js'

export type { CurveName } from './crypto-ec.js'
export { CURVE_NAMES } from './crypto-ec.js'

/** The key types a vault holds (spec `JsonWebKeyType` minus `oct`/`oct-HSM`, which only Managed HSM has). */
export const KEY_TYPES = ['RSA', 'RSA-HSM', 'EC', 'EC-HSM'] as const
export type KeyType = (typeof KEY_TYPES)[number]
export type RsaKeyType = Extract<KeyType, 'RSA' | 'RSA-HSM'>
export type EcKeyType = Extract<KeyType, 'EC' | 'EC-HSM'>

/** RSA modulus sizes a vault creates and imports. */
export const RSA_KEY_SIZES = [2048, 3072, 4096] as const

/**
 * The private form of an RSA key: a private JWK without kid or key_ops. Plain JSON, safe to persist
 * in the emulator's state and backups (it is secret: never put it in a response or a log).
 */
export interface RsaKeyMaterial {
  kty: RsaKeyType
  n: string
  e: string
  d: string
  p: string
  q: string
  dp: string
  dq: string
  qi: string
}

/** The private form of an EC key (see RsaKeyMaterial). */
export interface EcKeyMaterial {
  kty: EcKeyType
  crv: CurveName
  x: string
  y: string
  d: string
}

/** A key's private material. Also a valid private JWK: importJwk accepts it and returns an equal value. */
export type KeyMaterial = RsaKeyMaterial | EcKeyMaterial

/** The JWK a Key Vault response carries: public members only, in the service's member order. */
export interface PublicJwk {
  kid: string
  kty: KeyType
  key_ops: string[]
  n?: string
  e?: string
  crv?: CurveName
  x?: string
  y?: string
}

/** True for RSA and RSA-HSM material. */
export function isRsaMaterial(material: KeyMaterial): material is RsaKeyMaterial {
  return material.kty === 'RSA' || material.kty === 'RSA-HSM'
}

/** Modulus length in bits of an RSA key. */
export function rsaModulusBits(material: RsaKeyMaterial): number {
  return bytesToBigInt(decodeBase64Url(material.n) ?? Buffer.alloc(0)).toString(2).length
}

/**
 * The public JWK for a response. Guarantees: no private member (d, p, q, dp, dq, qi) is ever copied;
 * `keyOps` is copied, not shared.
 */
export function publicJwk(material: KeyMaterial, kid: string, keyOps: readonly string[]): PublicJwk {
  const base = { kid, kty: material.kty, key_ops: [...keyOps] }
  if (isRsaMaterial(material)) return { ...base, n: material.n, e: material.e }
  return { ...base, crv: material.crv, x: material.x, y: material.y }
}

/** Encode bytes as base64url without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/

/** Decode base64url (padding tolerated). Returns undefined for anything that is not base64url. */
export function decodeBase64Url(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || !BASE64URL.test(text)) return undefined
  const body = text.replace(/=+$/, '')
  if (body.length % 4 === 1) return undefined
  return Buffer.from(body, 'base64url')
}

function minimal(value: bigint): string {
  return encodeBase64Url(bigIntToBytes(value, Math.max(1, Math.ceil(value.toString(16).length / 2))))
}

/**
 * Validate a JWK from an import request and return its private form.
 *
 * Accepts kty RSA, RSA-HSM, EC, EC-HSM with their private members (Key Vault imports key pairs, not
 * public keys); `hsm: true` (the request's `Hsm` flag) turns RSA/EC into RSA-HSM/EC-HSM. kid and
 * key_ops in the JWK are ignored (the caller validates key_ops with validateKeyOps).
 * Throws CryptoServiceError: 400 `Invalid kty value` for other key types, 400 for a malformed JWK or a
 * missing private part, 400 `RSA key is not valid` when n, e, d, p, q, dp, dq, qi do not form one key
 * (CRT members are required), 400 for unsupported RSA sizes or curves, 400 when an EC private scalar does
 * not match its public point, 400 for BYOK (`key_hsm`) imports, which the emulator does not support.
 */
export function importJwk(jwk: unknown, options: { hsm?: boolean } = {}): KeyMaterial {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw keyErrors.invalidJwk()
  const fields = jwk as Record<string, unknown>
  if (typeof fields.kty !== 'string') throw keyErrors.invalidJwk()
  if (!(KEY_TYPES as readonly string[]).includes(fields.kty)) throw keyErrors.keyTypeNotSupported(fields.kty)
  if (fields.key_hsm !== undefined) throw keyErrors.byokNotSupported()
  const given = fields.kty as KeyType
  const kty = options.hsm === true && !given.endsWith('-HSM') ? (`${given}-HSM` as KeyType) : given
  return kty === 'RSA' || kty === 'RSA-HSM' ? importRsa(kty, fields) : importEc(kty, fields)
}

function integer(fields: Record<string, unknown>, name: string, onMissing: () => Error): bigint {
  if (fields[name] === undefined) throw onMissing()
  const bytes = decodeBase64Url(fields[name])
  if (bytes === undefined || bytes.length === 0) throw keyErrors.invalidJwk()
  return bytesToBigInt(bytes)
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

function importRsa(kty: RsaKeyType, fields: Record<string, unknown>): RsaKeyMaterial {
  const need = (name: string): bigint => integer(fields, name, keyErrors.invalidJwk)
  const n = need('n')
  const e = need('e')
  const d = need('d')
  const crt = (name: string): bigint => integer(fields, name, keyErrors.invalidRsaKey)
  const [p, q, dp, dq, qi] = [crt('p'), crt('q'), crt('dp'), crt('dq'), crt('qi')]
  const bits = n.toString(2).length
  if (!(RSA_KEY_SIZES as readonly number[]).includes(bits)) throw keyErrors.unsupportedKeySize(bits, RSA_KEY_SIZES)
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n)
  const consistent =
    p > 1n && q > 1n && p * q === n && e >= 3n && e % 2n === 1n && e < n && d > 1n && d < n &&
    (e * d) % lambda === 1n && dp === d % (p - 1n) && dq === d % (q - 1n) && (qi * q) % p === 1n &&
    checkPrimeSync(p) && checkPrimeSync(q)
  if (!consistent) throw keyErrors.invalidRsaKey()
  const material: RsaKeyMaterial = {
    kty, n: minimal(n), e: minimal(e), d: minimal(d), p: minimal(p), q: minimal(q), dp: minimal(dp), dq: minimal(dq), qi: minimal(qi),
  }
  try {
    nodeKeyPair(material)
  } catch {
    throw keyErrors.invalidRsaKey()
  }
  return material
}

function importEc(kty: EcKeyType, fields: Record<string, unknown>): EcKeyMaterial {
  if (typeof fields.crv !== 'string') throw keyErrors.invalidJwk()
  if (!(CURVE_NAMES as readonly string[]).includes(fields.crv)) throw keyErrors.curveNotSupported()
  const curve = CURVES[fields.crv as CurveName]
  const need = (name: string): bigint => integer(fields, name, keyErrors.invalidJwk)
  const [x, y, d] = [need('x'), need('y'), need('d')]
  if (!isOnCurve(curve, x, y) || d < 1n || d >= curve.n) throw keyErrors.invalidJwk()
  const point = Buffer.concat([Buffer.from([0x04]), bigIntToBytes(x, curve.bytes), bigIntToBytes(y, curve.bytes)])
  const ecdh = createECDH(curve.nodeName)
  ecdh.setPrivateKey(bigIntToBytes(d, curve.bytes))
  if (!ecdh.getPublicKey().equals(point)) throw keyErrors.invalidJwk()
  return {
    kty, crv: curve.name,
    x: encodeBase64Url(bigIntToBytes(x, curve.bytes)),
    y: encodeBase64Url(bigIntToBytes(y, curve.bytes)),
    d: encodeBase64Url(bigIntToBytes(d, curve.bytes)),
  }
}

/** node:crypto key objects for stored material. Throws node's error if the material is not a key. */
export function nodeKeyPair(material: KeyMaterial): { privateKey: KeyObject; publicKey: KeyObject } {
  const jwk = isRsaMaterial(material)
    ? { kty: 'RSA', n: material.n, e: material.e, d: material.d, p: material.p, q: material.q, dp: material.dp, dq: material.dq, qi: material.qi }
    : { kty: 'EC', crv: CURVES[material.crv].nodeJwkCrv, x: material.x, y: material.y, d: material.d }
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' })
  return { privateKey, publicKey: createPublicKey(privateKey) }
}

/** The private form of a key node:crypto generated, normalized like imported keys. */
export function materialFromNodeKey(kty: KeyType, privateKey: KeyObject): KeyMaterial {
  const jwk = privateKey.export({ format: 'jwk' })
  const member = (name: string): bigint => bytesToBigInt(decodeBase64Url(jwk[name as keyof typeof jwk]) ?? Buffer.alloc(0))
  if (kty === 'RSA' || kty === 'RSA-HSM') {
    const [n, e, d, p, q, dp, dq, qi] = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'].map(member) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint]
    return { kty, n: minimal(n), e: minimal(e), d: minimal(d), p: minimal(p), q: minimal(q), dp: minimal(dp), dq: minimal(dq), qi: minimal(qi) }
  }
  const curve = Object.values(CURVES).find((c) => c.nodeJwkCrv === jwk.crv)
  if (curve === undefined) throw new Error(`node:crypto generated a key on an unexpected curve ${String(jwk.crv)}`)
  const fixed = (name: string): string => encodeBase64Url(bigIntToBytes(member(name), curve.bytes))
  return { kty, crv: curve.name, x: fixed('x'), y: fixed('y'), d: fixed('d') }
}
