/** Key slots: add, list, remove, rotate; each kind opens the repository; the last slot cannot be removed. */
import { constants, generateKeyPairSync, type KeyObject, privateDecrypt, publicEncrypt } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import type { KeyWrapper } from '../../src/crypto/keywrap.js'
import { addKeySlot, listKeySlots, removeKeySlot } from '../../src/repo/key-admin.js'
import { openRepository } from '../../src/repo/repository.js'
import { backupLike, blobNames, FAST_KDF, memoryRepo, PASSPHRASE, reopen } from './support/fixtures.js'

/**
 * A KeyWrapper over a local RSA key with RSA-OAEP-256: real crypto standing in for a Key Vault key, to
 * exercise the slot logic (the Key Vault implementation and its end-to-end test belong to src/vault).
 */
function localRsaWrapper(version: string): KeyWrapper & { privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }
  return {
    keyId: `https://dr-kek.vault.azure.net/keys/kvdr-kek/${version}`,
    privateKey,
    wrap: async (key) => new Uint8Array(publicEncrypt({ key: publicKey, ...oaep }, key)),
    unwrap: async (wrapped) => new Uint8Array(privateDecrypt({ key: privateKey, ...oaep }, wrapped)),
  }
}

describe('key slots', () => {
  it('adds a second passphrase and a recovery key; each opens the repository; list marks the current slot', async () => {
    const { repo, store, locker } = await memoryRepo()
    const second = await addKeySlot(repo, { type: 'passphrase', passphrase: 'a second passphrase', kdf: FAST_KDF, label: 'ops team' })
    const recovery = await addKeySlot(repo, { type: 'recovery' })
    expect(recovery.added.recoveryKey).toHaveLength(32)
    const { slots, unusable } = await listKeySlots(repo)
    expect(unusable).toEqual([])
    expect(slots.map((s) => [s.type, s.label, s.current, s.valid]).sort()).toEqual([
      ['passphrase', 'ops team', false, true],
      ['passphrase', 'passphrase', true, true],
      ['recovery', 'offline recovery key', false, true],
    ].sort())
    expect((await reopen(store, locker, { passphrase: 'a second passphrase' })).openedWith.id).toBe(second.added.info.id)
    expect((await reopen(store, locker, { recoveryKey: recovery.added.recoveryKey as Uint8Array })).openedWith.type).toBe('recovery')
  })

  it('removes a slot by id prefix; that passphrase stops working; the last slot is refused (exit 23)', async () => {
    const { repo, store, locker } = await memoryRepo()
    const extra = await addKeySlot(repo, { type: 'passphrase', passphrase: 'temporary passphrase', kdf: FAST_KDF })
    const removed = await removeKeySlot(repo, extra.added.info.id.slice(0, 6))
    expect(removed.id).toBe(extra.added.info.id)
    await expect(reopen(store, locker, { passphrase: 'temporary passphrase' })).rejects.toMatchObject({ exitCode: ExitCode.RepoKey })
    await expect(removeKeySlot(repo, repo.openedWith.id)).rejects.toMatchObject({ code: 'LAST_KEY_SLOT', exitCode: ExitCode.Refused })
    expect(await blobNames(store, 'keys/')).toEqual([`keys/${repo.openedWith.id}`])
    await expect(removeKeySlot(repo, 'ffffffffffffffff')).rejects.toMatchObject({ exitCode: ExitCode.Usage })
  })

  it('wraps with a key-encryption key, records its id, and rotates by re-wrapping only', async () => {
    const { repo, store, locker } = await memoryRepo()
    const snap = await backupLike(repo, ['a', 'b'])
    const dataBefore = await blobNames(store, 'data/')
    const v1 = localRsaWrapper('0000000000000000000000000000000a')
    const added = await addKeySlot(repo, { type: 'kek', wrapper: v1 })
    expect(added.added.info.keyId).toBe(v1.keyId)
    const byKek = await openRepository(store, { keyWrapperFor: (id) => (id === v1.keyId ? v1 : (undefined as never)) }, { locker })
    expect(byKek.openedWith).toMatchObject({ type: 'kek', keyId: v1.keyId })

    const v2 = localRsaWrapper('0000000000000000000000000000000b')
    const rotated = await addKeySlot(byKek, { type: 'kek', wrapper: v2 }, { replace: added.added.info.id })
    expect(rotated.removed).toBe(added.added.info.id)
    expect(await blobNames(store, 'data/')).toEqual(dataBefore) // nothing re-encrypted
    const wrappers = new Map([[v1.keyId, v1], [v2.keyId, v2]])
    const reopened = await openRepository(store, { keyWrapperFor: (id) => wrappers.get(id) as KeyWrapper }, { locker })
    expect(reopened.openedWith.keyId).toBe(v2.keyId)
    expect((await reopened.loadSnapshot(snap.id)).entryCount).toBe(2)
  })

  it('names the slot and the key when a key-encryption key cannot unwrap', async () => {
    const { repo, store, locker } = await memoryRepo()
    const v1 = localRsaWrapper('0000000000000000000000000000000a')
    await addKeySlot(repo, { type: 'kek', wrapper: v1 })
    const other = localRsaWrapper('0000000000000000000000000000000a') // same id, different key material
    const err = await openRepository(store, { keyWrapperFor: () => other }, { locker }).catch((e) => e)
    expect(err.exitCode).toBe(ExitCode.RepoKey)
    expect(err.message).toContain(`(${v1.keyId}) failed`)
    expect(err.hint).toMatch(/dr-kek\.vault\.azure\.net.*unwrapKey/)
    // The passphrase still opens it.
    expect((await reopen(store, locker, { passphrase: PASSPHRASE })).openedWith.type).toBe('passphrase')
  })
})
