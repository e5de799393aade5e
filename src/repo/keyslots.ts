/**
 * Key slots (`keys/<slot id>`): each a create-once blob that wraps the repository master keys under a key
 * the user holds - a passphrase (scrypt), an offline recovery key (HKDF), or a Key Vault key (RSA-OAEP-256
 * via KeyWrapper). Slot metadata is MAC'ed under the master keys, so `check` verifies every slot.
 */
import { errorMessage } from '../core/errors.js'
import { AuthenticationError } from '../crypto/errors.js'
import { type ScryptParams, scryptParamsProblem } from '../crypto/kdf.js'
import { KEK_ALGORITHM, type KeyWrapper, parseKeyVaultKeyId } from '../crypto/keywrap.js'
import { randomBytes } from '../crypto/mac.js'
import {
  type MasterKeys,
  newSalt,
  passphraseSlotKey,
  randomSlotKey,
  recoverySlotKey,
  unwrapMasterKeys,
  wrapMasterKeys,
} from '../crypto/master.js'
import { generateRecoveryKey } from '../crypto/recovery.js'
import { isRecord, strictBase64, toBase64 } from './encoding.js'
import { RepoKeyError } from './errors.js'
import { decodeSigned, encodeSigned, type SignedBlob, verifySigned } from './signed.js'

export const KEYS_PREFIX = 'keys/'
const MAC_LABEL = 'kvdr/keyslot-mac/v1'
const SLOT_ID_RE = /^[0-9a-f]{16}$/

export type SlotType = 'passphrase' | 'recovery' | 'kek'

/** What `kvdr repo key list` shows about a slot. Never secret. */
export interface KeySlotInfo {
  id: string
  type: SlotType
  label: string
  created: string
  /** For `kek` slots: the versioned Key Vault key id that wraps this slot. */
  keyId?: string
}

/** A slot parsed from its blob, not yet verified (verification needs the master keys). */
export interface ParsedSlot {
  info: KeySlotInfo
  repositoryId: string
  blob: string
  signed: SignedBlob
  wrapped: Uint8Array
  kdf?: ScryptParams & { salt: Uint8Array }
  salt?: Uint8Array
  wrappedKey?: Uint8Array
}

/** What the caller can offer to open a repository. Each is tried only against slots of its type. */
export interface Credentials {
  passphrase?: string
  recoveryKey?: Uint8Array
  /** Where the recovery key came from (a file name), for messages. */
  recoveryKeySource?: string
  /** Builds a KeyWrapper for a slot's Key Vault key; absent when this process cannot reach Key Vault. */
  keyWrapperFor?: (keyId: string) => KeyWrapper
}

export function slotBlobName(id: string): string {
  return `${KEYS_PREFIX}${id}`
}

function wrapContext(repositoryId: string, id: string, type: SlotType): string {
  return `kvdr/keyslot/v1\0${repositoryId}\0${id}\0${type}`
}

/** A new slot to create: the passphrase, or nothing for a generated recovery key, or the KEK to wrap with. */
export type NewSlot =
  | { type: 'passphrase'; passphrase: string; kdf: ScryptParams; label?: string }
  | { type: 'recovery'; label?: string }
  | { type: 'kek'; wrapper: KeyWrapper; label?: string }

/** A slot ready to store, with the generated recovery key when one was asked for (shown once, never stored). */
export interface CreatedSlot {
  name: string
  bytes: Uint8Array
  info: KeySlotInfo
  recoveryKey?: Uint8Array
}

/**
 * Build a key slot for `keys`. For `kek` slots this calls the wrapper once (Key Vault `wrapKey`). Throws
 * RepoKeyError when the KEK cannot be used, with what to check.
 */
