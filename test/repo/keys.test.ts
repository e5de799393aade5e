/**
 * Key slots: add, list, remove, rotate; each kind opens the repository; the last slot cannot be removed.
 * Key Vault (kek) slots need src/vault's KeyWrapper; their end-to-end test belongs with it (no stand-in here).
 */
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { addKeySlot, listKeySlots, removeKeySlot } from '../../src/repo/key-admin.js'
import { backupLike, blobNames, FAST_KDF, memoryRepo, PASSPHRASE, reopen } from './support/fixtures.js'

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

  it('rotates a key by adding its successor and removing it in one step; nothing else is rewritten', async () => {
    const { repo, store, locker } = await memoryRepo()
    const snap = await backupLike(repo, ['a', 'b'])
    const before = await blobNames(store)
    const old = await addKeySlot(repo, { type: 'passphrase', passphrase: 'the old team passphrase', kdf: FAST_KDF, label: 'ops' })
    const rotated = await addKeySlot(repo, { type: 'passphrase', passphrase: 'the new team passphrase', kdf: FAST_KDF, label: 'ops' }, { replace: old.added.info.id.slice(0, 8) })
    expect(rotated.removed).toBe(old.added.info.id)
    // Only the key slots changed: the config, data and snapshots are the same blobs.
    expect((await blobNames(store)).filter((n) => !n.startsWith('keys/'))).toEqual(before.filter((n) => !n.startsWith('keys/')))
    expect((await blobNames(store, 'keys/')).sort()).toEqual([`keys/${repo.openedWith.id}`, `keys/${rotated.added.info.id}`].sort())
    await expect(reopen(store, locker, { passphrase: 'the old team passphrase' })).rejects.toMatchObject({ exitCode: ExitCode.RepoKey })
    const byNew = await reopen(store, locker, { passphrase: 'the new team passphrase' })
    expect(byNew.openedWith).toMatchObject({ id: rotated.added.info.id, label: 'ops' })
    expect((await byNew.loadSnapshot(snap.id)).entryCount).toBe(2)
    await expect(addKeySlot(repo, { type: 'recovery' }, { replace: 'ffffffffffffffff' })).rejects.toMatchObject({ exitCode: ExitCode.Usage })
  })

  it('names every slot tried and what to do when none opens, and another kind of key still opens it', async () => {
    const { store, locker, slots } = await memoryRepo({ extraSlots: [{ type: 'recovery' }] })
    const err = await reopen(store, locker, { passphrase: 'not this one' }).catch((e) => e)
    expect(err.exitCode).toBe(ExitCode.RepoKey)
    expect(err.message).toMatch(/passphrase slot [0-9a-f]{16} does not open/)
    expect(err.details.tried).toEqual([{ slot: expect.any(String), type: 'passphrase', result: 'does not open' }])
    expect(err.hint).toMatch(/--recovery-key-file/)
    const recovered = await reopen(store, locker, { recoveryKey: slots[1]?.recoveryKey as Uint8Array })
    expect(recovered.openedWith.type).toBe('recovery')
    expect((await reopen(store, locker, { passphrase: PASSPHRASE })).openedWith.type).toBe('passphrase')
  })
})
