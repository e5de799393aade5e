// The emulator's key library, checked against independent implementations: node:crypto (OpenSSL),
// node-forge for RSAES-PKCS1-v1_5 decryption (node refuses it since CVE-2023-46809), and the Azure SDK's
// own local cryptography provider.
import { constants, createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import forge from 'node-forge'
import { CryptographyClient } from '@azure/keyvault-keys'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  CryptoServiceError, decrypt, defaultKeyOps, describeKey, encrypt, generateKey, importJwk, publicJwk, rotateKeyMaterial, sign,
  unwrapKey, validateKeyOps, verify, wrapKey,
} from '../../src/emulator/keys/crypto.js'
import type { CurveName, KeyMaterial, PublicJwk, UsableKey } from '../../src/emulator/keys/crypto.js'
import { bigIntToBytes, CURVES, multiplyGenerator } from '../../src/emulator/keys/crypto-ec.js'

const NODE_CURVE: Record<CurveName, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', 'P-256K': 'secp256k1' }
const HASH = { 256: 'sha256', 384: 'sha384', 512: 'sha512' } as const
const B64URL = /^[A-Za-z0-9_-]+$/

/** A Key Vault JWK as node:crypto reads JWKs (no -HSM suffix, secp256k1 under its OpenSSL name). */
function nodeJwk(jwk: PublicJwk | KeyMaterial): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(jwk)) if (typeof v === 'string' && k !== 'kid') out[k] = v
  out.kty = out.kty!.replace('-HSM', '')
  if (out.crv) out.crv = NODE_CURVE[out.crv as CurveName]
  return out
}
const nodePublic = (jwk: PublicJwk): KeyObject => createPublicKey({ key: nodeJwk(jwk), format: 'jwk' })
const nodePrivate = (m: KeyMaterial): KeyObject => createPrivateKey({ key: nodeJwk(m), format: 'jwk' })

function caught(fn: () => unknown): CryptoServiceError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoServiceError)
    return e as CryptoServiceError
  }
  throw new Error('expected a CryptoServiceError, nothing was thrown')
}
async function caughtAsync(promise: Promise<unknown>): Promise<CryptoServiceError> {
  const e = await promise.then(() => undefined, (err: unknown) => err)
  expect(e).toBeInstanceOf(CryptoServiceError)
  return e as CryptoServiceError
}

const KID = 'https://emulated.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef'
const keys: Record<string, KeyMaterial> = {}
const usable = (m: KeyMaterial, keyOps: readonly string[] = defaultKeyOps(m.kty)): UsableKey => ({ kid: KID, keyOps, material: m })

beforeAll(async () => {
  // Generated concurrently on node's thread pool; one key per RSA size (4096 is slow on shared cores).
  const specs = {
    rsa2048: { kty: 'RSA' }, // default size
    rsa3072hsm: { kty: 'RSA-HSM', keySize: 3072, publicExponent: 3 }, // a vault ignores public_exponent
    rsa4096: { kty: 'RSA', keySize: 4096 },
    p256: { kty: 'EC' }, // default curve
    p384hsm: { kty: 'EC-HSM', crv: 'P-384' },
    p521: { kty: 'EC', crv: 'P-521' },
    p256k: { kty: 'EC', crv: 'P-256K' },
  }
  const made = await Promise.all(Object.entries(specs).map(async ([name, spec]) => [name, await generateKey(spec)] as const))
  for (const [name, m] of made) keys[name] = m
})

