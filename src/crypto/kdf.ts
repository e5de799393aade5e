/** Key derivation: scrypt for passphrases (parameters stored per key slot), HKDF-SHA256 for high-entropy keys. */
import { hkdfSync, scrypt } from 'node:crypto'

/** scrypt cost parameters. `N` (a power of two) sets CPU and memory cost: memory is 128 * N * r bytes. */
export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** The default for new passphrase slots: N=2^17, r=8, p=1 (128 MiB, a few hundred ms on a server core). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }

/** Limits a stored slot may ask for; anything outside is refused rather than run. */
export const SCRYPT_LIMITS = { minLogN: 10, maxLogN: 22, maxR: 32, maxP: 16 } as const

/**
 * Returns a reason when `params` are not acceptable scrypt parameters, else undefined.
 * Bounded both ways: too weak is refused, and so is a tampered slot asking for gigabytes of memory.
 */
export function scryptParamsProblem(params: ScryptParams): string | undefined {
  const { N, r, p } = params
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p)) return 'scrypt parameters must be integers'
  const logN = Math.log2(N)
  if (!Number.isInteger(logN) || logN < SCRYPT_LIMITS.minLogN || logN > SCRYPT_LIMITS.maxLogN) {
    return `scrypt N must be a power of two between 2^${SCRYPT_LIMITS.minLogN} and 2^${SCRYPT_LIMITS.maxLogN}`
  }
  if (r < 1 || r > SCRYPT_LIMITS.maxR) return `scrypt r must be between 1 and ${SCRYPT_LIMITS.maxR}`
  if (p < 1 || p > SCRYPT_LIMITS.maxP) return `scrypt p must be between 1 and ${SCRYPT_LIMITS.maxP}`
  return undefined
}

/**
 * Derive a 32-byte key from a passphrase with scrypt. The passphrase is Unicode-normalised (NFC) first so
 * the same passphrase typed on different systems derives the same key. Throws RangeError for parameters
 * outside SCRYPT_LIMITS.
 */
export async function scryptKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  const problem = scryptParamsProblem(params)
  if (problem) throw new RangeError(problem)
  const maxmem = 128 * params.N * params.r * params.p + 64 * 1024 * 1024
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(err)
      else resolve(new Uint8Array(key))
    })
  })
}

/** HKDF-SHA256 (RFC 5869) of a high-entropy input key into `length` bytes, separated by `info`. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), length))
}
