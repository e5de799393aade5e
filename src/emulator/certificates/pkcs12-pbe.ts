/**
 * Password-based encryption for PKCS#12: the PKCS#12 key derivation (RFC 7292 B.2), PBES1-PKCS#12 with
 * 3DES or RC2 (RC2 from node-forge, as OpenSSL 3 only offers it in its legacy provider) and PBES2/PBKDF2
 * with AES or 3DES (RFC 8018). Also the MAC key derivation.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from 'node:crypto'
import forge from 'node-forge'
import { Asn1Error, at, int, items, octet, oid, readInt, readOctets, readOid, seq, type Asn1 } from './x509-der.js'
import { OID } from './x509-oids.js'

/** The password in the two encodings PKCS#12 uses: BMPString for PKCS#12 KDFs, UTF-8 for PBKDF2. */
export interface Pkcs12Password {
  /** UTF-16BE with a two-byte terminator; for no password, empty or the terminator alone. */
  bmp: Buffer
  /** UTF-8, no terminator. */
  utf8: Buffer
}

/**
 * The encodings to try for a password, the one to write first. Without a password: the empty byte string
 * (what Key Vault's own PFX secrets use; their MAC verifies only with it), then the two-byte terminator
 * alone (what OpenSSL writes for `-passout pass:`).
 */
export function passwordCandidates(password: string | undefined): Pkcs12Password[] {
  if (password === undefined || password === '') {
    return [
      { bmp: Buffer.alloc(0), utf8: Buffer.alloc(0) },
      { bmp: Buffer.alloc(2), utf8: Buffer.alloc(0) },
    ]
  }
  return [{ bmp: Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]), utf8: Buffer.from(password, 'utf8') }]
}

/** Hash name, output length u and block length v for the PKCS#12 KDF. */
const KDF_HASHES: Record<string, { name: string; u: number; v: number }> = {
  [OID.sha1]: { name: 'sha1', u: 20, v: 64 },
  [OID.sha224]: { name: 'sha224', u: 28, v: 64 },
  [OID.sha256]: { name: 'sha256', u: 32, v: 64 },
  [OID.sha384]: { name: 'sha384', u: 48, v: 128 },
  [OID.sha512]: { name: 'sha512', u: 64, v: 128 },
}

/** The hash behind a PFX MAC algorithm OID, or undefined when unsupported. */
export function macHash(algorithm: string): { name: string; u: number } | undefined {
  return KDF_HASHES[algorithm]
}

/** More iterations than any tool writes (OpenSSL 2048, Windows/.NET 2000, Java up to 10000): refuse, don't spin. */
const MAX_ITERATIONS = 1_000_000

/** An iteration count read from a PFX, refused when absurd. */
export function readIterations(n: Asn1 | undefined): number {
  const v = n === undefined ? 1n : readInt(n)
  if (v < 1n || v > BigInt(MAX_ITERATIONS)) throw new Asn1Error(`iteration count ${v} out of range`)
  return Number(v)
}

function repeatTo(b: Buffer, v: number): Buffer {
  if (b.length === 0) return b
  const len = v * Math.ceil(b.length / v)
  const out = Buffer.alloc(len)
  for (let i = 0; i < len; i++) out[i] = b[i % b.length] as number
  return out
}

/** RFC 7292 B.2: `n` bytes of key material (id 1 = key, 2 = IV, 3 = MAC key). */
export function pkcs12Kdf(hashOid: string, id: 1 | 2 | 3, password: Buffer, salt: Buffer, iterations: number, n: number): Buffer {
  const h = KDF_HASHES[hashOid]
  if (!h) throw new Asn1Error(`unsupported PKCS#12 KDF hash ${hashOid}`)
  const D = Buffer.alloc(h.v, id)
  const I = Buffer.concat([repeatTo(salt, h.v), repeatTo(password, h.v)])
  const out: Buffer[] = []
  for (let produced = 0; produced < n; produced += h.u) {
    let A = createHash(h.name).update(D).update(I).digest()
    for (let k = 1; k < iterations; k++) A = createHash(h.name).update(A).digest()
    out.push(A)
    const B = repeatTo(A, h.v)
    for (let j = 0; j < I.length; j += h.v) {
      let carry = 1
      for (let k = h.v - 1; k >= 0; k--) {
        const sum = (I[j + k] as number) + (B[k] as number) + carry
        I[j + k] = sum & 0xff
        carry = sum >> 8
      }
    }
  }
  return Buffer.concat(out).subarray(0, n)
}

const PBES1: Record<string, { cipher: string; keyLength: number; rc2Bits?: number }> = {
  [OID.pbeWithSHAAnd3KeyTripleDESCBC]: { cipher: 'des-ede3-cbc', keyLength: 24 },
  [OID.pbeWithSHAAnd2KeyTripleDESCBC]: { cipher: 'des-ede-cbc', keyLength: 16 },
  [OID.pbeWithSHAAnd128BitRC2CBC]: { cipher: 'rc2', keyLength: 16, rc2Bits: 128 },
  [OID.pbeWithSHAAnd40BitRC2CBC]: { cipher: 'rc2', keyLength: 5, rc2Bits: 40 },
}