describe('key generation and the public JWK', () => {
  const shapes = [
    ['rsa2048', 'RSA', 2048], ['rsa3072hsm', 'RSA-HSM', 3072], ['rsa4096', 'RSA', 4096],
    ['p256', 'EC', 'P-256'], ['p384hsm', 'EC-HSM', 'P-384'], ['p521', 'EC', 'P-521'], ['p256k', 'EC', 'P-256K'],
  ] as const

  it.each(shapes)('%s: kty %s, size or curve %s, public JWK node:crypto reads and that matches the private key', (name, kty, sizeOrCurve) => {
    const m = keys[name]!
    expect(m.kty).toBe(kty)
    const jwk = publicJwk(m, KID, defaultKeyOps(m.kty))
    const pub = nodePublic(jwk)
    // node derives the public key from the stored private form on its own; both must agree.
    const derived = createPublicKey(nodePrivate(m)).export({ format: 'jwk' })
    if (typeof sizeOrCurve === 'number') {
      expect(Object.keys(jwk)).toEqual(['kid', 'kty', 'key_ops', 'n', 'e'])
      expect(jwk.e).toBe('AQAB')
      expect(pub.asymmetricKeyDetails?.modulusLength).toBe(sizeOrCurve)
      expect(describeKey(m)).toEqual({ kty, keySize: sizeOrCurve })
      expect([derived.n, derived.e]).toEqual([jwk.n, jwk.e])
      expect(jwk.key_ops).toEqual(['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'])
    } else {
      expect(Object.keys(jwk)).toEqual(['kid', 'kty', 'key_ops', 'crv', 'x', 'y'])
      expect(jwk.crv).toBe(sizeOrCurve)
      expect(Buffer.from(jwk.x!, 'base64url')).toHaveLength(CURVES[sizeOrCurve].bytes)
      expect(Buffer.from(jwk.y!, 'base64url')).toHaveLength(CURVES[sizeOrCurve].bytes)
      expect(describeKey(m)).toEqual({ kty, crv: sizeOrCurve })
      expect([derived.x, derived.y]).toEqual([jwk.x, jwk.y])
      expect(jwk.key_ops).toEqual(['sign', 'verify'])
    }
    expect(jwk.kid).toBe(KID)
    for (const [k, v] of Object.entries(jwk)) if (typeof v === 'string' && !['kid', 'kty', 'crv'].includes(k)) expect(v).toMatch(B64URL)
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(secret)
    expect(JSON.stringify(jwk)).not.toContain((m as { d: string }).d)
  })

  it('the private form is plain JSON that survives persistence and re-validates as an import', () => {
    for (const m of Object.values(keys)) {
      const restored = JSON.parse(JSON.stringify(m)) as unknown
      expect(restored).toEqual(m)
      expect(importJwk(restored)).toEqual(m)
    }
  })

  it('publicJwk copies key_ops instead of sharing the caller array', () => {
    const ops = ['sign']
    const jwk = publicJwk(keys.p256!, KID, ops)
    ops.push('verify')
    expect(jwk.key_ops).toEqual(['sign'])
  })

  it('rotation produces new material of the same type and size or curve', async () => {
    for (const name of ['rsa3072hsm', 'p384hsm', 'p256k']) {
      const current = keys[name]!
      const next = await rotateKeyMaterial(current)
      expect(describeKey(next)).toEqual(describeKey(current))
      expect(next.d).not.toBe(current.d)
    }
  })

  it('refuses key types, RSA sizes and curves a vault does not create, with the service errors', async () => {
    for (const kty of ['oct', 'oct-HSM', 'OKP', 'rsa']) {
      const e = await caughtAsync(generateKey({ kty }))
      expect(e.toWire()).toEqual({ error: { code: 'BadParameter', message: `Invalid kty value: ${kty}`, innererror: { code: 'KeyTypeNotSupported' } } })
      expect(e.status).toBe(400)
    }
    for (const keySize of [1024, 2047, 8192, '2048']) {
      const e = await caughtAsync(generateKey({ kty: 'RSA-HSM', keySize }))
      expect([e.status, e.code, e.message]).toEqual([400, 'BadParameter', `Unsupported key size (${keySize}). Supported sizes are [2048, 3072, 4096].`])
    }
    for (const crv of ['P-192', 'secp256k1', 'Ed25519']) {
      const e = await caughtAsync(generateKey({ kty: 'EC', crv }))
      expect([e.status, e.code, e.message]).toEqual([400, 'KeyCurveNotSupported', 'The specified key curve is not supported'])
    }
  })
})

