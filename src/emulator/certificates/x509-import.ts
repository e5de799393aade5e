/**
 * Certificate import: the request's `value` (base64 PFX, or PEM text) and `pwd` to the key pair, the chain
 * and the facts of its leaf, with Key Vault's errors for what it refuses.
 */
import type { KeyObject } from 'node:crypto'
import { CONTENT_TYPE_PEM, CONTENT_TYPE_PKCS12, deriveImportPolicy, type CertificatePolicy, type CompletePolicy, type SecretContentType } from './policy.js'
import { readPem } from './pem.js'
import { readPfx } from './pkcs12.js'
import { factsOf, findLeaf, leafFirst } from './x509-chain.js'
import { BadParameterError, invalidProperty, Messages } from './x509-errors.js'
import type { CertificateFacts } from './x509-facts.js'
import { describeKey } from './x509-keys.js'

/** The parts of an import request this library reads. */
export interface ImportRequest {
  /** The request's `value`: a base64 PFX, or the PEM text when `contentType` is application/x-pem-file. */
  value: string
  /** The request's `pwd`. */
  password?: string
  /** The request's `policy` (optional); its secret_props.contentType says how to read `value` (default PKCS#12). */
  policy?: CertificatePolicy
  /** The request's `preserveCertOrder`: keep the chain in the order given instead of leaf first. */
  preserveCertOrder?: boolean
}

/** An imported certificate, ready to store. */
export interface ImportedCertificate {
  /** The private key (of the leaf). */
  key: KeyObject
  /** DER certificates: leaf first (then its issuers), or as given with preserveCertOrder. */
  chain: Buffer[]
  /** Facts of the leaf (cer, x5t, nbf, exp, ...). */
  leaf: CertificateFacts
  /** How the value was read, and how the certificate's secret is stored. */
  contentType: SecretContentType
  /** The policy Key Vault gives the certificate. */
  policy: CompletePolicy
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function base64Bytes(value: string): Buffer | undefined {
  const compact = value.replace(/\s+/g, '')
  return BASE64.test(compact) && compact.length % 4 === 0 && compact.length > 0 ? Buffer.from(compact, 'base64') : undefined
}

function pemText(value: string): string {
  if (value.includes('-----BEGIN')) return value
  return base64Bytes(value)?.toString('utf8') ?? value
}

/**
 * Read an import request. Throws BadParameterError, worded as Key Vault words it, for: an unreadable PFX or
 * a wrong password; PEM not in the expected format (including non-PKCS#8 keys); a PEM without a key; no
 * key, several keys, or a key that belongs to none of the certificates; a bad sent policy.
 */
export function importCertificate(req: ImportRequest): ImportedCertificate {
  const sent = req.policy?.secret_props?.contentType ?? CONTENT_TYPE_PKCS12
  if (sent !== CONTENT_TYPE_PKCS12 && sent !== CONTENT_TYPE_PEM) {
    throw invalidProperty('policy.secret_props.contentType', `Content type must be ${CONTENT_TYPE_PKCS12} or ${CONTENT_TYPE_PEM}.`)
  }
  let contents
  if (sent === CONTENT_TYPE_PEM) {
    contents = readPem(pemText(req.value), req.password)
    if (contents.keys.length === 0) throw new BadParameterError(Messages.pemNoKey)
  } else {
    const der = base64Bytes(req.value)
    if (!der) throw new BadParameterError(Messages.pfxUnreadable, { hint: 'Send the PFX base64-encoded; for PEM, set policy.secret_props.contentType to application/x-pem-file.' })
    contents = readPfx(der, req.password)
  }
  if (contents.keys.length !== 1 || contents.certs.length === 0) throw new BadParameterError(Messages.noCertificateWithKey)
  const key = contents.keys[0] as KeyObject
  const certs = factsOf(contents.certs)
  const leafIndex = findLeaf(certs, key)
  if (leafIndex < 0) throw new BadParameterError(Messages.noCertificateWithKey, { hint: 'The private key belongs to none of the certificates.' })
  let shape
  try {
    shape = describeKey(key)
  } catch (err) {
    throw new BadParameterError('The specified X.509 certificate content is invalid. Error: One or more X.509 properties are invalid.', { cause: err })
  }
  const ordered = req.preserveCertOrder ? certs : leafFirst(certs, leafIndex)
  const leaf = certs[leafIndex] as CertificateFacts
  return {
    key,
    chain: ordered.map((c) => c.der),
    leaf,
    contentType: sent,
    policy: deriveImportPolicy(leaf, shape, sent, req.policy),
  }
}
