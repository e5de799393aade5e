/**
 * Repository master keys (a content/manifest encryption key and an id/MAC key) and how a key slot wraps
 * them: each slot derives or holds a 32-byte slot key and seals the master keys under it with AES-256-GCM.
 */
import { open, seal } from './aead.js'
import { AuthenticationError } from './errors.js'
import { hkdfSha256, scryptKey, type ScryptParams } from './kdf.js'
import { randomBytes } from './mac.js'

/** The repository's secret keys. Never written anywhere unwrapped. */
export interface MasterKeys {
  /** AES-256-GCM key for contents, pages, manifests and forget records. */
  readonly encKey: Uint8Array
  /** HMAC-SHA256 key for content ids, snapshot ids and the MACs of config and key slots. */
  readonly idKey: Uint8Array
}

const MASTER_VERSION = 1

/** Fresh random master keys for a new repository. */
export function generateMasterKeys(): MasterKeys {
  return { encKey: randomBytes(32), idKey: randomBytes(32) }
}

/** Seal `keys` under `slotKey`, bound to `context` (the slot's identity). */
export function wrapMasterKeys(slotKey: Uint8Array, keys: MasterKeys, context: string): Uint8Array {
  const plain = new Uint8Array([MASTER_VERSION, ...keys.encKey, ...keys.idKey])
  return seal(slotKey, plain, Buffer.from(context, 'utf8'))
}

/** Reverse of wrapMasterKeys. Throws AuthenticationError for a wrong slot key or altered bytes/context. */
export function unwrapMasterKeys(slotKey: Uint8Array, wrapped: Uint8Array, context: string): MasterKeys {
  const plain = open(slotKey, wrapped, Buffer.from(context, 'utf8'))
  if (plain.byteLength !== 65 || plain[0] !== MASTER_VERSION) throw new AuthenticationError('unknown master key layout')
  return { encKey: plain.slice(1, 33), idKey: plain.slice(33, 65) }
}

/** The slot key of a passphrase slot: scrypt(passphrase, salt, params). */
export function passphraseSlotKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  return scryptKey(passphrase, salt, params)
}

/** The slot key of a recovery-key slot: HKDF-SHA256(recoveryKey, salt). A recovery key is already 256 random bits. */
export function recoverySlotKey(recoveryKey: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdfSha256(recoveryKey, salt, 'kvdr/recovery-slot/v1')
}

/** A random slot key, for slots whose key is itself wrapped elsewhere (a Key Vault KEK). */
export function randomSlotKey(): Uint8Array {
  return randomBytes(32)
}

/** A random salt for a new slot. */
export function newSalt(): Uint8Array {
  return randomBytes(16)
}
