/**
 * PKCS#12 (PFX) files: write them as Key Vault does for a certificate's secret, and read the ones people
 * import (OpenSSL 1.x/3.x, Windows, .NET, Java, Key Vault itself; with or without a password).
 */
import { createHmac, createPrivateKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import { Asn1Error, at, decode, explicit, implicit, int, isContext, items, nul, octet, octetContent, oid, readInt, readOctets, readOid, seq, set, Tag, type Asn1 } from './x509-der.js'
import { BadParameterError, Messages } from './x509-errors.js'
import { OID } from './x509-oids.js'
import { macHash, passwordCandidates, pbeDecrypt, pbeEncrypt3Des, pkcs12Kdf, readIterations, type Pkcs12Password } from './pkcs12-pbe.js'

/** What a PFX holds. */
export interface PfxContents {
  /** Private keys, in file order. */
  keys: KeyObject[]
  /** X.509 certificates (DER), in file order. */
  certs: Buffer[]
}

/** What writePfx stores. */
export interface PfxInput {
  /** The private key; left out for a non-exportable certificate's secret. */
  key?: KeyObject
  /** DER certificates, leaf first. */
  chain: Uint8Array[]
  /** Protects the file; Key Vault's secrets have none (the empty password). */
  password?: string
}

/** Iterations for the PBE and the MAC, as in Key Vault's PFX files. */
const ITERATIONS = 2000
/** localKeyID tying the key to the leaf certificate (the value Key Vault uses). */
const LOCAL_KEY_ID = Buffer.from([1, 0, 0, 0])

function contentInfo(type: string, content: Buffer): Buffer {
  return seq(oid(type), explicit(0, content))
}

function bag(type: string, value: Buffer, withKeyId: boolean): Buffer {
  const attrs = withKeyId ? [set(seq(oid(OID.localKeyId), set(octet(LOCAL_KEY_ID))))] : []
  return seq(oid(type), explicit(0, value), ...attrs)
}

/**
 * A PFX (DER) with the key in a pkcs8ShroudedKeyBag and the certificates in an encrypted bag, both
 * pbeWithSHAAnd3-KeyTripleDES-CBC, and an HMAC-SHA-1 MAC; 2000 iterations; the key and the leaf share a
 * localKeyID. This is the layout of Key Vault's own PFX secrets: OpenSSL 3 reads it without -legacy, and
 * Windows (all versions) and .NET import it. Synchronous.
 */
export function writePfx(input: PfxInput): Buffer {
  const [password] = passwordCandidates(input.password) as [Pkcs12Password]
  const safes: Buffer[] = []
  if (input.key) {
    const pkcs8 = input.key.export({ type: 'pkcs8', format: 'der' })
    const { algorithm, encrypted } = pbeEncrypt3Des(password, pkcs8, ITERATIONS)
    const keyBag = bag(OID.pkcs8ShroudedKeyBag, seq(algorithm, octet(encrypted)), true)
    safes.push(contentInfo(OID.data, octet(seq(keyBag))))
  }
  const certBags = input.chain.map((der, i) => bag(OID.certBag, seq(oid(OID.x509Certificate), explicit(0, octet(der))), i === 0 && input.key !== undefined))
  const { algorithm, encrypted } = pbeEncrypt3Des(password, seq(...certBags), ITERATIONS)
  safes.push(contentInfo(OID.encryptedData, seq(int(0), seq(oid(OID.data), algorithm, implicit(0, encrypted)))))
  const authSafe = seq(...safes)
  const salt = randomBytes(20)
  const macKey = pkcs12Kdf(OID.sha1, 3, password.bmp, salt, ITERATIONS, 20)
  const mac = createHmac('sha1', macKey).update(authSafe).digest()
  const macData = seq(seq(seq(oid(OID.sha1), nul()), octet(mac)), octet(salt), int(ITERATIONS))
  return seq(int(3), contentInfo(OID.data, octet(authSafe)), macData)
}

/** Throws when the MAC does not verify with `password`. */
function verifyMac(macData: Asn1, authSafe: Buffer, password: Pkcs12Password): void {
  const parts = items(macData)
  const digestInfo = items(at(parts, 0))
  const algorithm = readOid(at(items(at(digestInfo, 0)), 0))
  const expected = readOctets(at(digestInfo, 1))
  const salt = readOctets(at(parts, 1))
  const iterations = readIterations(parts[2])
  const hash = macHash(algorithm)
  if (!hash) throw new Asn1Error(`unsupported MAC ${algorithm}`)
  const key = pkcs12Kdf(algorithm, 3, password.bmp, salt, iterations, hash.u)
  const actual = createHmac(hash.name, key).update(authSafe).digest()
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new Asn1Error('MAC mismatch')
}

/** The content octets of a ContentInfo of type data. */
function dataContent(ci: Asn1): Buffer {
  const parts = items(ci)
  if (readOid(at(parts, 0)) !== OID.data) throw new Asn1Error('expected PKCS#7 data')
  const wrapper = at(parts, 1)
  if (!isContext(wrapper, 0)) throw new Asn1Error('expected [0] content')
  return readOctets(at(wrapper.children, 0))
}

function safeContents(ci: Asn1, password: Pkcs12Password): Asn1[] {
  const type = readOid(at(items(ci), 0))
  if (type === OID.data) return items(decode(dataContent(ci)))
  if (type !== OID.encryptedData) throw new Asn1Error(`unsupported authenticated safe content ${type}`)
  const encryptedData = items(at(at(items(ci), 1).children, 0))
  const eci = items(at(encryptedData, 1))
  const content = eci[2]
  if (!isContext(content, 0)) return []
  return items(decode(pbeDecrypt(at(eci, 1), password, octetContent(content))))
}

function readBags(bags: Asn1[], password: Pkcs12Password, out: PfxContents): void {
  for (const safeBag of bags) {
    const parts = items(safeBag)
    const type = readOid(at(parts, 0))
    const value = at(at(parts, 1).children, 0)
    if (type === OID.keyBag) {
      out.keys.push(createPrivateKey({ key: value.raw, format: 'der', type: 'pkcs8' }))
    } else if (type === OID.pkcs8ShroudedKeyBag) {
      const epki = items(value)
      const pkcs8 = pbeDecrypt(at(epki, 0), password, readOctets(at(epki, 1)))
      out.keys.push(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }))
    } else if (type === OID.certBag) {
      const cert = items(value)
      if (readOid(at(cert, 0)) === OID.x509Certificate) out.certs.push(Buffer.from(readOctets(at(at(cert, 1).children, 0))))
    }
    // CRL, secret and nested safe-contents bags carry nothing Key Vault imports.
  }
}

