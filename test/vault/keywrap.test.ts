/**
 * The repository's Key Vault key slot end to end: VaultKeyWrapper wraps with RSA-OAEP-256 through the official
 * CryptographyClient; a repository opens with only that slot; when the KEK vault is unreachable the slot fails
 * and an offline recovery key still opens the repository.
 */
import { CryptographyClient } from '@azure/keyvault-keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { addKeySlot } from '../../src/repo/key-admin.js'
import { initRepository, openRepository } from '../../src/repo/repository.js'
import { MemoryLocker } from '../../src/store/memory-lock.js'
import { MemoryStore } from '../../src/store/memory.js'
import { VaultKeyWrapper } from '../../src/vault/keywrap.js'
import { parseResolve } from '../../src/vault/transport.js'
import { FAST_KDF, PASSPHRASE } from '../repo/support/data.js'
import { startVaultFixture, type VaultFixture } from './support.js'

let f: VaultFixture
let keyId: string

beforeAll(async () => {
  f = await startVaultFixture()
  // The KEK lives in another vault than the one being backed up.
  keyId = (await f.keys('kv-dr').createRsaKey('kvdr-kek', { keySize: 2048 })).id as string
})
afterAll(() => f.stop())

const wrapperFor = (id: string, address = '127.0.0.1') =>
  new VaultKeyWrapper(id, { credential: f.em.credential, transport: { caFiles: [f.caFile], resolve: parseResolve([`${new URL(id).hostname}=${address}`]) } })

describe('VaultKeyWrapper', () => {
  it('wraps with RSA-OAEP-256 in Key Vault; what it wraps, the key unwraps', async () => {
    const w = wrapperFor(keyId)
    const secret = new Uint8Array(32).map((_, i) => i * 7)
    const wrapped = await w.wrap(secret)
    expect(Buffer.from(wrapped).equals(Buffer.from(secret))).toBe(false)
    expect(wrapped.length).toBe(256)
    expect(Buffer.from(await w.unwrap(wrapped))).toEqual(Buffer.from(secret))
    // Independently: the SDK's own client unwraps it with the same key.
    const sdk = new CryptographyClient(keyId, f.em.credential, f.em.clientSetup('kv-dr').options)
    expect(Buffer.from((await sdk.unwrapKey('RSA-OAEP-256', wrapped)).result)).toEqual(Buffer.from(secret))
    await w.close()
  })

  it('refuses an unversioned key id', () => {
    expect(() => new VaultKeyWrapper(keyId.replace(/\/[0-9a-f]{32}$/, ''))).toThrow(/versioned Key Vault key id/)
  })
})

describe('a kek key slot', () => {
  it('opens the repository with only the Key Vault key; with the KEK vault unreachable the recovery key still does', async () => {
    const store = new MemoryStore({ name: 'kek-test' })
    const locker = new MemoryLocker('memory://kek-test')
    const { repo, slots } = await initRepository(store, {
      locker,
      kdf: FAST_KDF,
      slots: [
        { type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF },
        { type: 'recovery', label: 'safe' },
      ],
    })
    const recoveryKey = slots.find((s) => s.info.type === 'recovery')?.recoveryKey as Uint8Array
    const { added } = await addKeySlot(repo, { type: 'kek', wrapper: wrapperFor(keyId), label: 'dr-kek' })
    expect(added.info).toMatchObject({ type: 'kek', keyId })

    const viaKek = await openRepository(store, { keyWrapperFor: (id) => wrapperFor(id) }, { locker })
    expect(viaKek.openedWith.id).toBe(added.info.id)
    expect(viaKek.repositoryId).toBe(repo.repositoryId)

    // Nothing listens on 127.0.0.2: the KEK vault cannot be reached.
    const unreachable = (id: string) => wrapperFor(id, '127.0.0.2')
    const fallback = await openRepository(store, { keyWrapperFor: unreachable, recoveryKey }, { locker })
    expect(fallback.openedWith.type).toBe('recovery')

    const err = (await openRepository(store, { keyWrapperFor: unreachable }, { locker }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { exitCode: number; message: string; hint?: string }
    expect(err.exitCode).toBe(ExitCode.RepoKey)
    expect(err.message).toContain('ECONNREFUSED')
    expect(err.hint).toContain('unwrapKey')
  })
})
