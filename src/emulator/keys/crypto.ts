/**
 * The emulator's key library: generate, import and rotate Key Vault key material, and run Key Vault's key
 * operations (encrypt, decrypt, wrapKey, unwrapKey, sign, verify) with real node:crypto cryptography.
 *
 * Pure: no HTTP, no vault state. The Keys routes decode request bodies, call these functions and turn a
 * thrown CryptoServiceError into the wire error with `toWire()` and its `status`. Results are real: what
 * wrapKey returns unwraps with the private key in any standard tool, signatures verify with the public
 * key (RS*: PKCS#1 v1.5, PS*: PSS with salt length = digest length, ES*: JOSE r||s).
 */
import { generateKeyPair } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { CURVES, ecdsaSignDigest, ecdsaVerifyDigest } from './crypto-ec.js'
import { keyErrors } from './crypto-errors.js'
import { maxPlaintextBytes, RSA_ENCRYPTION, rsaDecrypt, rsaEncrypt, rsaSignDigest, rsaVerifyDigest } from './crypto-rsa.js'
import type { RsaEncryptionAlgorithm, RsaKeyPair } from './crypto-rsa.js'
import { CURVE_NAMES, decodeBase64Url, isRsaMaterial, KEY_TYPES, materialFromNodeKey, nodeKeyPair, RSA_KEY_SIZES, rsaModulusBits } from './jwk.js'
import type { CurveName, EcKeyMaterial, KeyMaterial, KeyType } from './jwk.js'

export { CryptoServiceError } from './crypto-errors.js'
export type { KeyVaultErrorBody } from './crypto-errors.js'
export { CURVE_NAMES, decodeBase64Url, encodeBase64Url, importJwk, KEY_TYPES, publicJwk, RSA_KEY_SIZES } from './jwk.js'
export type { CurveName, EcKeyMaterial, KeyMaterial, KeyType, PublicJwk, RsaKeyMaterial } from './jwk.js'

/** A create request's key parameters, as received (unvalidated). */
export interface GenerateSpec {
  kty: unknown
  /** RSA only; default 2048. */
  keySize?: unknown
  /** EC only; default P-256. */
  crv?: unknown
  /** Accepted and ignored: a vault always uses 65537 (only Managed HSM honours public_exponent). */
  publicExponent?: unknown
}

/** Type, size and curve of a key, e.g. to report `key_size` or to rotate to the same shape. */
export interface KeyShape {
  kty: KeyType
  keySize?: number
  crv?: CurveName
}

/** node:crypto's key generation, on its thread pool. */
function generateRsa(modulusLength: number): Promise<KeyObject> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength, publicExponent: 0x10001 }, (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey))),
  )
}
function generateEc(namedCurve: string): Promise<KeyObject> {
  return new Promise((resolve, reject) =>
    generateKeyPair('ec', { namedCurve }, (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey))),
  )
}

/**
 * Generate new key material. Runs off the event loop (RSA 4096 takes seconds).
 * Throws CryptoServiceError 400: `Invalid kty value` (oct, oct-HSM, anything else), `Unsupported key size`
 * (RSA other than 2048/3072/4096), `KeyCurveNotSupported` (a curve other than P-256, P-384, P-521, P-256K).
 */
export async function generateKey(spec: GenerateSpec): Promise<KeyMaterial> {
  const { kty } = spec
  if (typeof kty !== 'string' || !(KEY_TYPES as readonly string[]).includes(kty)) throw keyErrors.keyTypeNotSupported(kty)
  if (kty === 'RSA' || kty === 'RSA-HSM') {
    const size = spec.keySize ?? 2048
    if (!(RSA_KEY_SIZES as readonly unknown[]).includes(size)) throw keyErrors.unsupportedKeySize(size, RSA_KEY_SIZES)
    return materialFromNodeKey(kty, await generateRsa(size as number))
  }
  const crv = spec.crv ?? 'P-256'
  if (!(CURVE_NAMES as readonly unknown[]).includes(crv)) throw keyErrors.curveNotSupported()
  return materialFromNodeKey(kty as KeyType, await generateEc(CURVES[crv as CurveName].nodeName))
}

/** Type and RSA size or EC curve of stored material. */
export function describeKey(material: KeyMaterial): KeyShape {
  return isRsaMaterial(material) ? { kty: material.kty, keySize: rsaModulusBits(material) } : { kty: material.kty, crv: material.crv }
}

/** New material for a rotated version: same kty and the same RSA size or EC curve as `current`. */
export function rotateKeyMaterial(current: KeyMaterial): Promise<KeyMaterial> {
  const shape = describeKey(current)
  return generateKey({ kty: shape.kty, keySize: shape.keySize, crv: shape.crv })
}

