/**
 * RSA for Key Vault's algorithms on top of node:crypto's raw RSA: PKCS#1 v1.5 and PSS signatures over a
 * digest the caller supplies, RSAES encryption with Key Vault's length limits, and RSA1_5 decryption.
 *
 * node:crypto signs only messages it hashes itself and (since CVE-2023-46809) refuses PKCS#1 v1.5
 * private decryption, so those paddings are encoded and checked here (RFC 8017) around RSA_NO_PADDING.
 * The checks are not constant-time: fine for an emulator's test keys, not for production secrets.
 */
import { constants, createHash, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, randomBytes, timingSafeEqual } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512'
export const HASH_BYTES: Readonly<Record<HashName, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }

/** DER DigestInfo prefixes (RFC 8017, 9.2 note 1) for the hashes Key Vault's RS* algorithms use. */
const DIGEST_INFO: Readonly<Record<'sha256' | 'sha384' | 'sha512', Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
}

/** Key Vault's RSA encryption algorithms and how they map onto node:crypto. */
export const RSA_ENCRYPTION = {
  RSA1_5: { overhead: 11 },
  'RSA-OAEP': { overhead: 2 * HASH_BYTES.sha1 + 2, oaepHash: 'sha1' },
  'RSA-OAEP-256': { overhead: 2 * HASH_BYTES.sha256 + 2, oaepHash: 'sha256' },
} as const
export type RsaEncryptionAlgorithm = keyof typeof RSA_ENCRYPTION

/**
 * A live RSA key: node KeyObjects plus the modulus size the encodings need. Key Vault's sizes (2048, 3072,
 * 4096) are multiples of 8, so a PSS encoding (emBits = bits - 1) is exactly as long as the modulus.
 */
export interface RsaKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  /** Modulus length in bits. */
  bits: number
}

const bytesOf = (key: RsaKeyPair): number => Math.ceil(key.bits / 8)

/** Longest plaintext `alg` can encrypt under a key of `bits` (RFC 8017, 7.1.1 and 7.2.1). */
export function maxPlaintextBytes(alg: RsaEncryptionAlgorithm, bits: number): number {
  return Math.ceil(bits / 8) - RSA_ENCRYPTION[alg].overhead
}

/** RSAES encryption with the public key. The caller has checked the length against maxPlaintextBytes. */
export function rsaEncrypt(key: RsaKeyPair, alg: RsaEncryptionAlgorithm, plaintext: Uint8Array): Buffer {
  const spec = RSA_ENCRYPTION[alg]
  if (!('oaepHash' in spec)) return publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, plaintext)
  return publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: spec.oaepHash }, plaintext)
}

/**
 * RSAES decryption with the private key. Returns undefined when the ciphertext does not decrypt under
 * this key and algorithm (wrong key, wrong algorithm, tampered); the caller has checked its length.
 */
export function rsaDecrypt(key: RsaKeyPair, alg: RsaEncryptionAlgorithm, ciphertext: Uint8Array): Buffer | undefined {
  const spec = RSA_ENCRYPTION[alg]
  try {
    if ('oaepHash' in spec) {
      return privateDecrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: spec.oaepHash }, ciphertext)
    }
    return decodePkcs1Encryption(privateDecrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, ciphertext))
  } catch {
    return undefined
  }
}

/** EME-PKCS1-v1_5 decoding (RFC 8017, 7.2.2 step 3): 0x00 0x02 PS(>= 8 non-zero) 0x00 M. */
function decodePkcs1Encryption(em: Buffer): Buffer | undefined {
  if (em[0] !== 0x00 || em[1] !== 0x02) return undefined
  const separator = em.indexOf(0x00, 2)
  if (separator < 10) return undefined
  return em.subarray(separator + 1)
}

/** The signature schemes behind Key Vault's RS* (pkcs1) and PS* (pss) algorithms. */
export type RsaSignatureScheme = 'pkcs1' | 'pss'

