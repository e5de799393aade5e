/**
 * The Keys API's own refusals and the bridge from the key library's CryptoServiceError to the HTTP error the
 * server renders. Messages name keys and operations, never key material or operation payloads.
 */
import { KvHttpError, badParameter } from '../http/errors.js'
import { CryptoServiceError, decodeBase64Url } from './crypto.js'

/** The same error as Key Vault writes it, from the library's `toWire()` body. */
function cryptoHttpError(err: CryptoServiceError): KvHttpError {
  const { error } = err.toWire()
  return new KvHttpError(err.status, error.code, error.message, error.innererror === undefined ? {} : { innerCode: error.innererror.code })
}

/** Run `fn`, turning a CryptoServiceError into the KvHttpError the server renders. */
export function onTheWire<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof CryptoServiceError) throw cryptoHttpError(err)
    throw err
  }
}

/** The async form of onTheWire. */
export async function onTheWireAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof CryptoServiceError) throw cryptoHttpError(err)
    throw err
  }
}

/**
 * 403 for a private-key operation (decrypt, sign, unwrapKey) on a disabled key version, as the service answers
 * (public-key operations on disabled keys are allowed, see azure-sdk-for-python#45342).
 */
export function keyDisabled(operation: string): KvHttpError {
  return new KvHttpError(403, 'Forbidden', `Operation ${operation} is not allowed on a disabled key.`, { innerCode: 'KeyDisabled' })
}

/** A required base64url member of a request body, decoded. Throws 400 naming the member. */
export function base64UrlMember(body: Record<string, unknown>, member: string): Buffer {
  const raw = body[member]
  if (raw === undefined || raw === null) throw badParameter(`Property '${member}' is required.`)
  const bytes = decodeBase64Url(raw)
  if (bytes === undefined) throw badParameter(`Property '${member}' must be base64url encoded.`)
  return bytes
}