const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import'] as const
const EC_OPS = ['sign', 'verify'] as const

/** The key_ops a key of this type may carry (`import` marks an RSA key-exchange key for BYOK). */
export function supportedKeyOps(kty: KeyType): readonly string[] {
  return kty === 'RSA' || kty === 'RSA-HSM' ? RSA_OPS : EC_OPS
}

/** The key_ops the service gives a new key when the request names none. */
export function defaultKeyOps(kty: KeyType): string[] {
  return kty === 'RSA' || kty === 'RSA-HSM' ? RSA_OPS.filter((op) => op !== 'import') : [...EC_OPS]
}

/**
 * Check requested key_ops against the key type and return them as given.
 * Throws CryptoServiceError 400 `Unsupported key operation(s): "encrypt", "decrypt". Supported values are
 * "sign", "verify".` naming every rejected entry (non-strings included).
 */
export function validateKeyOps(kty: KeyType, ops: unknown): string[] {
  const supported = supportedKeyOps(kty)
  const named = (op: unknown): string => (typeof op === 'string' ? op : JSON.stringify(op) ?? String(op))
  const rejected = Array.isArray(ops) ? ops.filter((op) => typeof op !== 'string' || !supported.includes(op)).map(named) : [named(ops)]
  if (rejected.length > 0) throw keyErrors.unsupportedKeyOps(rejected, supported)
  return ops as string[]
}

/** What an operation needs to know about a key version. */
export interface UsableKey {
  /** The version's full key id, used in error messages. */
  kid: string
  /** The version's key_ops; an operation not listed is refused with 403, as Key Vault does. */
  keyOps: readonly string[]
  material: KeyMaterial
}

const ENCRYPTION_ALGORITHMS = Object.keys(RSA_ENCRYPTION) as RsaEncryptionAlgorithm[]

type SignatureSpec =
  | { family: 'RSA'; scheme: 'pkcs1' | 'pss'; hash: 'sha256' | 'sha384' | 'sha512'; digestBytes: number }
  | { family: 'EC'; curve: CurveName; digestBytes: number }

const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureSpec>> = {
  RS256: { family: 'RSA', scheme: 'pkcs1', hash: 'sha256', digestBytes: 32 },
  RS384: { family: 'RSA', scheme: 'pkcs1', hash: 'sha384', digestBytes: 48 },
  RS512: { family: 'RSA', scheme: 'pkcs1', hash: 'sha512', digestBytes: 64 },
  PS256: { family: 'RSA', scheme: 'pss', hash: 'sha256', digestBytes: 32 },
  PS384: { family: 'RSA', scheme: 'pss', hash: 'sha384', digestBytes: 48 },
  PS512: { family: 'RSA', scheme: 'pss', hash: 'sha512', digestBytes: 64 },
  ...Object.fromEntries(CURVE_NAMES.map((crv) => [CURVES[crv].alg, { family: 'EC', curve: crv, digestBytes: CURVES[crv].digestBytes }])),
}

function permit(key: UsableKey, operation: string): void {
  if (!key.keyOps.includes(operation)) throw keyErrors.operationNotPermitted(operation)
}

function rsaKey(key: UsableKey, alg: string): RsaKeyPair {
  if (!isRsaMaterial(key.material)) throw keyErrors.keyTypeMismatch(key.kid, key.material.kty, alg, 'RSA')
  return { ...nodeKeyPair(key.material), bits: rsaModulusBits(key.material) }
}

function encryptionAlgorithm(operation: string, alg: unknown): RsaEncryptionAlgorithm {
  if (typeof alg !== 'string' || !(ENCRYPTION_ALGORITHMS as string[]).includes(alg)) throw keyErrors.unknownAlgorithm(operation, alg, ENCRYPTION_ALGORITHMS)
  return alg as RsaEncryptionAlgorithm
}

function seal(operation: 'encrypt' | 'wrapKey', key: UsableKey, alg: unknown, plaintext: Uint8Array): Buffer {
  const algorithm = encryptionAlgorithm(operation, alg)
  permit(key, operation)
  const pair = rsaKey(key, algorithm)
  const max = maxPlaintextBytes(algorithm, pair.bits)
  if (plaintext.length > max) throw keyErrors.plaintextTooLong(plaintext.length, algorithm, pair.bits, max)
  return rsaEncrypt(pair, algorithm, plaintext)
}