function readWith(pfx: Asn1[], password: Pkcs12Password): PfxContents {
  if (readInt(at(pfx, 0)) !== 3n) throw new Asn1Error('not a version 3 PFX')
  const authSafe = dataContent(at(pfx, 1))
  if (pfx[2]?.tag === Tag.Sequence) verifyMac(pfx[2], authSafe, password)
  const out: PfxContents = { keys: [], certs: [] }
  for (const ci of items(decode(authSafe))) readBags(safeContents(ci, password), password, out)
  return out
}

/**
 * Read a PFX (DER or BER). Without a password (undefined or ''), both empty-password encodings are tried.
 * Supports PBES2/PBKDF2 (AES, 3DES; any HMAC-SHA PRF), PKCS#12 PBE with 3DES or RC2, plain key bags, MACs
 * with SHA-1/SHA-2, and files without a MAC. Throws BadParameterError with Key Vault's message when the
 * file does not decode or the password is wrong (the service words both the same).
 */
export function readPfx(pfx: Uint8Array, password?: string): PfxContents {
  let outer: Asn1[]
  try {
    outer = items(decode(pfx))
  } catch (err) {
    throw new BadParameterError(Messages.pfxUnreadable, { cause: err })
  }
  let lastError: unknown
  for (const candidate of passwordCandidates(password)) {
    try {
      return readWith(outer, candidate)
    } catch (err) {
      lastError = err
    }
  }
  throw new BadParameterError(Messages.pfxUnreadable, {
    cause: lastError,
    hint: password ? 'Check the password (pwd) sent with the import.' : 'If the PFX is password-protected, send the password as pwd.',
  })
}
