/**
 * Every name the repository writes obeys the store's name rules (segments of A-Z a-z 0-9 . _ -, none
 * starting with ".", `locks/` left to the Locker) and the documented layout: walked on a populated
 * repository in a local directory and on Azure Blob (under a prefix), as the storage itself lists them.
 */
import { describe, expect, it } from 'vitest'
import { checkRepository } from '../../src/repo/check.js'
import { copyRepository } from '../../src/repo/copy.js'
import { forgetSnapshots } from '../../src/repo/forget.js'
import { addKeySlot, removeKeySlot } from '../../src/repo/key-admin.js'
import { pruneRepository } from '../../src/repo/prune.js'
import { checkName, LOCKS_PREFIX } from '../../src/store/names.js'
import { openBackend, REAL_BACKENDS } from './support/backends.js'
import { backendRepo, backupLike, FAST_KDF, names, VAULT } from './support/fixtures.js'

/** The layout of docs/FORMAT.md: anything else the repository writes is a bug. */
const LAYOUT = [/^config$/, /^keys\/[0-9a-f]{16}$/, /^data\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/, /^snapshots\/[0-9a-f]{64}$/, /^forgotten\/[0-9a-f]{64}$/]

/** Names that break the store's rules or, outside `locks/`, the layout; with the reason. */
function badNames(all: string[]): string[] {
  const bad: string[] = []
  for (const name of all) {
    try {
      checkName(name)
    } catch {
      bad.push(`${name}: not a valid store name`)
      continue
    }
    if (!name.startsWith(LOCKS_PREFIX) && !LAYOUT.some((re) => re.test(name))) bad.push(`${name}: not in the repository layout`)
  }
  return bad
}

describe('the name check itself', () => {
  it('flags names outside the rules or the layout', () => {
    expect(badNames(['config', `data/ab/ab${'0'.repeat(62)}`, 'locks/exclusive'])).toEqual([])
    expect(badNames(['.kvdr-tmp-1', 'data/ab/c d', `data/ab/cd${'0'.repeat(62)}`, 'snapshots/latest', 'index/1', 'a//b']).map((b) => b.split(':')[0])).toEqual([
      '.kvdr-tmp-1',
      'data/ab/c d',
      `data/ab/cd${'0'.repeat(62)}`,
      'snapshots/latest',
      'index/1',
      'a//b',
    ])
  })
})

describe.each(REAL_BACKENDS)('blob names on %s', (backend) => {
  it('every blob of a populated repository (and of its replica) is a valid name in the layout', async () => {
    const t = await backendRepo(backend, { pageSize: 3, extraSlots: [{ type: 'recovery' }], prefix: 'team-a/prod' })
    const first = await backupLike(t.repo, names(7), { generation: 1, tags: ['nightly'] })
    await backupLike(t.repo, names(7), { generation: 2, tags: ['nightly', 'eu'] })
    await backupLike(t.repo, ['x'], { vault: { ...VAULT, url: 'https://other.vault.azure.net' } })
    await t.repo.withWriter('interrupted backup', (w) => w.saveContent('key-backup', new Uint8Array([1, 2, 3])))
    await forgetSnapshots(t.repo, { ids: [first.id] })
    await t.age(2 * 24 * 3600_000)
    expect((await pruneRepository(t.repo)).deleted.count).toBeGreaterThan(0)
    const added = await addKeySlot(t.repo, { type: 'passphrase', passphrase: 'another passphrase', kdf: FAST_KDF })
    await removeKeySlot(t.repo, t.slots[1]?.info.id as string)
    expect((await checkRepository(t.repo)).problems).toEqual([])

    // While a writer holds its lock, the lock lives under locks/ and is a valid name too.
    const during = await t.repo.withWriter('backup', () => t.rawNames())
    expect(during.filter((n) => n.startsWith(prefixOf(t.location) + LOCKS_PREFIX))).not.toEqual([])

    const replica = await openBackend(backend)
    await copyRepository(t.repo, replica)
    for (const [where, raw] of [['repository', await t.rawNames()], ['repository with a writer', during], ['replica', await replica.rawNames()]] as const) {
      const prefix = prefixOf(where === 'replica' ? replica.location : t.location)
      expect(raw.filter((n) => !n.startsWith(prefix)), where).toEqual([])
      const inRepo = raw.map((n) => n.slice(prefix.length))
      expect(badNames(inRepo), where).toEqual([])
      for (const kind of ['config', 'keys/', 'data/', 'snapshots/']) expect(inRepo.some((n) => n.startsWith(kind)), `${where}: ${kind}`).toBe(true)
    }
    expect((await t.rawNames()).some((n) => n.includes(`keys/${added.added.info.id}`))).toBe(true)
    expect((await t.rawNames()).some((n) => n.includes('forgotten/'))).toBe(true)
  })
})

/** The folder the repository's blobs live under in the raw listing (Azure prefix), or ''. */
function prefixOf(location: string): string {
  const m = /^azblob:\/\/[^/]+\/[^/]+\/(.+)$/.exec(location)
  return m ? `${m[1]}/` : ''
}