function open(operation: 'decrypt' | 'unwrapKey', key: UsableKey, alg: unknown, ciphertext: Uint8Array): Buffer {
  const algorithm = encryptionAlgorithm(operation, alg)
  permit(key, operation)
  const pair = rsaKey(key, algorithm)
  const length = Math.ceil(pair.bits / 8)
  if (ciphertext.length !== length) throw keyErrors.ciphertextLength(ciphertext.length, algorithm, length)
  const plaintext = rsaDecrypt(pair, algorithm, ciphertext)
  if (plaintext === undefined) throw keyErrors.decryptionFailed()
  return plaintext
}

/**
 * Encrypt with RSA1_5, RSA-OAEP or RSA-OAEP-256 (one block: at most k-11, k-42 or k-66 bytes for a
 * k-byte modulus). Throws CryptoServiceError: 403 without `encrypt` in key_ops, 400 for another algorithm,
 * an EC key or a plaintext too long.
 */
export function encrypt(key: UsableKey, alg: unknown, plaintext: Uint8Array): Buffer {
  return seal('encrypt', key, alg, plaintext)
}

/** Decrypt what encrypt (or any standard RSAES implementation) produced. Throws like encrypt, 403 without
 * `decrypt`, and 400 for a ciphertext of the wrong length or one that does not decrypt under this key. */
export function decrypt(key: UsableKey, alg: unknown, ciphertext: Uint8Array): Buffer {
  return open('decrypt', key, alg, ciphertext)
}

/** Wrap a key: the same RSAES algorithms and limits as encrypt, gated by `wrapKey` in key_ops. */
export function wrapKey(key: UsableKey, alg: unknown, keyBytes: Uint8Array): Buffer {
  return seal('wrapKey', key, alg, keyBytes)
}

/** Unwrap a key: the same as decrypt, gated by `unwrapKey` in key_ops. */
export function unwrapKey(key: UsableKey, alg: unknown, wrapped: Uint8Array): Buffer {
  return open('unwrapKey', key, alg, wrapped)
}

function signatureAlgorithm(operation: 'sign' | 'verify', key: UsableKey, alg: unknown, digest: Uint8Array): SignatureSpec {
  const spec = typeof alg === 'string' && Object.hasOwn(SIGNATURE_ALGORITHMS, alg) ? SIGNATURE_ALGORITHMS[alg] : undefined
  if (spec === undefined) throw keyErrors.unknownAlgorithm(operation, alg, Object.keys(SIGNATURE_ALGORITHMS))
  permit(key, operation)
  const name = alg as string
  const { material } = key
  if (spec.family === 'RSA' && !isRsaMaterial(material)) throw keyErrors.keyTypeMismatch(key.kid, material.kty, name, 'RSA')
  if (spec.family === 'EC') {
    if (isRsaMaterial(material)) throw keyErrors.keyTypeMismatch(key.kid, material.kty, name, 'EC')
    if (material.crv !== spec.curve) throw keyErrors.curveMismatch(key.kid, material.crv, name, spec.curve)
  }
  if (digest.length !== spec.digestBytes) throw keyErrors.invalidDigestLength(digest.length, name, spec.digestBytes)
  return spec
}

const ecBytes = (material: EcKeyMaterial, member: 'x' | 'y' | 'd'): Buffer => decodeBase64Url(material[member]) ?? Buffer.alloc(0)

/**
 * Sign a digest the caller computed (Key Vault never hashes): RS256/384/512, PS256/384/512 on RSA keys,
 * ES256 (P-256), ES384 (P-384), ES512 (P-521), ES256K (P-256K) on EC keys; ES* signatures are r||s.
 * Throws CryptoServiceError: 403 without `sign` in key_ops; 400 for an unknown algorithm, the wrong key
 * type or curve, or a digest whose length is not the algorithm's hash length.
 */
export function sign(key: UsableKey, alg: unknown, digest: Uint8Array): Buffer {
  const spec = signatureAlgorithm('sign', key, alg, digest)
  if (spec.family === 'RSA') return rsaSignDigest(rsaKey(key, alg as string), spec.scheme, spec.hash, digest)
  return ecdsaSignDigest(CURVES[spec.curve], ecBytes(key.material as EcKeyMaterial, 'd'), digest)
}

/**
 * Check a signature over a digest (same algorithms as sign). A wrong, tampered or malformed signature is
 * `false`, not an error. Throws CryptoServiceError like sign, with `verify` as the required key_op.
 */
export function verify(key: UsableKey, alg: unknown, digest: Uint8Array, signature: Uint8Array): boolean {
  const spec = signatureAlgorithm('verify', key, alg, digest)
  if (spec.family === 'RSA') return rsaVerifyDigest(rsaKey(key, alg as string), spec.scheme, spec.hash, digest, signature)
  const material = key.material as EcKeyMaterial
  return ecdsaVerifyDigest(CURVES[spec.curve], ecBytes(material, 'x'), ecBytes(material, 'y'), digest, signature)
}
