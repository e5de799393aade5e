/** Merge: the chain a CA signed for a pending request (`x5c`), checked against the pending key pair. */
import { factsOf, findLeaf, leafFirst } from './x509-chain.js'
import { BadParameterError, Messages } from './x509-errors.js'
import type { CertificateFacts } from './x509-facts.js'
import { toPublicKey, type CertificateKeyInput } from './x509-keys.js'

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/

/**
 * The DER certificates in one x5c entry. The entry is base64 of DER; clients also send base64 of PEM text,
 * with or without the BEGIN line (the Azure SDK's own merge test does), which the service accepts too.
 */
function entryCertificates(entry: string): Buffer[] {
  const bytes = Buffer.from(entry, 'base64')
  if (bytes[0] === 0x30) return [bytes]
  const text = bytes.toString('latin1')
  const blocks = [...text.matchAll(CERT_BLOCK)].map((m) => m[1] as string)
  const bodies = blocks.length > 0 ? blocks : [text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')]
  return bodies.map((b) => {
    if (!BASE64_TEXT.test(b)) throw new BadParameterError(Messages.mergeNoLeaf)
    return Buffer.from(b.replace(/\s+/g, ''), 'base64')
  })
}

/** A merged certificate: the chain to store, leaf first, and the leaf's facts. */
export interface MergedCertificate {
  chain: Buffer[]
  leaf: CertificateFacts
}

/**
 * Check a merge request's `x5c` against the pending operation's key pair (its private key, or just the
 * public key). The leaf is the certificate of that key, wherever it is in the list; the chain comes back
 * leaf first. Throws BadParameterError with Key Vault's messages: for an empty x5c, and for entries that do
 * not parse or a chain without a certificate for the pending key.
 */
export function mergeCertificate(x5c: readonly string[], pendingKey: CertificateKeyInput): MergedCertificate {
  if (x5c.length === 0) throw new BadParameterError(Messages.mergeEmpty)
  let certs: CertificateFacts[]
  try {
    certs = factsOf(x5c.flatMap(entryCertificates))
  } catch (err) {
    throw new BadParameterError(Messages.mergeNoLeaf, { cause: err })
  }
  const leafIndex = findLeaf(certs, toPublicKey(pendingKey))
  if (leafIndex < 0) {
    throw new BadParameterError(Messages.mergeNoLeaf, { hint: "No certificate in x5c carries the pending request's public key: sign the CSR of this pending operation." })
  }
  const chain = leafFirst(certs, leafIndex)
  return { chain: chain.map((c) => c.der), leaf: chain[0] as CertificateFacts }
}