const PRFS: Record<string, string> = {
  [OID.hmacWithSHA1]: 'sha1',
  [OID.hmacWithSHA224]: 'sha224',
  [OID.hmacWithSHA256]: 'sha256',
  [OID.hmacWithSHA384]: 'sha384',
  [OID.hmacWithSHA512]: 'sha512',
}

const PBES2_CIPHERS: Record<string, { cipher: string; keyLength: number }> = {
  [OID.aes128Cbc]: { cipher: 'aes-128-cbc', keyLength: 16 },
  [OID.aes192Cbc]: { cipher: 'aes-192-cbc', keyLength: 24 },
  [OID.aes256Cbc]: { cipher: 'aes-256-cbc', keyLength: 32 },
  [OID.desEde3Cbc]: { cipher: 'des-ede3-cbc', keyLength: 24 },
}

/** Thrown for an encryption scheme this library cannot decrypt (RC4, DES, PBES1-PKCS#5, ...). */
class UnsupportedAlgorithmError extends Error {
  constructor(readonly algorithm: string) {
    super(`unsupported PKCS#12 encryption algorithm ${algorithm}`)
    this.name = 'UnsupportedAlgorithmError'
  }
}

function rc2Decrypt(key: Buffer, bits: number, iv: Buffer, data: Buffer): Buffer {
  const cipher = forge.rc2.createDecryptionCipher(forge.util.createBuffer(key.toString('binary')), bits)
  cipher.start(forge.util.createBuffer(iv.toString('binary')))
  cipher.update(forge.util.createBuffer(data.toString('binary')))
  if (!cipher.finish()) throw new Asn1Error('bad RC2 padding')
  return Buffer.from(cipher.output.getBytes(), 'binary')
}

function decipher(name: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const d = createDecipheriv(name, key, iv)
  return Buffer.concat([d.update(data), d.final()])
}

/**
 * Decrypt `data` encrypted under the AlgorithmIdentifier `algorithm`. Throws UnsupportedAlgorithmError for
 * schemes it does not know, and Asn1Error or a cipher error (bad padding) when the password is wrong.
 */
export function pbeDecrypt(algorithm: Asn1, password: Pkcs12Password, data: Buffer): Buffer {
  const parts = items(algorithm)
  const algOid = readOid(at(parts, 0))
  const pbes1 = PBES1[algOid]
  if (pbes1) {
    const params = items(at(parts, 1))
    const salt = readOctets(at(params, 0))
    const iterations = readIterations(at(params, 1))
    const key = pkcs12Kdf(OID.sha1, 1, password.bmp, salt, iterations, pbes1.keyLength)
    const iv = pkcs12Kdf(OID.sha1, 2, password.bmp, salt, iterations, 8)
    return pbes1.rc2Bits ? rc2Decrypt(key, pbes1.rc2Bits, iv, data) : decipher(pbes1.cipher, key, iv, data)
  }
  if (algOid !== OID.pbes2) throw new UnsupportedAlgorithmError(algOid)
  const [kdf, scheme] = items(at(parts, 1))
  const kdfParts = items(kdf)
  if (readOid(at(kdfParts, 0)) !== OID.pbkdf2) throw new UnsupportedAlgorithmError(readOid(at(kdfParts, 0)))
  const kdfParams = items(at(kdfParts, 1))
  const schemeParts = items(scheme)
  const schemeOid = readOid(at(schemeParts, 0))
  const enc = PBES2_CIPHERS[schemeOid]
  if (!enc) throw new UnsupportedAlgorithmError(schemeOid)
  const salt = readOctets(at(kdfParams, 0))
  const iterations = readIterations(at(kdfParams, 1))
  let prf = 'sha1'
  for (const opt of kdfParams.slice(2)) {
    if (opt.tag === 16) {
      const prfOid = readOid(at(items(opt), 0))
      prf = PRFS[prfOid] ?? ''
      if (!prf) throw new UnsupportedAlgorithmError(prfOid)
    }
  }
  const key = pbkdf2Sync(password.utf8, salt, iterations, enc.keyLength, prf)
  return decipher(enc.cipher, key, readOctets(at(schemeParts, 1)), data)
}

/**
 * Encrypt with pbeWithSHAAnd3-KeyTripleDES-CBC (what Key Vault's own PFX files use: readable by OpenSSL 3
 * without -legacy, by every Windows version and by .NET). Returns the AlgorithmIdentifier and ciphertext.
 */
export function pbeEncrypt3Des(password: Pkcs12Password, data: Buffer, iterations: number): { algorithm: Buffer; encrypted: Buffer } {
  const salt = randomBytes(8)
  const key = pkcs12Kdf(OID.sha1, 1, password.bmp, salt, iterations, 24)
  const iv = pkcs12Kdf(OID.sha1, 2, password.bmp, salt, iterations, 8)
  const c = createCipheriv('des-ede3-cbc', key, iv)
  return {
    algorithm: seq(oid(OID.pbeWithSHAAnd3KeyTripleDESCBC), seq(octet(salt), int(iterations))),
    encrypted: Buffer.concat([c.update(data), c.final()]),
  }
}