export async function createSlot(spec: NewSlot, keys: MasterKeys, repositoryId: string, now: Date): Promise<CreatedSlot> {
  const id = Buffer.from(randomBytes(8)).toString('hex')
  const created = now.toISOString()
  const label = spec.label ?? defaultLabel(spec.type)
  const context = wrapContext(repositoryId, id, spec.type)
  const base = { format: 'kvdr-keyslot', version: 1, id, repositoryId, type: spec.type, label, created }
  let body: Record<string, unknown>
  let recoveryKey: Uint8Array | undefined
  let keyId: string | undefined
  if (spec.type === 'passphrase') {
    const salt = newSalt()
    const slotKey = await passphraseSlotKey(spec.passphrase, salt, spec.kdf)
    body = { ...base, kdf: { name: 'scrypt', N: spec.kdf.N, r: spec.kdf.r, p: spec.kdf.p, salt: toBase64(salt) }, wrapped: toBase64(wrapMasterKeys(slotKey, keys, context)) }
  } else if (spec.type === 'recovery') {
    recoveryKey = generateRecoveryKey()
    const salt = newSalt()
    body = { ...base, salt: toBase64(salt), wrapped: toBase64(wrapMasterKeys(recoverySlotKey(recoveryKey, salt), keys, context)) }
  } else {
    const parsed = parseKeyVaultKeyId(spec.wrapper.keyId)
    if (!parsed) {
      throw new RepoKeyError(`"${spec.wrapper.keyId}" is not a versioned Key Vault key id.`, {
        hint: 'Give the full key id including its version: https://<vault>.vault.azure.net/keys/<name>/<version>.',
      })
    }
    const slotKey = randomSlotKey()
    let wrappedKey: Uint8Array
    try {
      wrappedKey = await spec.wrapper.wrap(slotKey)
    } catch (err) {
      throw new RepoKeyError(`The Key Vault key ${spec.wrapper.keyId} could not wrap the repository key: ${errorMessage(err)}`, {
        hint: `Check that ${parsed.vaultUrl} is reachable and that your identity has the wrapKey and unwrapKey permissions on key ${parsed.name}.`,
        cause: err,
      })
    }
    keyId = spec.wrapper.keyId
    body = {
      ...base,
      kek: { keyId, vaultUrl: parsed.vaultUrl, name: parsed.name, version: parsed.version, algorithm: KEK_ALGORITHM, wrappedKey: toBase64(wrappedKey) },
      wrapped: toBase64(wrapMasterKeys(slotKey, keys, context)),
    }
  }
  const info: KeySlotInfo = { id, type: spec.type, label, created, ...(keyId === undefined ? {} : { keyId }) }
  return { name: slotBlobName(id), bytes: encodeSigned(body, keys.idKey, MAC_LABEL), info, ...(recoveryKey ? { recoveryKey } : {}) }
}

function defaultLabel(type: SlotType): string {
  return type === 'passphrase' ? 'passphrase' : type === 'recovery' ? 'offline recovery key' : 'Key Vault key'
}

/** Parse a slot blob. Returns a reason string when it is malformed (reported by check, skipped by open). */
export function parseSlot(name: string, bytes: Uint8Array): ParsedSlot | string {
  const signed = decodeSigned(bytes)
  if (!signed) return 'not a well-formed key slot'
  const b = signed.body
  if (b.format !== 'kvdr-keyslot' || b.version !== 1) return 'not a version-1 key slot'
  if (typeof b.id !== 'string' || !SLOT_ID_RE.test(b.id) || slotBlobName(b.id) !== name) return 'its id does not match its name'
  if (typeof b.repositoryId !== 'string' || typeof b.label !== 'string' || typeof b.created !== 'string') return 'it lacks required fields'
  const wrapped = strictBase64(b.wrapped)
  if (!wrapped) return 'its wrapped key is malformed'
  const info: KeySlotInfo = { id: b.id, type: b.type as SlotType, label: b.label, created: b.created }
  const slot: ParsedSlot = { info, repositoryId: b.repositoryId, blob: name, signed, wrapped }
  if (b.type === 'passphrase') {
    const k = b.kdf
    const salt = isRecord(k) ? strictBase64(k.salt) : undefined
    if (!isRecord(k) || k.name !== 'scrypt' || !salt) return 'its KDF parameters are malformed'
    const params = { N: k.N, r: k.r, p: k.p } as ScryptParams
    const problem = scryptParamsProblem(params)
    if (problem) return `its KDF parameters are refused (${problem})`
    slot.kdf = { ...params, salt }
  } else if (b.type === 'recovery') {
    const salt = strictBase64(b.salt)
    if (!salt) return 'its salt is malformed'
    slot.salt = salt
  } else if (b.type === 'kek') {
    const k = b.kek
    const wrappedKey = isRecord(k) ? strictBase64(k.wrappedKey) : undefined
    if (!isRecord(k) || typeof k.keyId !== 'string' || !parseKeyVaultKeyId(k.keyId) || k.algorithm !== KEK_ALGORITHM || !wrappedKey) {
      return 'its Key Vault key reference is malformed'
    }
    slot.wrappedKey = wrappedKey
    info.keyId = k.keyId
  } else {
    return `its type "${String(b.type)}" is unknown`
  }
  return slot
}

