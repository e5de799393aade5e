import { describe, expect, it } from 'vitest'
import { ExitCode, KvdrError } from '../../src/core/errors.js'
import { initRepository, openRepository } from '../../src/repo/repository.js'
import { RepoKeyError, RepoNotFoundError, RepoVersionError } from '../../src/repo/errors.js'
import { canonicalJson, parseJsonBytes, utf8 } from '../../src/repo/encoding.js'
import { PAGE_TYPE, type Entry } from '../../src/repo/types.js'
import { MemoryStore } from '../../src/store/memory.js'
import { MemoryLocker } from '../../src/store/memory-lock.js'
import { backupLike, blobNames, emptySummary, entriesOf, FAST_KDF, memoryRepo, names, PASSPHRASE, reopen, valueOf, VAULT } from './support/fixtures.js'

async function caught(p: Promise<unknown>): Promise<KvdrError> {
  try {
    await p
  } catch (e) {
    return e as KvdrError
  }
  throw new Error('expected a rejection')
}

describe('creating and opening', () => {
  it('writes key slots and the config, and reopens with the passphrase', async () => {
    const { store, locker, repo } = await memoryRepo()
    expect(await blobNames(store)).toEqual(['config', `keys/${repo.openedWith.id}`])
    const again = await reopen(store, locker)
    expect(again.repositoryId).toBe(repo.repositoryId)
    expect(again.config.kdf).toEqual(FAST_KDF)
  })

  it('refuses to create a repository over an existing one', async () => {
    const { store, locker } = await memoryRepo()
    const err = await caught(initRepository(store, { locker, slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }] }))
    expect(err.exitCode).toBe(ExitCode.Usage)
    expect(err.message).toMatch(/already a kvdr repository/)
  })

  it('reports a missing repository with exit 10', async () => {
    const err = await caught(openRepository(new MemoryStore(), { passphrase: PASSPHRASE }, { locker: new MemoryLocker('memory://none') }))
    expect(err).toBeInstanceOf(RepoNotFoundError)
    expect(err.exitCode).toBe(ExitCode.RepoNotFound)
    expect(err.hint).toMatch(/kvdr repo init/)
  })

  it('opens with the recovery key printed at creation', async () => {
    const { store, locker, slots } = await memoryRepo({ extraSlots: [{ type: 'recovery' }] })
    const recovery = slots.find((s) => s.info.type === 'recovery')
    expect(recovery?.recoveryKey).toBeDefined()
    const repo = await reopen(store, locker, { recoveryKey: recovery?.recoveryKey as Uint8Array })
    expect(repo.openedWith.type).toBe('recovery')
  })

  it('gives exit 12 with a clear message for a wrong passphrase, never echoing it', async () => {
    const { store, locker, repo } = await memoryRepo()
    const err = await caught(reopen(store, locker, { passphrase: 'not the passphrase at all' }))
    expect(err).toBeInstanceOf(RepoKeyError)
    expect(err.exitCode).toBe(ExitCode.RepoKey)
    expect(err.message).toContain(`passphrase slot ${repo.openedWith.id} does not open`)
    expect(err.hint).toMatch(/passphrase is wrong/)
    expect(JSON.stringify(err.toJSON())).not.toContain('not the passphrase at all')
  })

  it('says which slots exist when no key was given', async () => {
    const { store, locker } = await memoryRepo({ extraSlots: [{ type: 'recovery' }] })
    const err = await caught(openRepository(store, {}, { locker }))
    expect(err.exitCode).toBe(ExitCode.RepoKey)
    expect(err.message).toMatch(/No key was given/)
    expect(err.message).toMatch(/passphrase slot [0-9a-f]{16}/)
    expect(err.message).toMatch(/recovery slot [0-9a-f]{16}/)
    expect(err.hint).toMatch(/KVDR_PASSWORD.*--recovery-key-file/)
  })

  it('refuses an unknown major format version with a clear error', async () => {
    const { store, locker } = await memoryRepo()
    const config = parseJsonBytes(await store.get('config')) as Record<string, unknown>
    store.tamper('config', utf8(canonicalJson({ ...config, version: '2.0' })))
    const err = await caught(reopen(store, locker))
    expect(err).toBeInstanceOf(RepoVersionError)
    expect(err.message).toMatch(/format version 2\.0/)
    expect(err.hint).toMatch(/Upgrade kvdr/)
  })
})

