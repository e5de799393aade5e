/**
 * Keyed identifiers: content ids, snapshot ids and MACs over repository metadata, all HMAC-SHA256 under the
 * repository id key with a distinct domain label, so a storage reader cannot confirm guesses of contents.
 */
import { hmacSha256 } from './mac.js'

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * The id of a content: hex HMAC-SHA256(idKey, "kvdr/content-id/v1\0" type "\0" plaintext). `type` must not
 * contain NUL (the repository restricts types to `[a-z0-9-]`), which makes the input unambiguous.
 */
export function contentIdHex(idKey: Uint8Array, type: string, plaintext: Uint8Array): string {
  if (type.includes('\0')) throw new RangeError('a content type cannot contain NUL')
  return hex(hmacSha256(idKey, utf8(`kvdr/content-id/v1\0${type}\0`), plaintext))
}

/** The id of a snapshot: hex HMAC-SHA256(idKey, "kvdr/snapshot-id/v1\0" manifest plaintext). */
export function snapshotIdHex(idKey: Uint8Array, manifestPlaintext: Uint8Array): string {
  return hex(hmacSha256(idKey, utf8('kvdr/snapshot-id/v1\0'), manifestPlaintext))
}

/** The id of a forget record: hex HMAC-SHA256(idKey, "kvdr/forget-id/v1\0" record plaintext). */
export function forgetIdHex(idKey: Uint8Array, plaintext: Uint8Array): string {
  return hex(hmacSha256(idKey, utf8('kvdr/forget-id/v1\0'), plaintext))
}

/**
 * A keyed fingerprint of `data` for comparing values without revealing them (backup records compare secret
 * versions this way): hex HMAC-SHA256(idKey, "kvdr/fingerprint/v1\0" label "\0" data). `label` names what
 * is fingerprinted and must not contain NUL.
 */
export function fingerprintHex(idKey: Uint8Array, label: string, data: Uint8Array): string {
  if (label.includes('\0')) throw new RangeError('a fingerprint label cannot contain NUL')
  return hex(hmacSha256(idKey, utf8(`kvdr/fingerprint/v1\0${label}\0`), data))
}

/** A MAC over a metadata blob body (config, key slot): HMAC-SHA256(idKey, label "\0" body), base64. */
export function metadataMac(idKey: Uint8Array, label: string, body: string): string {
  return Buffer.from(hmacSha256(idKey, utf8(`${label}\0`), utf8(body))).toString('base64')
}

/**
 * A short public fingerprint of the key material (not secret): lets a client notice that the repository
 * at a location now has different keys than the last time it was opened (a substituted repository).
 */
export function keyFingerprint(idKey: Uint8Array): string {
  return hex(hmacSha256(idKey, utf8('kvdr/key-fingerprint/v1'))).slice(0, 32)
}
