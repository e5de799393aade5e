/** Certificate chains as Key Vault keeps them: the leaf (the certificate of the key pair) first, then its issuers. */
import type { KeyObject } from 'node:crypto'
import { certificateFacts, type CertificateFacts } from './x509-facts.js'
import { sameKey } from './x509-keys.js'

/** Index of the first certificate whose public key is `key`'s, or -1. */
export function findLeaf(certs: readonly CertificateFacts[], key: KeyObject): number {
  return certs.findIndex((c) => sameKey(c.publicKey, key))
}

/**
 * The leaf first, then the certificate that issued it, and so on (matched by issuer and subject names),
 * then any certificates left over in their original order.
 */
export function leafFirst(certs: readonly CertificateFacts[], leafIndex: number): CertificateFacts[] {
  const rest = certs.filter((_, i) => i !== leafIndex)
  const ordered = [certs[leafIndex] as CertificateFacts]
  for (;;) {
    const last = ordered[ordered.length - 1] as CertificateFacts
    if (last.issuer === last.subject) break
    const next = rest.findIndex((c) => c.subject === last.issuer)
    if (next < 0) break
    ordered.push(...rest.splice(next, 1))
  }
  return [...ordered, ...rest]
}

/** Facts for each DER certificate. Throws BadParameterError for one that does not parse. */
export function factsOf(ders: readonly Uint8Array[]): CertificateFacts[] {
  return ders.map((d) => certificateFacts(d))
}
