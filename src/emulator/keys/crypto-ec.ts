/**
 * ECDSA over a digest the caller supplies, for the four Key Vault curves.
 *
 * Key Vault signs a digest, not a message, and node:crypto can only sign what it hashes itself, so the
 * signature arithmetic is done here with BigInt (Jacobian coordinates, random nonces). It is
 * correct but not constant-time: fine for an emulator holding test keys, not for production secrets.
 * Signatures are in the JOSE form r||s, each half as long as the curve's field.
 */
import { randomBytes } from 'node:crypto'

/** Key Vault's curve names (spec `JsonWebKeyCurveName`). */
export const CURVE_NAMES = ['P-256', 'P-384', 'P-521', 'P-256K'] as const
export type CurveName = (typeof CURVE_NAMES)[number]

/** One curve y^2 = x^3 + ax + b over GF(p), with generator (gx, gy) of prime order n. */
export interface CurveSpec {
  readonly name: CurveName
  /** The name node:crypto and OpenSSL use (`createECDH`, JWK import). */
  readonly nodeName: string
  /** The name node:crypto uses in JWKs (`crv`). */
  readonly nodeJwkCrv: string
  /** Bytes in a field element (x, y) and in each half of a signature. */
  readonly bytes: number
  /** The one signature algorithm Key Vault allows on this curve, and its digest length. */
  readonly alg: 'ES256' | 'ES384' | 'ES512' | 'ES256K'
  readonly digestBytes: number
  readonly p: bigint
  readonly a: bigint
  readonly b: bigint
  readonly n: bigint
  readonly gx: bigint
  readonly gy: bigint
}

const P256 = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn
const P384 = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn
const P521 = (1n << 521n) - 1n
const K256 = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn

/** Curve parameters from SEC 2 / FIPS 186-4; the tests check them against OpenSSL. */
export const CURVES: Readonly<Record<CurveName, CurveSpec>> = {
  'P-256': {
    name: 'P-256', nodeName: 'prime256v1', nodeJwkCrv: 'P-256', bytes: 32, alg: 'ES256', digestBytes: 32,
    p: P256, a: P256 - 3n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  },
  'P-384': {
    name: 'P-384', nodeName: 'secp384r1', nodeJwkCrv: 'P-384', bytes: 48, alg: 'ES384', digestBytes: 48,
    p: P384, a: P384 - 3n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  },
  'P-521': {
    name: 'P-521', nodeName: 'secp521r1', nodeJwkCrv: 'P-521', bytes: 66, alg: 'ES512', digestBytes: 64,
    p: P521, a: P521 - 3n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    gx: 0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
    gy: 0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
  },
  'P-256K': {
    name: 'P-256K', nodeName: 'secp256k1', nodeJwkCrv: 'secp256k1', bytes: 32, alg: 'ES256K', digestBytes: 32,
    p: K256, a: 0n, b: 7n,
    n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
    gx: 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
    gy: 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
  },
}

/** Unsigned big-endian bytes to an integer. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
}

/** An integer to unsigned big-endian bytes, left-padded to `length` (which it must fit). */
export function bigIntToBytes(value: bigint, length: number): Buffer {
  const hex = value.toString(16).padStart(length * 2, '0')
  if (hex.length > length * 2) throw new RangeError(`value does not fit in ${length} bytes`)
  return Buffer.from(hex, 'hex')
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m
  return r < 0n ? r + m : r
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n
  let b = mod(base, m)
  let e = exp
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m
    b = (b * b) % m
    e >>= 1n
  }
  return result
}

/** Inverse modulo a prime. */
function inv(a: bigint, prime: bigint): bigint {
  return modPow(a, prime - 2n, prime)
}

/** A point in Jacobian coordinates; Z = 0 is the point at infinity. */
interface Jacobian {
  x: bigint
  y: bigint
  z: bigint
}
const INFINITY: Jacobian = { x: 1n, y: 1n, z: 0n }

function double(c: CurveSpec, P: Jacobian): Jacobian {
  const { p } = c
  if (P.z === 0n || P.y === 0n) return INFINITY
  const y2 = (P.y * P.y) % p
  const s = (4n * P.x * y2) % p
  const z2 = (P.z * P.z) % p
  const m = mod(3n * P.x * P.x + c.a * z2 * z2, p)
  const x = mod(m * m - 2n * s, p)
  const y = mod(m * (s - x) - 8n * y2 * y2, p)
  return { x, y, z: (2n * P.y * P.z) % p }
}