describe('key_ops', () => {
  it('accepts what a key type supports and refuses the rest naming each rejected operation', () => {
    expect(validateKeyOps('RSA-HSM', ['wrapKey', 'unwrapKey', 'import'])).toEqual(['wrapKey', 'unwrapKey', 'import'])
    expect(validateKeyOps('EC', ['verify'])).toEqual(['verify'])
    const e = caught(() => validateKeyOps('EC-HSM', ['encrypt', 'decrypt', 'sign']))
    expect([e.status, e.code, e.message]).toEqual([400, 'BadParameter', 'Unsupported key operation(s): "encrypt", "decrypt". Supported values are "sign", "verify".'])
    expect(caught(() => validateKeyOps('RSA', ['sign', 'derive', 7])).message).toMatch(/^Unsupported key operation\(s\): "derive", "7"\./)
    expect(caught(() => validateKeyOps('RSA', 'sign')).status).toBe(400)
  })

  it.each([
    ['encrypt', (k: UsableKey) => encrypt(k, 'RSA-OAEP', Buffer.alloc(16))],
    ['decrypt', (k: UsableKey) => decrypt(k, 'RSA-OAEP', Buffer.alloc(256))],
    ['wrapKey', (k: UsableKey) => wrapKey(k, 'RSA-OAEP-256', Buffer.alloc(32))],
    ['unwrapKey', (k: UsableKey) => unwrapKey(k, 'RSA-OAEP-256', Buffer.alloc(256))],
    ['sign', (k: UsableKey) => sign(k, 'RS256', Buffer.alloc(32))],
    ['verify', (k: UsableKey) => verify(k, 'RS256', Buffer.alloc(32), Buffer.alloc(256))],
  ])('%s is refused with 403 KeyOperationForbidden when key_ops lacks it', (op, run) => {
    const others = defaultKeyOps('RSA').filter((o) => o !== op)
    const e = caught(() => run(usable(keys.rsa2048!, others)))
    expect(e.toWire()).toEqual({ error: { code: 'Forbidden', message: `Operation ${op} is not permitted on this key.`, innererror: { code: 'KeyOperationForbidden' } } })
    expect(e.status).toBe(403)
  })

  it('an EC key with its key_ops cannot encrypt or wrap (403), and not at all even if key_ops were forced (400)', () => {
    expect(caught(() => wrapKey(usable(keys.p256!), 'RSA-OAEP', Buffer.alloc(32))).status).toBe(403)
    const forced = usable(keys.p256!, ['encrypt', 'wrapKey', 'sign'])
    for (const run of [() => wrapKey(forced, 'RSA-OAEP', Buffer.alloc(32)), () => encrypt(forced, 'RSA1_5', Buffer.alloc(8))]) {
      const e = caught(run)
      expect([e.status, e.code]).toEqual([400, 'BadParameter'])
      expect(e.message).toContain(`Key ${KID} is of type 'EC'`)
    }
  })
})

