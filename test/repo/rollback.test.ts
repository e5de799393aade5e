/** The client cache makes a rollback (newest snapshots deleted) and a substituted repository visible. */
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { checkRepository } from '../../src/repo/check.js'
import { encodeConfig, newConfig } from '../../src/repo/config.js'
import { forgetSnapshots } from '../../src/repo/forget.js'
import { createSlot } from '../../src/repo/keyslots.js'
import { generateMasterKeys } from '../../src/crypto/master.js'
import { DirectorySeenCache } from '../../src/repo/seen.js'
import { backupLike, blobNames, emptySummary, FAST_KDF, memoryRepo, PASSPHRASE, reopen, tempDir, VAULT } from './support/fixtures.js'

describe('rollback detection', () => {
  it('warns when the newest snapshot this client saw disappears without a forget record, and check reports it', async () => {
    const cacheDir = await tempDir()
    const { repo, store, locker, clock } = await memoryRepo({ cacheDir })
    await backupLike(repo, ['a'], { generation: 1 })
    clock.advance(1000)
    const newest = await backupLike(repo, ['a'], { generation: 2 })
    expect((await repo.listSnapshots()).warnings).toEqual([])

    const cache = new DirectorySeenCache(cacheDir)
    const other = await reopen(store, locker, { cache })
    await store.delete(`snapshots/${newest.id}`) // someone with storage access rolls it back
    const { warnings } = await other.listSnapshots()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(new RegExp(`went backwards: snapshot ${newest.id.slice(0, 8)} \\(sequence 2`))
    expect(warnings[0]).toContain(cacheDir)
    const check = await checkRepository(other)
    expect(check.ok).toBe(false)
    expect(check.problems[0]?.message).toMatch(/went backwards/)

    // A later backup continues above the lost sequence, reports the rollback too, and does not clear it.
    const { next, warnings: writerWarnings } = await other.withWriter('backup', async (w) => {
      const ref = await w.saveContent('secret-value', new TextEncoder().encode('x'))
      const next = await w.writeSnapshot({ vault: VAULT }, [{ kind: 'secret', name: 'x', refs: [ref], data: {} }], emptySummary(1))
      return { next, warnings: w.warnings }
    })
    expect(next.seq).toBe(3)
    expect(writerWarnings).toHaveLength(1)
    const later = (await reopen(store, locker, { cache: new DirectorySeenCache(cacheDir) }).then((r) => r.listSnapshots())).warnings
    expect(later).toHaveLength(1)
    expect(later[0]).toMatch(new RegExp(`snapshot ${newest.id.slice(0, 8)} \\(sequence 2.*highest sequence now present is 3`))

    // A person acknowledges by deleting the cache file.
    await rm(join(cacheDir, 'repos'), { recursive: true })
    expect((await other.listSnapshots()).warnings).toEqual([])
  })

  it('does not warn after a legitimate forget of the newest snapshot', async () => {
    const cacheDir = await tempDir()
    const { repo, clock } = await memoryRepo({ cacheDir })
    await backupLike(repo, ['a'], { generation: 1, tags: ['keep'] })
    clock.advance(1000)
    const newest = await backupLike(repo, ['a'], { generation: 2 })
    await forgetSnapshots(repo, { ids: [newest.id] })
    expect((await repo.listSnapshots()).warnings).toEqual([])
    expect((await checkRepository(repo)).ok).toBe(true)
  })

  it('refuses a repository at the same location that now has different keys', async () => {
    const cacheDir = await tempDir()
    const { repo, store, locker } = await memoryRepo({ cacheDir })
    await backupLike(repo, ['a'])
    // Replace the repository with one made from other keys but the same repository id (and a known passphrase).
    for (const name of await blobNames(store)) await store.delete(name)
    const keys = generateMasterKeys()
    const now = new Date()
    const slot = await createSlot({ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }, keys, repo.repositoryId, now)
    await store.putIfAbsent(slot.name, slot.bytes)
    await store.putIfAbsent('config', encodeConfig(newConfig(repo.repositoryId, now, FAST_KDF), keys.idKey))
    const err = await reopen(store, locker, { cache: new DirectorySeenCache(cacheDir) }).catch((e) => e)
    expect(err.exitCode).toBe(ExitCode.Integrity)
    expect(err.message).toMatch(/different keys than when this machine last opened it/)
    // Without the cache there is nothing to compare with: it opens.
    await expect(reopen(store, locker)).resolves.toBeDefined()
  })

  it('keeps only non-secret facts in the cache file (mode 0600)', async () => {
    const cacheDir = await tempDir()
    const { repo } = await memoryRepo({ cacheDir })
    await backupLike(repo, ['a'])
    const [file] = await readdir(join(cacheDir, 'repos'))
    const text = await readFile(join(cacheDir, 'repos', file as string), 'utf8')
    expect(Object.keys(JSON.parse(text)).sort()).toEqual(['keyFingerprint', 'location', 'newest', 'repositoryId', 'updated'])
    expect(text).not.toContain(PASSPHRASE)
  })
})
