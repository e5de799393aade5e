/** AES-256-GCM sealing with a random 96-bit nonce: the only authenticated encryption kvdr uses. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AuthenticationError } from './errors.js'

export const KEY_BYTES = 32
export const NONCE_BYTES = 12
export const TAG_BYTES = 16
/** Bytes `seal` adds to the plaintext. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES

function checkKey(key: Uint8Array): void {
  if (key.byteLength !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.byteLength}`)
}

/**
 * Encrypt and authenticate `plaintext`, binding `aad` (authenticated, not encrypted).
 * Returns `nonce (12) || ciphertext || tag (16)`. A fresh random nonce is drawn for every call, so two
 * seals of the same plaintext differ.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  checkKey(key)
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]))
}

/**
 * Reverse of `seal`. Throws AuthenticationError when the bytes were altered or truncated, when `aad`
 * differs from the sealing call's, or when `key` is not the sealing key. Never returns unauthenticated data.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  checkKey(key)
  if (sealed.byteLength < SEAL_OVERHEAD) throw new AuthenticationError('the sealed data is truncated')
  const nonce = sealed.subarray(0, NONCE_BYTES)
  const tag = sealed.subarray(sealed.byteLength - TAG_BYTES)
  const body = sealed.subarray(NONCE_BYTES, sealed.byteLength - TAG_BYTES)
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag)
  try {
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]))
  } catch {
    throw new AuthenticationError()
  }
}
