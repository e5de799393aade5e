/**
 * Offline recovery keys: 256 random bits shown to a person as `KVDR-RK1-` and eleven groups of five
 * base32 characters, with a 16-bit checksum so a typo is reported as a typo rather than as a wrong key.
 */
import { randomBytes, sha256 } from './mac.js'

const PREFIX = 'KVDR-RK1-'
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const KEY_BYTES = 32
const CHECK_BYTES = 2
const CHARS = Math.ceil(((KEY_BYTES + CHECK_BYTES) * 8) / 5)

/** Why a recovery key could not be read; the message is safe to show (it never repeats the key). */
export class RecoveryKeyFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RecoveryKeyFormatError'
  }
}

/** A new random recovery key (32 bytes). */
export function generateRecoveryKey(): Uint8Array {
  return randomBytes(KEY_BYTES)
}

function base32(bytes: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** The printable form: `KVDR-RK1-XXXXX-XXXXX-...` (11 groups). */
export function formatRecoveryKey(key: Uint8Array): string {
  if (key.byteLength !== KEY_BYTES) throw new RangeError(`a recovery key is ${KEY_BYTES} bytes`)
  const chars = base32(new Uint8Array([...key, ...sha256(key).subarray(0, CHECK_BYTES)]))
  return PREFIX + (chars.match(/.{1,5}/g) ?? []).join('-')
}

/**
 * Find and decode a recovery key in `text` (the whole recovery key file: comment lines starting with `#`
 * are ignored; case, spaces and dashes inside the key are not significant). Throws RecoveryKeyFormatError
 * when there is no key or its checksum does not match (a typo).
 */
export function parseRecoveryKey(text: string): Uint8Array {
  const compact = PREFIX.replace(/-/g, '')
  const line = text
    .split(/\r?\n/)
    .filter((l) => !l.trim().startsWith('#'))
    .map((l) => l.toUpperCase().replace(/[\s-]/g, ''))
    .find((l) => l.startsWith(compact))
  if (line === undefined) throw new RecoveryKeyFormatError(`no line starting with ${PREFIX} was found`)
  const chars = line.slice(compact.length)
  if (chars.length !== CHARS) throw new RecoveryKeyFormatError(`a recovery key has ${CHARS} characters after ${PREFIX}, this one has ${chars.length}`)
  const out = new Uint8Array(KEY_BYTES + CHECK_BYTES)
  let bits = 0
  let value = 0
  let n = 0
  for (const c of chars) {
    const v = ALPHABET.indexOf(c)
    if (v < 0) throw new RecoveryKeyFormatError(`"${c}" is not a recovery key character (A-Z, 2-7)`)
    value = ((value << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      if (n < out.length) out[n++] = (value >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  const key = out.subarray(0, KEY_BYTES)
  const check = sha256(key).subarray(0, CHECK_BYTES)
  if (check[0] !== out[KEY_BYTES] || check[1] !== out[KEY_BYTES + 1]) {
    throw new RecoveryKeyFormatError('the recovery key has a typo (its checksum does not match)')
  }
  return Uint8Array.from(key)
}