describe('contents and snapshots', () => {
  it('stores contents once (dedup by keyed id) and reads them back verified', async () => {
    const { repo } = await memoryRepo()
    const data = new TextEncoder().encode('hello')
    const [a, b, stats] = await repo.withWriter('t', async (w) => [await w.saveContent('secret-value', data), await w.saveContent('secret-value', data), w.stats] as const)
    expect(a).toBe(b)
    expect(a).toMatch(/^secret-value:[0-9a-f]{64}$/)
    expect(stats).toMatchObject({ contentsCreated: 1, contentsReused: 1 })
    expect(new TextDecoder().decode(await repo.loadContent(a))).toBe('hello')
  })

  it('streams entries through pages and records vault, time, tool, tags, summary and parent', async () => {
    const { repo, store, clock } = await memoryRepo({ pageSize: 7 })
    const first = await backupLike(repo, names(30), { tags: ['nightly', 'nightly', 'eu'] })
    expect(first.pages).toHaveLength(5) // 30 entries / 7 per page
    expect(first.pages.every((p) => p.startsWith(`${PAGE_TYPE}:`))).toBe(true)
    expect(first).toMatchObject({ seq: 1, parent: null, entryCount: 30, vault: VAULT, tags: ['eu', 'nightly'], tool: { name: 'kvdr', version: 'test' }, summary: emptySummary(30) })
    expect(first.time).toBe(new Date(clock.now()).toISOString())
    const entries = await entriesOf(repo, await repo.loadSnapshot(first.id))
    expect(entries.map((e) => e.name)).toEqual(names(30))
    expect(new TextDecoder().decode(await repo.loadContent(entries[3]?.refs[0] as Entry['refs'][number]))).toBe(valueOf('secret-00003', 1))

    clock.advance(3600_000)
    const second = await backupLike(repo, names(30))
    expect(second).toMatchObject({ seq: 2, parent: first.id })
    // An unchanged vault dedups to the same pages and contents: only one new manifest.
    expect(second.pages).toEqual(first.pages)
    expect((await blobNames(store, 'snapshots/')).length).toBe(2)

    const other = await backupLike(repo, ['x'], { vault: { ...VAULT, url: 'https://other.vault.azure.net' } })
    expect(other).toMatchObject({ seq: 3, parent: null })
  })

  it('refuses entries that are not plain JSON or have malformed refs, and writes no manifest', async () => {
    const { repo, store } = await memoryRepo()
    const bad = [{ kind: 'secret', name: 'a', refs: ['nope'], data: {} }] as unknown as Entry[]
    await expect(repo.withWriter('t', (w) => w.writeSnapshot({ vault: VAULT }, bad, emptySummary()))).rejects.toThrow(/malformed content reference/)
    const notJson = [{ kind: 'secret', name: 'a', refs: [], data: { when: new Date() } }] as unknown as Entry[]
    await expect(repo.withWriter('t', (w) => w.writeSnapshot({ vault: VAULT }, notJson, emptySummary()))).rejects.toThrow(/not plain JSON/)
    expect(await blobNames(store, 'snapshots/')).toEqual([])
  })

  it('resolves latest, full ids and unique prefixes', async () => {
    const { repo, clock } = await memoryRepo()
    const a = await backupLike(repo, ['a'])
    clock.advance(1000)
    const b = await backupLike(repo, ['b'])
    expect((await repo.resolveSnapshot('latest')).id).toBe(b.id)
    expect((await repo.resolveSnapshot(a.id)).id).toBe(a.id)
    expect((await repo.resolveSnapshot(a.id.slice(0, 8))).id).toBe(a.id)
    await expect(repo.resolveSnapshot('zzzz')).rejects.toThrow(/not a snapshot id/)
    const missing = a.id.startsWith('0000') ? 'ffff' : '0000'
    await expect(repo.resolveSnapshot(missing)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND', exitCode: ExitCode.Usage })
  })
})

describe('locks', () => {
  it('lets writers share the repository and keeps forget-style exclusive users out with exit 11', async () => {
    const { repo } = await memoryRepo()
    await repo.withWriter('backup one', async () => {
      await repo.withWriter('backup two', async () => {})
      const err = await caught(repo.withLock('exclusive', 'snapshots forget', async () => {}))
      expect(err.exitCode).toBe(ExitCode.RepoLocked)
      expect(err.message).toMatch(/backup one/)
    })
    await repo.withLock('exclusive', 'after', async () => {})
  })
})
