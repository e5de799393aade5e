/** The Key Vault errors the certificate library raises: all are HTTP 400 `BadParameter`, worded as the service words them. */
import { ExitCode, KvdrError, type KvdrErrorOptions } from '../../core/errors.js'

/**
 * Bad certificate input (policy, subject, PFX/PEM content, merge chain). The routes answer it as
 * `400 {"error":{"code":"BadParameter","message":<message>}}`. Messages never contain key material or passwords.
 */
export class BadParameterError extends KvdrError {
  /** HTTP status the emulator answers with. */
  readonly status = 400
  /** Key Vault's `error.code`. */
  readonly keyVaultCode = 'BadParameter'

  constructor(message: string, options: KvdrErrorOptions = {}) {
    super('KEYVAULT_BAD_PARAMETER', ExitCode.Usage, message, options)
    this.name = 'BadParameterError'
  }
}

/**
 * Messages observed from the real service (quoted in Azure SDK / docs issues), reused verbatim. Where the
 * service's wording is not known, the message follows its style and says so in the constant's doc.
 */
export const Messages = {
  /** PFX that does not decode, or whose password is wrong (the service does not tell the two apart). */
  pfxUnreadable: 'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.',
  /** PFX or PEM whose private key belongs to none of its certificates, or that has no (or several) keys. */
  noCertificateWithKey:
    'No certificate with private key found in the specified X.509 certificate content. Please specify X.509 certificate content with only one certificate containing private key.',
  /** PEM without a private key block. */
  pemNoKey: 'Private key is not specified in the specified X.509 PEM certificate content. Please specify private key in the X.509 PEM certificate content.',
  /** PEM that does not parse, including a PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY` block (the service wants PKCS#8). */
  pemUnexpectedFormat: 'The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.',
  /** Merge whose x5c has no certificate for the pending key pair, or none that parses. */
  mergeNoLeaf: 'Unable to parse X5c certificate chain and locate leaf certificate',
  /** Merge with an empty x5c. */
  mergeEmpty: 'Property x5c has invalid value X5C must has at least one valid item',
  /** Subject that is not an X.500 distinguished name. */
  invalidSubject: 'Property policy.x509_props has invalid value. Invalid X.500 distinguished name',
} as const

/** `Property <path> has invalid value<detail>` — the service's wording for a bad policy field. */
export function invalidProperty(path: string, detail?: string): BadParameterError {
  return new BadParameterError(`Property ${path} has invalid value${detail ? `. ${detail}` : ''}`)
}
