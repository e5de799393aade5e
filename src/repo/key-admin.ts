/**
 * `kvdr repo key add|list|remove`: key slots are create-once blobs, so adding writes a new one and removing
 * deletes one; rotating a Key Vault key is "add a slot wrapped by the new key version, remove the old slot".
 */
import { ExitCode, KvdrError, UsageError } from '../core/errors.js'
import { StoreRefusedError } from '../store/types.js'
import { type CreatedSlot, createSlot, type KeySlotInfo, type NewSlot, slotBlobName, verifySlot } from './keyslots.js'
import { readSlots, type Repository } from './repository.js'

/** A slot as listed: `valid` is false when its metadata fails verification; `current` marks the slot in use. */
export interface ListedSlot extends KeySlotInfo {
  current: boolean
  valid: boolean
}

/** Every key slot of the repository, verified against the master keys. Blobs that do not parse are in `unusable`. */
export async function listKeySlots(repo: Repository): Promise<{ slots: ListedSlot[]; unusable: Array<{ blob: string; message: string }> }> {
  const { slots, bad } = await readSlots(repo.store)
  const listed = slots
    .filter((s) => s.repositoryId === repo.repositoryId)
    .map((s) => ({ ...s.info, current: s.info.id === repo.openedWith.id, valid: verifySlot(s, repo.keys) }))
  const foreign = slots.filter((s) => s.repositoryId !== repo.repositoryId).map((s) => ({ blob: s.blob, message: 'key slot names another repository (altered, or copied here from elsewhere)' }))
  return { slots: listed, unusable: [...bad, ...foreign] }
}

/**
 * Add a key slot (create-once). With `replace`, remove that slot after the new one is stored: this is how a
 * Key Vault key is rotated (re-wrap only; no content is touched). Returns the new slot and, for a recovery
 * slot, the recovery key to hand to a person once.
 */
export async function addKeySlot(repo: Repository, spec: NewSlot, options: { replace?: string } = {}): Promise<{ added: CreatedSlot; removed?: string }> {
  const replaced = options.replace === undefined ? undefined : await findSlot(repo, options.replace)
  const added = await createSlot(spec, repo.keys, repo.repositoryId, new Date(repo.clock.now()))
  await repo.store.putIfAbsent(added.name, added.bytes)
  if (!replaced) return { added }
  await removeKeySlot(repo, replaced.id)
  return { added, removed: replaced.id }
}

async function findSlot(repo: Repository, idOrPrefix: string): Promise<ListedSlot> {
  const { slots } = await listKeySlots(repo)
  const matches = slots.filter((s) => s.id.startsWith(idOrPrefix))
  if (!/^[0-9a-f]{4,16}$/.test(idOrPrefix) || matches.length === 0) {
    throw new UsageError(`No key slot matches "${idOrPrefix}".`, { hint: 'List the slots with `kvdr repo key list`.' })
  }
  if (matches.length > 1) throw new UsageError(`"${idOrPrefix}" matches ${matches.length} key slots.`, { hint: 'Give more characters of the slot id.' })
  return matches[0] as ListedSlot
}

/**
 * Remove a key slot. Refuses (KvdrError LAST_KEY_SLOT, exit 23) to remove the last valid slot, since the
 * repository would become unreadable. Throws KvdrError REFUSED (exit 23) when the store refuses the delete (immutable storage).
 */
export async function removeKeySlot(repo: Repository, idOrPrefix: string): Promise<KeySlotInfo> {
  const target = await findSlot(repo, idOrPrefix)
  const { slots } = await listKeySlots(repo)
  const others = slots.filter((s) => s.valid && s.id !== target.id)
  if (others.length === 0) {
    throw new KvdrError('LAST_KEY_SLOT', ExitCode.Refused, `Refusing to remove key slot ${target.id}: it is the last key slot, and without it nobody could open the repository.`, {
      hint: 'Add another key slot first (`kvdr repo key add`), then remove this one.',
    })
  }
  try {
    await repo.store.delete(slotBlobName(target.id))
  } catch (err) {
    if (err instanceof StoreRefusedError) {
      throw new KvdrError('REFUSED', ExitCode.Refused, `The storage refused to delete key slot ${target.id}: ${err.message}`, {
        hint: 'The container is immutable (WORM); the slot stays until its retention ends. Anyone holding its key can still open the repository.',
        cause: err,
      })
    }
    throw err
  }
  const { id, type, label, created, keyId } = target
  return { id, type, label, created, ...(keyId === undefined ? {} : { keyId }) }
}