/** True when the slot's MAC verifies under the repository's keys. */
export function verifySlot(slot: ParsedSlot, keys: MasterKeys): boolean {
  return verifySigned(slot.signed, keys.idKey, MAC_LABEL)
}

interface Attempt {
  slot: ParsedSlot
  failure: string
}

/**
 * Open the master keys with the first slot the credentials fit. Throws RepoKeyError naming each slot tried
 * and what to do when none opens, or when no credential fits any slot.
 */
export async function openWithCredentials(
  slots: ParsedSlot[],
  creds: Credentials,
  location: string,
): Promise<{ keys: MasterKeys; slot: ParsedSlot }> {
  const attempts: Attempt[] = []
  for (const slot of slots) {
    const context = wrapContext(slot.repositoryId, slot.info.id, slot.info.type)
    try {
      if (slot.info.type === 'passphrase' && creds.passphrase !== undefined && slot.kdf) {
        const key = await passphraseSlotKey(creds.passphrase, slot.kdf.salt, slot.kdf)
        return { keys: unwrapMasterKeys(key, slot.wrapped, context), slot }
      }
      if (slot.info.type === 'recovery' && creds.recoveryKey !== undefined && slot.salt) {
        return { keys: unwrapMasterKeys(recoverySlotKey(creds.recoveryKey, slot.salt), slot.wrapped, context), slot }
      }
      if (slot.info.type === 'kek' && creds.keyWrapperFor !== undefined && slot.wrappedKey && slot.info.keyId) {
        const wrapper = creds.keyWrapperFor(slot.info.keyId)
        const key = await wrapper.unwrap(slot.wrappedKey)
        return { keys: unwrapMasterKeys(key, slot.wrapped, context), slot }
      }
    } catch (err) {
      attempts.push({ slot, failure: err instanceof AuthenticationError ? 'does not open' : `failed: ${errorMessage(err)}` })
    }
  }
  throw noSlotOpened(slots, attempts, creds, location)
}

function describe(slot: ParsedSlot): string {
  return slot.info.type === 'kek' ? `kek slot ${slot.info.id} (${slot.info.keyId})` : `${slot.info.type} slot ${slot.info.id}`
}

function noSlotOpened(slots: ParsedSlot[], attempts: Attempt[], creds: Credentials, location: string): RepoKeyError {
  const available = slots.map(describe).join(', ') || 'none readable'
  const details = { slots: slots.map((s) => s.info), tried: attempts.map((a) => ({ slot: a.slot.info.id, type: a.slot.info.type, result: a.failure })) }
  const otherWays = 'Open with another key: KVDR_PASSWORD or --password-file for a passphrase, --recovery-key-file for an offline recovery key.'
  if (attempts.length === 0) {
    const given = [creds.passphrase !== undefined && 'a passphrase', creds.recoveryKey !== undefined && 'a recovery key', creds.keyWrapperFor !== undefined && slots.some((s) => s.info.type === 'kek') && 'Key Vault access'].filter(Boolean)
    const what = given.length ? `None of the keys given (${given.join(', ')}) fits a key slot` : 'No key was given to open it'
    return new RepoKeyError(`Cannot open the repository at ${location}: ${what}. Its key slots: ${available}.`, { hint: otherWays, details })
  }
  const lines = attempts.map((a) => `${describe(a.slot)} ${a.failure}`)
  const first = attempts[0] as Attempt
  let hint: string
  if (first.slot.info.type === 'passphrase') hint = `The passphrase is wrong for this repository: check KVDR_PASSWORD or --password-file. ${otherWays}`
  else if (first.slot.info.type === 'recovery') hint = `The recovery key${creds.recoveryKeySource ? ` in ${creds.recoveryKeySource}` : ''} belongs to another repository or slot. ${otherWays}`
  else {
    const vault = first.slot.info.keyId ? parseKeyVaultKeyId(first.slot.info.keyId)?.vaultUrl : undefined
    hint = `Check that ${vault ?? 'the key vault'} is reachable and your identity has the unwrapKey permission on the key. ${otherWays}`
  }
  return new RepoKeyError(`Cannot open the repository at ${location}: ${lines.join('; ')}.`, { hint, details })
}
