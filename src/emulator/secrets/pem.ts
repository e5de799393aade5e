/**
 * `outContentType` (api-version 2025-07-01+): Key Vault converts the PFX behind a certificate into PEM (PKCS#8
 * private key followed by the certificates, leaf first) and refuses every other transformation. The conversion uses
 * the certificates module's PKCS#12/PEM library (RSA and EC keys).
 */
import { CONTENT_TYPE_PEM, CONTENT_TYPE_PKCS12, certificateSecretValue, readCertificateSecret } from '../certificates/x509.js'
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

/**
 * Convert an unprotected base64 PKCS#12 into PEM: the PKCS#8 private key (absent for a non-exportable certificate),
 * then the certificates in the file's order (leaf first, as Key Vault writes them). Throws 400 when the value is not
 * such a PFX.
 */
export function pfxToPem(base64Pfx: string): string {
  let secret
  try {
    secret = readCertificateSecret(base64Pfx, CONTENT_TYPE_PKCS12)
  } catch {
    throw badParameter('The secret value is not a PKCS#12 (PFX) file without a password; it cannot be converted to PEM.')
  }
  if (secret.chain.length === 0) throw badParameter('The secret value holds no certificate; it cannot be converted to PEM.')
  return certificateSecretValue(secret, CONTENT_TYPE_PEM)
}
