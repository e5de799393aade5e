/** `kvdr repo ...` through oclif: exit codes, --json shapes, messages, and secrets kept out of output. */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import RepoCheck from '../../../commands/repo/check.js'
import RepoCopy from '../../../commands/repo/copy.js'
import RepoInit from '../../../commands/repo/init.js'
import RepoKeyAdd from '../../../commands/repo/key/add.js'
import RepoKeyList from '../../../commands/repo/key/list.js'
import RepoKeyRemove from '../../../commands/repo/key/remove.js'
import RepoPrune from '../../../commands/repo/prune.js'
import RepoUnlock from '../../../commands/repo/unlock.js'
import { openLocation } from '../../../src/cli/location.js'
import { openRepository } from '../../../src/repo/repository.js'
import { contentBlobName, parseContentId } from '../../../src/repo/types.js'
import type { MemoryStore } from '../../../src/store/memory.js'
import { backupLike, entriesOf, tempDir } from '../../repo/support/fixtures.js'
import { json, passwordFile, run } from './run.js'

const PASS = 'the repository passphrase'
let dir: string
let pw: string
let n = 0
let repo: string

beforeEach(async () => {
  dir = await tempDir()
  process.env.KVDR_CACHE_DIR = join(dir, 'cache')
  delete process.env.KVDR_PASSWORD
  pw = await passwordFile(dir, PASS)
  repo = `memory://cmd-repo-${++n}`
})

const init = (...extra: string[]) => run(RepoInit, ['--repo', repo, '--password-file', pw, '--kdf-cost', '10', ...extra])

describe('kvdr repo init', () => {
  it('creates the repository, writes the recovery key file (0600) and prints the key once', async () => {
    const file = join(dir, 'recovery.txt')
    const r = await init('--write-recovery-key', file)
    expect(r.code).toBe(0)
    const text = await readFile(file, 'utf8')
    const key = /KVDR-RK1-[A-Z2-7-]+/.exec(text)?.[0] as string
    expect(r.stdout).toContain(key)
    expect(r.stdout).not.toContain(PASS)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    // The key file opens the repository.
    const list = await run(RepoKeyList, ['--repo', repo, '--recovery-key-file', file, '--json'])
    expect(list.code).toBe(0)
    expect(json<{ slots: Array<{ type: string; current: boolean }> }>(list).slots.find((s) => s.current)?.type).toBe('recovery')
  })

  it('--json gives {repositoryId, location, slots}; a second init is a usage error; a taken file name is refused before anything is created', async () => {
    const r = await init('--json')
    expect(Object.keys(json(r)).sort()).toEqual(['location', 'repositoryId', 'slots'])
    expect(json<{ slots: unknown[] }>(r).slots).toHaveLength(1)
    const again = await init('--json')
    expect(again.code).toBe(2)
    expect(json<{ error: { code: string; hint: string } }>(again).error).toMatchObject({ code: 'USAGE', hint: expect.any(String) })
    repo = `memory://cmd-repo-${++n}`
    const taken = await init('--write-recovery-key', pw)
    expect(taken.code).toBe(2)
    expect(taken.stderr).toMatch(/already exists/)
    expect(await readFile(pw, 'utf8')).toBe(`${PASS}\n`)
    expect((await run(RepoKeyList, ['--repo', repo, '--password-file', pw])).code).toBe(10)
  })

  it('says what to do when no location or no passphrase is given', async () => {
    const noRepo = await run(RepoInit, ['--password-file', pw])
    expect(noRepo.code).toBe(2)
    expect(noRepo.stderr).toMatch(/Error: No repository location was given\.\nTry this: Pass --repo <location> or set KVDR_REPO\./)
    const noPass = await run(RepoInit, ['--repo', repo])
    expect(noPass.code).toBe(2)
    expect(noPass.stderr).toMatch(/needs a passphrase/)
  })
})

