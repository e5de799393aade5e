/** The value of a certificate's managed secret: base64 PFX or PEM text, per the policy's secret_props.contentType. */
import type { KeyObject } from 'node:crypto'
import { CONTENT_TYPE_PEM, type SecretContentType } from './policy.js'
import { readPem, writePem } from './pem.js'
import { readPfx, writePfx } from './pkcs12.js'

/** What a certificate's secret holds. */
export interface CertificateSecret {
  /** The private key; absent when the policy's key is not exportable. */
  key?: KeyObject
  /** DER certificates, leaf first. */
  chain: Buffer[]
}

/**
 * The secret value Key Vault stores for a certificate: for application/x-pkcs12 the base64 of a PFX
 * without password (see writePfx), for application/x-pem-file the PEM text (see writePem). Synchronous.
 */
export function certificateSecretValue(secret: CertificateSecret, contentType: SecretContentType): string {
  return contentType === CONTENT_TYPE_PEM ? writePem(secret) : writePfx(secret).toString('base64')
}

/**
 * Read a certificate secret's value back (e.g. to serve it in the other content type). Throws
 * BadParameterError when the value is not in `contentType`'s format.
 */
export function readCertificateSecret(value: string, contentType: SecretContentType): CertificateSecret {
  const contents = contentType === CONTENT_TYPE_PEM ? readPem(value) : readPfx(Buffer.from(value, 'base64'))
  return { ...(contents.keys[0] ? { key: contents.keys[0] } : {}), chain: contents.certs }
}