describe('RSA encryption and key wrapping', () => {
  const rsaNames = ['rsa2048', 'rsa3072hsm', 'rsa4096'] as const
  const oaepHash = { 'RSA-OAEP': 'sha1', 'RSA-OAEP-256': 'sha256' } as const

  /** Independent decryption: node:crypto for OAEP, node-forge for RSAES-PKCS1-v1_5. */
  function decryptLocally(m: KeyMaterial, alg: string, ciphertext: Buffer): Buffer {
    if (alg === 'RSA1_5') {
      const pem = nodePrivate(m).export({ type: 'pkcs1', format: 'pem' }) as string
      return Buffer.from(forge.pki.privateKeyFromPem(pem).decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary')
    }
    return privateDecrypt({ key: nodePrivate(m), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash[alg as keyof typeof oaepHash] }, ciphertext)
  }
  function encryptLocally(jwk: PublicJwk, alg: string, plaintext: Buffer): Buffer {
    if (alg === 'RSA1_5') return publicEncrypt({ key: nodePublic(jwk), padding: constants.RSA_PKCS1_PADDING }, plaintext)
    return publicEncrypt({ key: nodePublic(jwk), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash[alg as keyof typeof oaepHash] }, plaintext)
  }

  for (const name of rsaNames) {
    it.each(['RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256'])(`${name}: %s wrap/encrypt with the library, unwrap/decrypt with standard tooling, and back`, (alg) => {
      const m = keys[name]!
      const key = usable(m)
      const jwk = publicJwk(m, KID, key.keyOps)
      const dek = Buffer.from(createHash('sha256').update(`${name}/${alg}`).digest())
      const wrapped = wrapKey(key, alg, dek)
      expect(wrapped).toHaveLength(describeKey(m).keySize! / 8)
      expect(decryptLocally(m, alg, wrapped)).toEqual(dek)
      expect(wrapKey(key, alg, dek)).not.toEqual(wrapped) // randomized padding
      const local = encryptLocally(jwk, alg, Buffer.from('repository key'))
      expect(unwrapKey(key, alg, local)).toEqual(Buffer.from('repository key'))
      expect(decrypt(key, alg, encrypt(key, alg, Buffer.from('x')))).toEqual(Buffer.from('x'))
    })
  }

  it.each([['RSA1_5', 11], ['RSA-OAEP', 42], ['RSA-OAEP-256', 66]])('%s takes one block of at most k-%i bytes, and says so', (alg, overhead) => {
    for (const name of ['rsa2048', 'rsa3072hsm'] as const) {
      const m = keys[name]!
      const k = describeKey(m).keySize! / 8
      const longest = Buffer.alloc(k - overhead, 7)
      expect(decryptLocally(m, alg, encrypt(usable(m), alg, longest))).toEqual(longest)
      const e = caught(() => encrypt(usable(m), alg, Buffer.alloc(k - overhead + 1)))
      expect([e.status, e.code, e.message]).toEqual([400, 'BadParameter', `Invalid length of 'value': ${k - overhead + 1} bytes. ${alg} with a ${k * 8}-bit key accepts at most ${k - overhead} bytes.`])
    }
  })

  it('refuses tampered, foreign and mis-sized ciphertexts without returning the plaintext', () => {
    const key = usable(keys.rsa2048!)
    const secret = Buffer.from('0123456789abcdef0123456789abcdef')
    for (const alg of ['RSA-OAEP', 'RSA-OAEP-256']) {
      const ct = wrapKey(key, alg, secret)
      ct[100] = (ct[100] as number) ^ 1
      expect(caught(() => unwrapKey(key, alg, ct)).code).toBe('BadParameter')
      const other = wrapKey(usable(keys.rsa3072hsm!), alg, secret)
      expect(caught(() => unwrapKey(key, alg, other)).message).toMatch(/requires 256 bytes/)
      // Right length, wrong algorithm.
      const wrongAlg = wrapKey(key, alg === 'RSA-OAEP' ? 'RSA-OAEP-256' : 'RSA-OAEP', secret)
      expect(caught(() => unwrapKey(key, alg, wrongAlg)).message).toMatch(/^Decryption failed/)
    }
    // PKCS#1 v1.5 has no integrity check: a tampered block may decode, but never to the original.
    const ct = wrapKey(key, 'RSA1_5', secret)
    ct[100] = (ct[100] as number) ^ 1
    let out: Buffer | CryptoServiceError
    try {
      out = unwrapKey(key, 'RSA1_5', ct)
    } catch (e) {
      out = e as CryptoServiceError
    }
    expect(out).not.toEqual(secret)
  })

  it('RSA1_5 refuses blocks whose padding is not EME-PKCS1-v1_5 with at least 8 padding bytes (RFC 8017, 7.2.2)', () => {
    const m = keys.rsa2048!
    const pub = nodePublic(publicJwk(m, KID, []))
    // A full 256-byte block: prefix, psLength non-zero padding bytes, 0x00, then the message.
    const block = (prefix: readonly number[], psLength: number): Buffer => {
      const em = Buffer.concat([Buffer.from(prefix), Buffer.alloc(psLength, 0x5a), Buffer.from([0]), Buffer.alloc(256 - 3 - psLength, 0x41)])
      return publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em)
    }
    expect(decrypt(usable(m), 'RSA1_5', block([0, 2], 8))).toEqual(Buffer.alloc(245, 0x41)) // shortest padding allowed
    for (const [prefix, ps] of [[[0, 2], 7], [[0, 2], 0], [[0, 1], 8], [[1, 2], 8]] as const) {
      expect(caught(() => decrypt(usable(m), 'RSA1_5', block(prefix, ps))).message).toMatch(/^Decryption failed/)
    }
  })

  it('refuses algorithms that are not RSA encryption algorithms', () => {
    for (const alg of ['A256GCM', 'RSA-OAEP-384', 'RS256', '', undefined]) {
      const e = caught(() => encrypt(usable(keys.rsa2048!), alg, Buffer.alloc(8)))
      expect([e.status, e.code]).toEqual([400, 'BadParameter'])
      expect(e.message).toContain('Supported algorithms are "RSA1_5", "RSA-OAEP", "RSA-OAEP-256".')
    }
  })
})