describe('opening errors', () => {
  it('wrong passphrase: exit 12, names the slot, says what to do, never prints the passphrase', async () => {
    await init()
    const wrong = await passwordFile(dir, 'a wrong passphrase!', 'wrong.txt')
    const r = await run(RepoCheck, ['--repo', repo, '--password-file', wrong])
    expect(r.code).toBe(12)
    expect(r.stderr).toMatch(/Error: Cannot open the repository at memory:\/\/cmd-repo-\d+: passphrase slot [0-9a-f]{16} does not open\./)
    expect(r.stderr).toMatch(/Try this: The passphrase is wrong/)
    expect(r.stderr + r.stdout).not.toContain('a wrong passphrase!')
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/) // no stack trace without --debug
    const debug = await run(RepoCheck, ['--repo', repo, '--password-file', wrong, '--debug'])
    expect(debug.code).toBe(12)
    expect(debug.stderr).toMatch(/RepoKeyError: Cannot open[\s\S]*\n\s+at .*keyslots\.ts:\d+/)
    const j = await run(RepoCheck, ['--repo', repo, '--password-file', wrong, '--json'])
    expect(json<{ error: { code: string; exitCode: number } }>(j).error).toMatchObject({ code: 'REPO_KEY', exitCode: 12 })
  })

  it('a missing recovery key file or password file is exit 12; no key at all is exit 12 with the options', async () => {
    await init()
    const missing = await run(RepoCheck, ['--repo', repo, '--recovery-key-file', join(dir, 'nope.txt')])
    expect(missing.code).toBe(12)
    expect(missing.stderr).toMatch(/Cannot read the recovery key file .*nope\.txt \(ENOENT\)/)
    expect((await run(RepoCheck, ['--repo', repo, '--password-file', join(dir, 'nope.txt')])).code).toBe(12)
    const none = await run(RepoCheck, ['--repo', repo])
    expect(none.code).toBe(12)
    expect(none.stderr).toMatch(/No key was given.*\nTry this: .*KVDR_PASSWORD.*--password-file.*--recovery-key-file/)
  })

  it('a location without a repository is exit 10', async () => {
    const r = await run(RepoCheck, ['--repo', 'memory://nothing-here', '--password-file', pw, '--json'])
    expect(r.code).toBe(10)
    expect(json<{ error: { code: string } }>(r).error.code).toBe('REPO_NOT_FOUND')
  })
})

describe('kvdr repo key', () => {
  it('add, list, remove; removing the last slot is refused with exit 23', async () => {
    await init()
    const second = await passwordFile(dir, 'a second passphrase', 'second.txt')
    const added = await run(RepoKeyAdd, ['--repo', repo, '--password-file', pw, '--new-password-file', second, '--label', 'ops', '--json'])
    expect(added.code).toBe(0)
    const slot = json<{ added: { id: string; type: string; label: string } }>(added).added
    expect(slot).toMatchObject({ type: 'passphrase', label: 'ops' })
    const list = json<{ slots: Array<{ id: string; current: boolean; valid: boolean }> }>(await run(RepoKeyList, ['--repo', repo, '--password-file', second, '--json']))
    expect(list.slots.map((s) => [s.id === slot.id, s.current, s.valid]).sort()).toEqual([[false, false, true], [true, true, true]])
    const human = await run(RepoKeyList, ['--repo', repo, '--password-file', second])
    expect(human.stdout).toMatch(/ID\s+Type\s+Label/)
    expect(human.stdout).toContain(slot.id)

    const first = list.slots.find((s) => s.id !== slot.id)?.id as string
    expect((await run(RepoKeyRemove, [first.slice(0, 6), '--repo', repo, '--password-file', second])).code).toBe(0)
    expect((await run(RepoKeyList, ['--repo', repo, '--password-file', pw])).code).toBe(12)
    const last = await run(RepoKeyRemove, [slot.id, '--repo', repo, '--password-file', second, '--json'])
    expect(last.code).toBe(23)
    expect(json<{ error: { code: string } }>(last).error.code).toBe('LAST_KEY_SLOT')
  })

  it('adds a recovery key (written once, never overwriting); a Key Vault slot whose vault cannot be reached is exit 12 naming why', async () => {
    await init()
    const file = join(dir, 'rk2.txt')
    const r = await run(RepoKeyAdd, ['--repo', repo, '--password-file', pw, '--type', 'recovery', '--write-recovery-key', file])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/KVDR-RK1-/)
    expect((await run(RepoKeyAdd, ['--repo', repo, '--password-file', pw, '--type', 'recovery', '--write-recovery-key', file])).code).toBe(2)
    expect((await run(RepoKeyAdd, ['--repo', repo, '--password-file', pw, '--type', 'recovery'])).code).toBe(2)
    const kek = await run(RepoKeyAdd, ['--repo', repo, '--password-file', pw, '--type', 'kek', '--key-id', 'https://kek.vault.azure.net/keys/k/0123'])
    expect(kek.code).toBe(12)
    expect(kek.stderr).toMatch(/could not wrap the repository key: Cannot resolve kek\.vault\.azure\.net/)
  })
})

