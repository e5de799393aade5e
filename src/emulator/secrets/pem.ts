/**
 * `outContentType` (api-version 2025-07-01+): Key Vault converts the PFX behind a certificate into PEM (PKCS#8
 * private key followed by the certificates, leaf first) and refuses every other transformation.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import forge from 'node-forge'
import { badParameter } from '../http/errors.js'

export const PFX_CONTENT_TYPE = 'application/x-pkcs12'
export const PEM_CONTENT_TYPE = 'application/x-pem-file'

function formatName(contentType: string | undefined): 'PFX' | 'PEM' | 'Unsupported' {
  if (contentType === PFX_CONTENT_TYPE) return 'PFX'
  if (contentType === PEM_CONTENT_TYPE) return 'PEM'
  return 'Unsupported'
}

/**
 * The value and content type to return for a GET with `outContentType`. Only the secret behind a certificate
 * (`managed`) has a convertible format. Throws 400 for any other transformation, with the service's wording.
 */
export function transformSecret(
  value: string,
  contentType: string | undefined,
  managed: boolean,
  outContentType: string,
): { value: string; contentType: string | undefined } {
  const source = managed ? formatName(contentType) : 'Unsupported'
  const target = formatName(outContentType)
  if (source !== 'Unsupported' && source === target) return { value, contentType }
  if (source === 'PFX' && target === 'PEM') return { value: pfxToPem(value), contentType: PEM_CONTENT_TYPE }
  throw badParameter(`The '${source}' to '${target}' transformation is not supported. Only PFX to PEM transformation is supported.`)
}

/** Convert an unprotected base64 PKCS#12 into PEM. Throws 400 when the value is not such a PFX. */
export function pfxToPem(base64Pfx: string): string {
  let p12: forge.pkcs12.Pkcs12Pfx
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(base64Pfx)), '')
  } catch {
    throw badParameter('The secret value is not a PKCS#12 (PFX) file without a password; it cannot be converted to PEM.')
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ]
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? []
  const keys = keyBags.flatMap((b) => (b.key ? [b.key as forge.pki.rsa.PrivateKey] : []))
  const certs = certBags.flatMap((b) => (b.cert ? [b.cert] : []))
  if (keys.length === 0 || certs.length === 0) {
    throw badParameter('The secret value does not hold both a private key and a certificate; it cannot be converted to PEM.')
  }
  const key = keys[0] as forge.pki.rsa.PrivateKey
  const leafFirst = [...certs].sort((a, b) => Number(isKeyOf(b, key)) - Number(isKeyOf(a, key)))
  const keyDer = forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key))).getBytes()
  const keyPem = createPrivateKey({ key: Buffer.from(keyDer, 'binary'), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' })
  const certPems = leafFirst.map((c) => new X509Certificate(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary')).toString())
  return [keyPem.toString(), ...certPems].join('')
}

function isKeyOf(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): boolean {
  const pub = cert.publicKey as forge.pki.rsa.PublicKey
  return pub.n !== undefined && pub.n.equals(key.n)
}