describe('RSA signatures over a client-computed digest', () => {
  const msg = Buffer.from('snapshot manifest 42')

  for (const name of ['rsa2048', 'rsa3072hsm', 'rsa4096'] as const) {
    it.each([256, 384, 512] as const)(`${name}: RS%i equals node's deterministic PKCS#1 v1.5 signature and verifies both ways`, (bits) => {
      const m = keys[name]!
      const pub = nodePublic(publicJwk(m, KID, []))
      const digest = createHash(HASH[bits]).update(msg).digest()
      const sig = sign(usable(m), `RS${bits}`, digest)
      expect(sig).toEqual(nodeSign(HASH[bits], msg, nodePrivate(m)))
      expect(nodeVerify(HASH[bits], msg, pub, sig)).toBe(true)
      expect(verify(usable(m), `RS${bits}`, digest, sig)).toBe(true)
      const tampered = Buffer.from(digest)
      tampered[0] = (tampered[0] as number) ^ 1
      expect(verify(usable(m), `RS${bits}`, tampered, sig)).toBe(false)
      expect(verify(usable(m), `PS${bits}`, digest, sig)).toBe(false)
    })

    it.each([256, 384, 512] as const)(`${name}: PS%i is PSS with salt = digest length, verified by node; node's PSS verifies here`, (bits) => {
      const m = keys[name]!
      const pub = nodePublic(publicJwk(m, KID, []))
      const digest = createHash(HASH[bits]).update(msg).digest()
      const sig = sign(usable(m), `PS${bits}`, digest)
      const pss = { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING }
      expect(nodeVerify(HASH[bits], msg, { ...pss, saltLength: bits / 8 }, sig)).toBe(true)
      expect(nodeVerify(HASH[bits], msg, { ...pss, saltLength: bits / 8 + 1 }, sig)).toBe(false)
      expect(sign(usable(m), `PS${bits}`, digest)).not.toEqual(sig) // random salt
      const local = nodeSign(HASH[bits], msg, { key: nodePrivate(m), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 })
      expect(verify(usable(m), `PS${bits}`, digest, local)).toBe(true)
      const bad = Buffer.from(local)
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x10
      expect(verify(usable(m), `PS${bits}`, digest, bad)).toBe(false)
      expect(verify(usable(m), `RS${bits}`, digest, local)).toBe(false)
    })
  }

  it('PS* verification checks the whole PSS encoding, not just the hash (as node does)', () => {
    const m = keys.rsa2048!
    const pub = nodePublic(publicJwk(m, KID, []))
    const digest = createHash('sha256').update(msg).digest()
    const good = nodeSign('sha256', msg, { key: nodePrivate(m), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    const em = publicDecrypt({ key: pub, padding: constants.RSA_NO_PADDING }, good)
    // Re-sign altered encodings with raw RSA: a wrong trailer byte, a non-zero byte in the zero padding.
    for (const alter of [(e: Buffer) => { e[255] = 0xbd }, (e: Buffer) => { e[5] = (e[5] as number) ^ 0x01 }]) {
      const bad = Buffer.from(em)
      alter(bad)
      const sig = privateEncrypt({ key: nodePrivate(m), padding: constants.RSA_NO_PADDING }, bad)
      expect(nodeVerify('sha256', msg, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(false)
      expect(verify(usable(m), 'PS256', digest, sig)).toBe(false)
    }
    expect(verify(usable(m), 'PS256', digest, privateEncrypt({ key: nodePrivate(m), padding: constants.RSA_NO_PADDING }, em))).toBe(true)
    // The bit above emBits must be zero. Setting it may push the block past n; fresh salts give another
    // block (node's keys have n >= 1.125 * 2^2047, so about one in eight tries fits).
    const n = BigInt(`0x${Buffer.from(publicJwk(m, KID, []).n!, 'base64url').toString('hex')}`)
    for (let i = 0; i < 200; i++) {
      const fresh = publicDecrypt({ key: pub, padding: constants.RSA_NO_PADDING }, nodeSign('sha256', msg, { key: nodePrivate(m), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }))
      fresh[0] = (fresh[0] as number) | 0x80
      if (BigInt(`0x${fresh.toString('hex')}`) >= n) continue
      const sig = privateEncrypt({ key: nodePrivate(m), padding: constants.RSA_NO_PADDING }, fresh)
      expect(nodeVerify('sha256', msg, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(false)
      expect(verify(usable(m), 'PS256', digest, sig)).toBe(false)
      return
    }
    throw new Error('no PSS block below n with the top bit set in 200 tries')
  })

  it('malformed signatures are false, not errors', () => {
    const key = usable(keys.rsa2048!)
    const digest = createHash('sha256').update(msg).digest()
    expect(verify(key, 'RS256', digest, Buffer.alloc(0))).toBe(false)
    expect(verify(key, 'RS256', digest, Buffer.alloc(255, 1))).toBe(false)
    expect(verify(key, 'PS256', digest, Buffer.alloc(256, 0xff))).toBe(false) // not below the modulus
  })

  it('insists the digest length matches the algorithm, with the service message', () => {
    const e = caught(() => sign(usable(keys.rsa2048!), 'RS384', Buffer.alloc(32)))
    expect([e.status, e.code, e.message]).toEqual([400, 'BadParameter', "Invalid length of 'value': 32 bytes. RS384 requires 48 bytes, encoded with base64url."])
    expect(caught(() => verify(usable(keys.rsa2048!), 'PS512', Buffer.from('short'), Buffer.alloc(256))).message).toMatch(/^Invalid length of 'value': 5 bytes\. PS512 requires 64 bytes/)
  })

  it('RSA keys cannot ES-sign; unknown signature algorithms are refused', () => {
    const e = caught(() => sign(usable(keys.rsa2048!), 'ES256', Buffer.alloc(32)))
    expect([e.status, e.code]).toEqual([400, 'BadParameter'])
    expect(e.message).toBe(`Key and algorithm are incompatible. Key ${KID} is of type 'RSA', and algorithm 'ES256' can only be used with keys of type 'EC'.`)
    for (const alg of ['HS256', 'RSNULL', 'EdDSA', 'toString']) expect(caught(() => sign(usable(keys.rsa2048!), alg, Buffer.alloc(32))).status).toBe(400)
  })
})

describe('ECDSA over a client-computed digest', () => {
  const msg = Buffer.from('wrap me')
  const curves = [['p256', 'ES256', 'P-256'], ['p384hsm', 'ES384', 'P-384'], ['p521', 'ES512', 'P-521'], ['p256k', 'ES256K', 'P-256K']] as const

  it.each(curves)('%s: %s signatures are JOSE r||s that node verifies; node signatures verify here; tampering fails', (name, alg, crv) => {
    const m = keys[name]!
    const pub = nodePublic(publicJwk(m, KID, []))
    const hash = HASH[CURVES[crv].digestBytes * 8 as 256 | 384 | 512]
    const digest = createHash(hash).update(msg).digest()
    const sig = sign(usable(m), alg, digest)
    expect(sig).toHaveLength(2 * CURVES[crv].bytes)
    expect(nodeVerify(hash, msg, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true)
    expect(sign(usable(m), alg, digest)).not.toEqual(sig) // fresh nonce per signature, as Key Vault's
    const local = nodeSign(hash, msg, { key: nodePrivate(m), dsaEncoding: 'ieee-p1363' })
    expect(verify(usable(m), alg, digest, local)).toBe(true)
    const tampered = Buffer.from(local)
    tampered[3] = (tampered[3] as number) ^ 1
    expect(verify(usable(m), alg, digest, tampered)).toBe(false)
    const otherDigest = createHash(hash).update('other').digest()
    expect(verify(usable(m), alg, otherDigest, local)).toBe(false)
    expect(verify(usable(m), alg, digest, Buffer.concat([local, Buffer.from([0])]))).toBe(false)
    expect(verify(usable(m), alg, digest, Buffer.alloc(local.length))).toBe(false)
  })

  it('refuses non-canonical signatures: s + n, and zero halves', () => {
    const c = CURVES['P-521'] // 66-byte halves leave room above n
    const m = keys.p521!
    const digest = createHash('sha512').update(msg).digest()
    const sig = sign(usable(m), 'ES512', digest)
    const s = BigInt(`0x${sig.subarray(66).toString('hex')}`)
    const shifted = Buffer.concat([sig.subarray(0, 66), bigIntToBytes(s + c.n, 66)])
    expect(nodeVerify(null, digest, { key: nodePublic(publicJwk(m, KID, [])), dsaEncoding: 'ieee-p1363' }, shifted)).toBe(false)
    expect(verify(usable(m), 'ES512', digest, shifted)).toBe(false)
    expect(verify(usable(m), 'ES512', digest, Buffer.concat([Buffer.alloc(66), sig.subarray(66)]))).toBe(false)
  })

  it('a signature from another key does not verify', () => {
    const digest = createHash('sha256').update(msg).digest()
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const fromOther = nodeSign('sha256', msg, { key: other, dsaEncoding: 'ieee-p1363' })
    expect(verify(usable(keys.p256!), 'ES256', digest, fromOther)).toBe(false)
  })

  it('refuses an algorithm for another curve with the service message, and RSA algorithms', () => {
    const e = caught(() => sign(usable(keys.p256!), 'ES256K', Buffer.alloc(32)))
    expect([e.status, e.code, e.message]).toEqual([400, 'BadParameter', `Key and signing algorithm are incompatible. Key ${KID} uses curve 'P-256', and algorithm 'ES256K' can only be used with curve 'P-256K'.`])
    expect(caught(() => verify(usable(keys.p521!), 'ES384', Buffer.alloc(48), Buffer.alloc(132))).message).toContain("uses curve 'P-521', and algorithm 'ES384' can only be used with curve 'P-384'")
    expect(caught(() => sign(usable(keys.p256!), 'PS256', Buffer.alloc(32))).message).toContain("is of type 'EC', and algorithm 'PS256' can only be used with keys of type 'RSA'")
    const len = caught(() => sign(usable(keys.p256!), 'ES256', Buffer.alloc(30)))
    expect(len.message).toBe("Invalid length of 'value': 30 bytes. ES256 requires 32 bytes, encoded with base64url.")
  })

  it.each(Object.values(CURVES).map((c) => [c.name, c] as const))('%s parameters agree with OpenSSL: generator, order, scalar multiplication', (_name, c) => {
    const ecdh = createECDH(c.nodeName)
    ecdh.setPrivateKey(bigIntToBytes(1n, c.bytes))
    expect(ecdh.getPublicKey()).toEqual(Buffer.concat([Buffer.from([4]), bigIntToBytes(c.gx, c.bytes), bigIntToBytes(c.gy, c.bytes)]))
    expect(() => ecdh.setPrivateKey(bigIntToBytes(c.n - 1n, c.bytes))).not.toThrow()
    expect(() => createECDH(c.nodeName).setPrivateKey(bigIntToBytes(c.n, c.bytes))).toThrow()
    expect(multiplyGenerator(c, c.n)).toBeUndefined()
    const k = c.n / 3n + 12345n
    ecdh.setPrivateKey(bigIntToBytes(k, c.bytes))
    const P = multiplyGenerator(c, k)!
    expect(ecdh.getPublicKey()).toEqual(Buffer.concat([Buffer.from([4]), bigIntToBytes(P.x, c.bytes), bigIntToBytes(P.y, c.bytes)]))
  })
})

describe('with the Azure SDK cryptography client (its local provider, no HTTP)', () => {
  it('what the SDK encrypts locally with an emulator public key, the library decrypts; library RS256 signatures pass the SDK verifyData', async () => {
    const m = keys.rsa2048!
    const jwk = publicJwk(m, KID, defaultKeyOps(m.kty))
    const client = new CryptographyClient({ kid: jwk.kid, kty: 'RSA', keyOps: ['encrypt', 'wrapKey', 'verify'], n: Buffer.from(jwk.n!, 'base64url'), e: Buffer.from(jwk.e!, 'base64url') })
    const { result } = await client.encrypt({ algorithm: 'RSA-OAEP', plaintext: Buffer.from('data key') })
    expect(decrypt(usable(m), 'RSA-OAEP', Buffer.from(result))).toEqual(Buffer.from('data key'))
    const wrapped = await client.wrapKey('RSA1_5', Buffer.from('kek material'))
    expect(unwrapKey(usable(m), 'RSA1_5', Buffer.from(wrapped.result))).toEqual(Buffer.from('kek material'))
    const data = Buffer.from('manifest')
    const sig = sign(usable(m), 'RS256', createHash('sha256').update(data).digest())
    expect((await client.verifyData('RS256', data, sig)).result).toBe(true)
    expect((await client.verifyData('RS256', Buffer.from('other'), sig)).result).toBe(false)
  })
})