describe('kvdr repo check, prune, copy, unlock', () => {
  async function seeded(): Promise<{ store: MemoryStore }> {
    await init()
    const { store, locker } = await openLocation(repo)
    const r = await openRepository(store, { passphrase: PASS }, { locker })
    await backupLike(r, ['a', 'b', 'c'])
    await r.withWriter('interrupted backup', (w) => w.saveContent('secret-value', new TextEncoder().encode('orphan')))
    return { store: store as MemoryStore }
  }

  it('check: exit 0 with stats when clean; exit 13 listing every damaged blob after tampering', async () => {
    const { store } = await seeded()
    const clean = await run(RepoCheck, ['--repo', repo, '--password-file', pw, '--read-data', '--json'])
    expect(clean.code).toBe(0)
    expect(json(clean)).toMatchObject({ ok: true, problems: [], stats: { snapshots: 1, entries: 3, contentsRead: 3, contentsUnreferenced: 1 } })
    const { store: s, locker } = await openLocation(repo)
    const snap = (await (await openRepository(s, { passphrase: PASS }, { locker })).listSnapshots()).snapshots[0]
    const entries = await entriesOf(await openRepository(s, { passphrase: PASS }, { locker }), snap as NonNullable<typeof snap>)
    const blobs = entries.slice(0, 2).map((e) => contentBlobName(parseContentId(e.refs[0] as string).hex))
    for (const b of blobs) store.tamper(b, new Uint8Array(50))
    const bad = await run(RepoCheck, ['--repo', repo, '--password-file', pw, '--read-data-subset', '100%', '--json'])
    expect(bad.code).toBe(13)
    expect(json<{ ok: boolean; problems: Array<{ blob: string }> }>(bad).problems.map((p) => p.blob).sort()).toEqual(blobs.sort())
    const human = await run(RepoCheck, ['--repo', repo, '--password-file', pw, '--read-data'])
    expect(human.code).toBe(13)
    expect(human.stdout).toMatch(/2 problems found:/)
    expect((await run(RepoCheck, ['--repo', repo, '--password-file', pw, '--read-data-subset', 'lots'])).code).toBe(2)
  })

  it('prune: --dry-run reports and keeps; the safety margin protects young uploads', async () => {
    await seeded()
    const dry = await run(RepoPrune, ['--repo', repo, '--password-file', pw, '--dry-run', '--safety-margin', '0h', '--json'])
    expect(dry.code).toBe(0)
    expect(json(dry)).toMatchObject({ dryRun: true, contents: { unreferenced: 1 }, deleted: { count: 1 } })
    const kept = await run(RepoPrune, ['--repo', repo, '--password-file', pw, '--json'])
    expect(json(kept)).toMatchObject({ dryRun: false, keptTooRecent: 1, deleted: { count: 0 } })
    const real = await run(RepoPrune, ['--repo', repo, '--password-file', pw, '--safety-margin', '0h'])
    expect(real.stdout).toMatch(/Deleted 1 unreferenced content/)
    expect((await run(RepoPrune, ['--repo', repo, '--password-file', pw, '--safety-margin', '1w'])).code).toBe(2)
  })

  it('copy: makes a replica, then skips what is there; refuses a foreign repository', async () => {
    await seeded()
    const target = `memory://cmd-replica-${n}`
    const first = await run(RepoCopy, ['--repo', repo, '--password-file', pw, '--to', target, '--json'])
    expect(first.code).toBe(0)
    expect(json(first)).toMatchObject({ initialized: true, snapshots: { copied: [expect.any(String)], skipped: [] } })
    const again = json(await run(RepoCopy, ['--repo', repo, '--password-file', pw, '--to', target, '--json']))
    expect(again).toMatchObject({ initialized: false, snapshots: { copied: [], skipped: [expect.any(String)] } })
    expect((await run(RepoCheck, ['--repo', target, '--password-file', pw, '--read-data'])).code).toBe(0)
    const other = repo
    repo = `memory://cmd-repo-${++n}`
    await init()
    const foreign = await run(RepoCopy, ['--repo', other, '--password-file', pw, '--to', repo])
    expect(foreign.code).toBe(2)
    expect(foreign.stderr).toMatch(/different kvdr repository/)
  })

  it('unlock: removes locks and reports those remaining; exit 10 without a repository', async () => {
    await init()
    const { locker } = await openLocation(repo)
    await locker.acquire('shared', 'backup (crashed)')
    const kept = json<{ removed: number; remaining: Array<{ command: string }> }>(await run(RepoUnlock, ['--repo', repo, '--json']))
    expect(kept).toMatchObject({ removed: 0, remaining: [{ command: 'backup (crashed)' }] })
    expect(json(await run(RepoUnlock, ['--repo', repo, '--all', '--json']))).toMatchObject({ removed: 1, remaining: [] })
    expect((await run(RepoUnlock, ['--repo', 'memory://no-repo-here'])).code).toBe(10)
  })
})
