/** What Key Vault reports about a certificate (cer, x5t, nbf/exp, subject) and reads from it to derive a policy. */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto'
import { at, decode, isContext, items, readBits, readBool, readOctets, readOid, readTime, Tag, type Asn1 } from './x509-der.js'
import { BadParameterError } from './x509-errors.js'
import { decodeName, formatName } from './x509-name.js'
import { OID } from './x509-oids.js'
import { KEY_USAGES, type KeyUsageName, type SubjectAlternativeNames } from './policy.js'
import { decodeSans } from './x509-san.js'

/** Facts about one X.509 certificate. */
export interface CertificateFacts {
  /** The DER encoding. */
  der: Buffer
  /** Key Vault's `cer`: base64 of the DER. */
  cer: string
  /** Key Vault's `x5t`: base64url (no padding) of the SHA-1 of the DER. */
  x5t: string
  notBefore: Date
  notAfter: Date
  /** notBefore in Unix seconds, as in Key Vault's `attributes.nbf`. */
  nbf: number
  /** notAfter in Unix seconds, as in Key Vault's `attributes.exp`. */
  exp: number
  /** Subject in Key Vault's text form ("CN=leaf, O=Org, C=US"). */
  subject: string
  /** Issuer in the same form. */
  issuer: string
  /** Serial number, uppercase hex. */
  serialNumber: string
  /** Subject alternative names in Key Vault's `sans` shape; undefined when the certificate has none. */
  sans?: SubjectAlternativeNames
  /** Key usage names; empty when the extension is absent. */
  keyUsage: KeyUsageName[]
  /** Extended key usage OIDs; empty when the extension is absent. */
  ekus: string[]
  /** Basic constraints; undefined when the extension is absent. */
  basicConstraints?: { ca: boolean }
  publicKey: KeyObject
}

/** Key Vault's `x5t` for DER certificate bytes. */
export function thumbprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('base64url')
}

function extensionsOf(tbs: Asn1[]): Map<string, Asn1> {
  const out = new Map<string, Asn1>()
  const wrapper = tbs.find((n) => isContext(n, 3))
  if (!wrapper) return out
  for (const ext of items(at(wrapper.children, 0))) {
    const parts = items(ext)
    const value = readOctets(parts[parts.length - 1])
    out.set(readOid(at(parts, 0)), decode(value))
  }
  return out
}

/**
 * Read a DER certificate. Throws BadParameterError ("The specified X.509 certificate content is invalid.")
 * when it is not a well-formed X.509 certificate.
 */
export function certificateFacts(input: Uint8Array): CertificateFacts {
  const der = Buffer.from(input)
  try {
    const x509 = new X509Certificate(der)
    const tbs = items(at(items(decode(der)), 0))
    const offset = isContext(tbs[0], 0) ? 1 : 0
    const validity = items(at(tbs, offset + 3))
    const ext = extensionsOf(tbs)
    const ku = ext.get(OID.keyUsage)
    const bc = ext.get(OID.basicConstraints)
    const san = ext.get(OID.subjectAltName)
    const sans = san ? decodeSans(san) : undefined
    const notBefore = readTime(at(validity, 0))
    const notAfter = readTime(at(validity, 1))
    const bcItems = bc ? items(bc) : []
    const kuBits = ku ? readBits(ku) : []
    return {
      der,
      cer: der.toString('base64'),
      x5t: thumbprint(der),
      notBefore,
      notAfter,
      nbf: Math.floor(notBefore.getTime() / 1000),
      exp: Math.floor(notAfter.getTime() / 1000),
      subject: formatName(decodeName(at(tbs, offset + 4))),
      issuer: formatName(decodeName(at(tbs, offset + 2))),
      serialNumber: x509.serialNumber.toUpperCase(),
      ...(sans && Object.keys(sans).length > 0 ? { sans } : {}),
      keyUsage: KEY_USAGES.filter((_, i) => kuBits[i] === true),
      ekus: ext.has(OID.extKeyUsage) ? items(ext.get(OID.extKeyUsage)).map((e) => readOid(e)) : [],
      ...(bc ? { basicConstraints: { ca: bcItems[0]?.tag === Tag.Boolean ? readBool(bcItems[0]) : false } } : {}),
      publicKey: x509.publicKey,
    }
  } catch (err) {
    throw new BadParameterError('The specified X.509 certificate content is invalid.', { cause: err })
  }
}