function add(c: CurveSpec, P: Jacobian, Q: Jacobian): Jacobian {
  const { p } = c
  if (P.z === 0n) return Q
  if (Q.z === 0n) return P
  const pz2 = (P.z * P.z) % p
  const qz2 = (Q.z * Q.z) % p
  const u1 = (P.x * qz2) % p
  const u2 = (Q.x * pz2) % p
  const s1 = (P.y * qz2 * Q.z) % p
  const s2 = (Q.y * pz2 * P.z) % p
  if (u1 === u2) return s1 === s2 ? double(c, P) : INFINITY
  const h = mod(u2 - u1, p)
  const r = mod(s2 - s1, p)
  const h2 = (h * h) % p
  const h3 = (h2 * h) % p
  const x = mod(r * r - h3 - 2n * u1 * h2, p)
  const y = mod(r * (u1 * h2 - x) - s1 * h3, p)
  return { x, y, z: (h * P.z * Q.z) % p }
}

function multiply(c: CurveSpec, P: Jacobian, k: bigint): Jacobian {
  let result = INFINITY
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    result = double(c, result)
    if ((k >> i) & 1n) result = add(c, result, P)
  }
  return result
}

function affine(c: CurveSpec, P: Jacobian): { x: bigint; y: bigint } | undefined {
  if (P.z === 0n) return undefined
  const zi = inv(P.z, c.p)
  const zi2 = (zi * zi) % c.p
  return { x: (P.x * zi2) % c.p, y: (P.y * zi2 * zi) % c.p }
}

/** k·G in affine coordinates (undefined for the point at infinity, i.e. k ≡ 0 mod n). */
export function multiplyGenerator(c: CurveSpec, k: bigint): { x: bigint; y: bigint } | undefined {
  return affine(c, multiply(c, { x: c.gx, y: c.gy, z: 1n }, k))
}

/** True when (x, y) satisfies the curve equation with coordinates in range. */
export function isOnCurve(c: CurveSpec, x: bigint, y: bigint): boolean {
  if (x < 0n || x >= c.p || y < 0n || y >= c.p) return false
  return mod(y * y - (x * x * x + c.a * x + c.b), c.p) === 0n
}

/** The digest as an integer, truncated to the bit length of n (SEC 1, 4.1.3 step 5). */
function digestToInt(c: CurveSpec, digest: Uint8Array): bigint {
  const e = bytesToBigInt(digest)
  const excess = digest.length * 8 - c.n.toString(2).length
  return excess > 0 ? e >> BigInt(excess) : e
}

function randomScalar(c: CurveSpec): bigint {
  const bits = c.n.toString(2).length
  const len = Math.ceil(bits / 8)
  const extra = BigInt(len * 8 - bits)
  for (;;) {
    const k = bytesToBigInt(randomBytes(len)) >> extra
    if (k > 0n && k < c.n) return k
  }
}

/**
 * ECDSA-sign `digest` with private scalar `d` (big-endian bytes). Returns r||s. Each call uses a fresh
 * random nonce, so signing the same digest twice gives different signatures, as Key Vault's do.
 */
export function ecdsaSignDigest(c: CurveSpec, d: Uint8Array, digest: Uint8Array): Buffer {
  const priv = bytesToBigInt(d)
  const e = digestToInt(c, digest)
  for (;;) {
    const k = randomScalar(c)
    const R = multiplyGenerator(c, k)
    if (!R) continue
    const r = R.x % c.n
    if (r === 0n) continue
    const s = (inv(k, c.n) * ((e + r * priv) % c.n)) % c.n
    if (s === 0n) continue
    return Buffer.concat([bigIntToBytes(r, c.bytes), bigIntToBytes(s, c.bytes)])
  }
}

/** Verify an r||s signature over `digest` against public point (x, y). Malformed signatures are false. */
export function ecdsaVerifyDigest(c: CurveSpec, x: Uint8Array, y: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 2 * c.bytes) return false
  const r = bytesToBigInt(signature.subarray(0, c.bytes))
  const s = bytesToBigInt(signature.subarray(c.bytes))
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false
  const w = inv(s, c.n)
  const u1 = (digestToInt(c, digest) * w) % c.n
  const u2 = (r * w) % c.n
  const G: Jacobian = { x: c.gx, y: c.gy, z: 1n }
  const Q: Jacobian = { x: bytesToBigInt(x), y: bytesToBigInt(y), z: 1n }
  const X = affine(c, add(c, multiply(c, G, u1), multiply(c, Q, u2)))
  return X !== undefined && X.x % c.n === r
}
