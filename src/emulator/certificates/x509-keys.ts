/** Key pairs for certificates: the accepted key input forms, key shape (kty/size/curve), comparison and signing. */
import { createHash, createPrivateKey, createPublicKey, KeyObject, sign as nodeSign, type JsonWebKey } from 'node:crypto'
import { decode, items, nul, oid, readBitStringBytes, seq, at } from './x509-der.js'
import { OID } from './x509-oids.js'

/** Key Vault's names for the EC curves certificates may use. */
export type CurveName = 'P-256' | 'P-384' | 'P-521' | 'P-256K'

/**
 * A certificate's key pair, as the key library hands it over: a node:crypto KeyObject (private, or public
 * where only the public half is needed), a PEM string (PKCS#8, PKCS#1 or SEC1, unencrypted), or a JWK
 * (Key Vault's form, `kty` RSA/RSA-HSM/EC/EC-HSM, `crv` P-256/P-384/P-521/P-256K, or node's own form).
 */
export type CertificateKeyInput = KeyObject | string | JsonWebKey

/** The key_props a key pair implies. */
export interface KeyShape {
  kty: 'RSA' | 'EC'
  key_size: number
  crv?: CurveName
}

const CURVES: Record<string, { crv: CurveName; bits: number; oid: string; hash: 'sha256' | 'sha384' | 'sha512'; sigOid: string }> = {
  prime256v1: { crv: 'P-256', bits: 256, oid: OID.prime256v1, hash: 'sha256', sigOid: OID.ecdsaWithSHA256 },
  secp384r1: { crv: 'P-384', bits: 384, oid: OID.secp384r1, hash: 'sha384', sigOid: OID.ecdsaWithSHA384 },
  secp521r1: { crv: 'P-521', bits: 521, oid: OID.secp521r1, hash: 'sha512', sigOid: OID.ecdsaWithSHA512 },
  secp256k1: { crv: 'P-256K', bits: 256, oid: OID.secp256k1, hash: 'sha256', sigOid: OID.ecdsaWithSHA256 },
}

/** node:crypto's curve name for a Key Vault curve name. */
export const NODE_CURVE: Record<CurveName, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1', 'P-256K': 'secp256k1' }

const JWK_CRV: Record<string, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', 'P-256K': 'secp256k1', SECP256K1: 'secp256k1' }

function jwkForNode(jwk: JsonWebKey): JsonWebKey {
  const kty = String(jwk.kty ?? '').replace(/-HSM$/, '')
  const pick = (names: string[]): JsonWebKey => Object.fromEntries(names.filter((n) => jwk[n] !== undefined).map((n) => [n, jwk[n]]))
  if (kty === 'RSA') return { kty, ...pick(['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi']) }
  if (kty === 'EC') {
    const crv = JWK_CRV[String(jwk.crv ?? '').toUpperCase()] ?? String(jwk.crv)
    return { kty, crv, ...pick(['x', 'y', 'd']) }
  }
  throw new TypeError(`certificate keys must be RSA or EC, not ${String(jwk.kty)}`)
}

/** A private KeyObject from any accepted form. Throws TypeError when it is not an RSA/EC private key. */
export function toPrivateKey(input: CertificateKeyInput): KeyObject {
  const key =
    input instanceof KeyObject
      ? input
      : typeof input === 'string'
        ? createPrivateKey(input)
        : createPrivateKey({ key: jwkForNode(input), format: 'jwk' })
  if (key.type !== 'private') throw new TypeError('a private key is needed to sign')
  describeKey(key)
  return key
}

/** The public half of any accepted form (a public KeyObject, PEM or JWK is accepted too). */
export function toPublicKey(input: CertificateKeyInput): KeyObject {
  if (input instanceof KeyObject) return input.type === 'public' ? input : createPublicKey(input)
  if (typeof input === 'string') return createPublicKey(input)
  return createPublicKey({ key: jwkForNode(input), format: 'jwk' })
}

/** kty / key_size / crv of a key pair. Throws TypeError for anything but RSA or a supported EC curve. */
export function describeKey(key: KeyObject): KeyShape {
  const details = key.asymmetricKeyDetails ?? {}
  if (key.asymmetricKeyType === 'rsa') return { kty: 'RSA', key_size: details.modulusLength ?? 0 }
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[details.namedCurve ?? '']
    if (curve) return { kty: 'EC', key_size: curve.bits, crv: curve.crv }
    throw new TypeError(`unsupported EC curve ${String(details.namedCurve)}`)
  }
  throw new TypeError(`certificate keys must be RSA or EC, not ${String(key.asymmetricKeyType)}`)
}

/** DER SubjectPublicKeyInfo of a key pair (either half). */
export function spkiDer(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' })
}

/** True when both keys have the same public key. */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  return spkiDer(a).equals(spkiDer(b))
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (what Key Vault puts in SKI and AKI). */
export function keyIdentifier(key: KeyObject): Buffer {
  const spki = items(decode(spkiDer(key)))
  return createHash('sha1').update(readBitStringBytes(at(spki, 1))).digest()
}

/** The signature algorithm Key Vault uses for a key: sha256WithRSA, or ECDSA with the curve's hash. */
function signatureScheme(key: KeyObject): { algorithm: Buffer; hash: string } {
  const shape = describeKey(key)
  if (shape.kty === 'RSA') return { algorithm: seq(oid(OID.sha256WithRSAEncryption), nul()), hash: 'sha256' }
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] as (typeof CURVES)[string]
  return { algorithm: seq(oid(curve.sigOid)), hash: curve.hash }
}

/** AlgorithmIdentifier of the signature `signWith` makes with this key. */
export function signatureAlgorithm(key: KeyObject): Buffer {
  return signatureScheme(key).algorithm
}

/** Sign DER `tbs` with `key` (PKCS#1 v1.5 or DER-encoded ECDSA). Synchronous. */
export function signWith(key: KeyObject, tbs: Uint8Array): Buffer {
  return nodeSign(signatureScheme(key).hash, tbs, key)
}
