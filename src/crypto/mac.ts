/** Keyed hashing (HMAC-SHA256), plain digests, random bytes and constant-time comparison. */
import { createHash, createHmac, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto'

/**
 * HMAC-SHA256 of the concatenation of `parts`. Callers make the concatenation unambiguous themselves
 * (fixed domain labels, NUL separators in strings that cannot contain NUL, or length prefixes).
 */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key)
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** SHA-256 of `data`. Not for secrets: use hmacSha256 when a reader must not be able to confirm guesses. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

/** Equality of two byte strings in time independent of where they differ. False for different lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

/** `n` bytes from the operating system's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return new Uint8Array(nodeRandomBytes(n))
}
