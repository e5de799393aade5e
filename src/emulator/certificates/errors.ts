/**
 * The Certificates API's own error responses (worded as Key Vault words them where its wording is known), and the
 * bridge from the certificate and key libraries' errors to wire errors.
 */
import { KvHttpError } from '../http/errors.js'
import { CryptoServiceError } from '../keys/crypto.js'
import { BadParameterError } from './x509-errors.js'

/** 404 for a certificate without a pending operation (recorded wording). */
export function pendingNotFound(name: string): KvHttpError {
  return new KvHttpError(404, 'PendingCertificateNotFound', `Pending Certificate not found: ${name}`)
}

/** 404 for an unknown issuer (recorded wording). */
export function issuerNotFound(): KvHttpError {
  return new KvHttpError(404, 'CertificateIssuerNotFound', 'Issuer not found')
}

/** 404 for a vault without certificate contacts (recorded wording). */
export function contactsNotFound(): KvHttpError {
  return new KvHttpError(404, 'ContactsNotFound', 'Contacts not found')
}

/** 409 for a create or import while a request runs (status, code and text as in Key Vault's certificate-scenarios doc). */
export function requestInProgress(): KvHttpError {
  return new KvHttpError(409, 'Forbidden', "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress.")
}

/** 403 for a merge into a request a CA issuer (or Self) is still working on (documented text, its typo included). */
export function mergeForbidden(issuer: string): KvHttpError {
  return new KvHttpError(403, 'Forbidden', `Merge is forbidden on pending object created with issuer : ${issuer} while it is in progess.`)
}

/**
 * Run `fn`, turning the libraries' errors into Key Vault's wire errors: BadParameterError (bad policy, PFX, PEM,
 * merge chain) into 400 BadParameter, CryptoServiceError (bad key parameters) into its own status and code.
 */
export async function wireErrors<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw toWire(err)
  }
}

/** The same for synchronous code. */
export function wireErrorsSync<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw toWire(err)
  }
}

function toWire(err: unknown): unknown {
  if (err instanceof BadParameterError) return new KvHttpError(400, err.keyVaultCode, err.message)
  if (err instanceof CryptoServiceError) return new KvHttpError(err.status, err.code, err.message, err.innerCode === undefined ? {} : { innerCode: err.innerCode })
  return err
}