/** Sign a digest of `hash` (RS*: EMSA-PKCS1-v1_5; PS*: EMSA-PSS with a salt as long as the digest). */
export function rsaSignDigest(key: RsaKeyPair, scheme: RsaSignatureScheme, hash: 'sha256' | 'sha384' | 'sha512', digest: Uint8Array): Buffer {
  const em = scheme === 'pkcs1' ? encodePkcs1Signature(hash, digest, bytesOf(key)) : encodePss(hash, digest, key.bits - 1, randomBytes(HASH_BYTES[hash]))
  return privateEncrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, em)
}

/** Verify a signature made by rsaSignDigest's scheme. Malformed signatures are false, never errors. */
export function rsaVerifyDigest(key: RsaKeyPair, scheme: RsaSignatureScheme, hash: 'sha256' | 'sha384' | 'sha512', digest: Uint8Array, signature: Uint8Array): boolean {
  const k = bytesOf(key)
  if (signature.length !== k) return false
  let m: Buffer
  try {
    m = publicDecrypt({ key: key.publicKey, padding: constants.RSA_NO_PADDING }, signature)
  } catch {
    return false // the signature, read as an integer, is not below the modulus
  }
  if (scheme === 'pkcs1') return sameBytes(m, encodePkcs1Signature(hash, digest, k))
  return verifyPss(hash, digest, m, key.bits - 1)
}

/** EMSA-PKCS1-v1_5 (RFC 8017, 9.2): 0x00 0x01 0xff.. 0x00 DigestInfo || H, `k` bytes long. */
function encodePkcs1Signature(hash: 'sha256' | 'sha384' | 'sha512', digest: Uint8Array, k: number): Buffer {
  const t = Buffer.concat([DIGEST_INFO[hash], digest])
  return Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(k - t.length - 3, 0xff), Buffer.from([0x00]), t])
}

function mgf1(hash: HashName, seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = []
  for (let counter = 0; blocks.length * HASH_BYTES[hash] < length; counter++) {
    const c = Buffer.alloc(4)
    c.writeUInt32BE(counter)
    blocks.push(createHash(hash).update(seed).update(c).digest())
  }
  return Buffer.concat(blocks).subarray(0, length)
}

/** EMSA-PSS-ENCODE (RFC 8017, 9.1.1) of an already computed digest `mHash`, with salt length = hLen. */
function encodePss(hash: HashName, mHash: Uint8Array, emBits: number, salt: Uint8Array): Buffer {
  const hLen = HASH_BYTES[hash]
  const emLen = Math.ceil(emBits / 8)
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest()
  const db = Buffer.concat([Buffer.alloc(emLen - salt.length - hLen - 2), Buffer.from([0x01]), salt])
  const mask = mgf1(hash, h, emLen - hLen - 1)
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number)
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits))
  return Buffer.concat([db, h, Buffer.from([0xbc])])
}

/** EMSA-PSS-VERIFY (RFC 8017, 9.1.2) with salt length = hLen, as JWA's PS* algorithms define it. */
function verifyPss(hash: HashName, mHash: Uint8Array, em: Buffer, emBits: number): boolean {
  const hLen = HASH_BYTES[hash]
  const emLen = em.length
  if (mHash.length !== hLen || emLen < 2 * hLen + 2 || em[emLen - 1] !== 0xbc) return false
  const maskedDb = em.subarray(0, emLen - hLen - 1)
  const h = em.subarray(emLen - hLen - 1, emLen - 1)
  const topBits = 0xff << (8 - (8 * emLen - emBits)) & 0xff
  if (((maskedDb[0] as number) & topBits) !== 0) return false
  const mask = mgf1(hash, h, maskedDb.length)
  const db = Buffer.from(maskedDb.map((b, i) => b ^ (mask[i] as number)))
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits))
  const psLen = emLen - 2 * hLen - 2
  if (db.subarray(0, psLen).some((b) => b !== 0) || db[psLen] !== 0x01) return false
  const salt = db.subarray(psLen + 1)
  const expected = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest()
  return sameBytes(expected, h)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
