/**
 * `kvdr repo ...` through oclif on real locations (a directory by path and by file:// URL, azblob:// on
 * Azurite): exit codes, --json shapes, messages, locks, read-only access, and secrets kept out of output.
 */
import { readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ContainerSASPermissions } from '@azure/storage-blob'
import { beforeEach, describe, expect, it } from 'vitest'
import RepoCheck from '../../../commands/repo/check.js'
import RepoCopy from '../../../commands/repo/copy.js'
import RepoInit from '../../../commands/repo/init.js'
import RepoKeyAdd from '../../../commands/repo/key/add.js'
import RepoKeyList from '../../../commands/repo/key/list.js'
import RepoKeyRemove from '../../../commands/repo/key/remove.js'
import RepoPrune from '../../../commands/repo/prune.js'
import RepoUnlock from '../../../commands/repo/unlock.js'
import SnapshotsForget from '../../../commands/snapshots/forget.js'
import SnapshotsList from '../../../commands/snapshots/list.js'
import SnapshotsShow from '../../../commands/snapshots/show.js'
import { openRepository, type Repository } from '../../../src/repo/repository.js'
import { contentBlobName, parseContentId } from '../../../src/repo/types.js'
import { AZURITE_KEY } from '../../support/azurite.js'
import { adminClient, azurite, type TestBackend } from '../../repo/support/backends.js'
import { backupLike, entriesOf, tempDir } from '../../repo/support/fixtures.js'
import { AZURITE, DIRECTORY, LOCATIONS, setEnv, useLocation } from '../locations.js'
import { json, passwordFile, run } from './run.js'

const PASS = 'the repository passphrase'
let dir: string
let pw: string
let repo: string

beforeEach(async () => {
  dir = await tempDir()
  setEnv({ KVDR_CACHE_DIR: join(dir, 'cache'), KVDR_PASSWORD: undefined, KVDR_REPO: undefined, AZURE_STORAGE_CONNECTION_STRING: undefined })
  pw = await passwordFile(dir, PASS)
})

const init = (...extra: string[]) => run(RepoInit, ['--repo', repo, '--password-file', pw, '--kdf-cost', '10', ...extra])
const keyed = (...a: string[]) => [...a, '--repo', repo, '--password-file', pw]

/** An initialised repository at `b` with one snapshot of three objects and the upload of an interrupted backup. */
async function seeded(b: TestBackend): Promise<Repository> {
  repo = b.location
  expect((await init()).code).toBe(0)
  const r = await openRepository(b.store, { passphrase: PASS }, { locker: b.locker })
  await backupLike(r, ['a', 'b', 'c'])
  await r.withWriter('interrupted backup', (w) => w.saveContent('secret-value', new TextEncoder().encode('orphan')))
  return r
}

describe.each(LOCATIONS)('kvdr repo on $label', (where) => {
  let b: TestBackend
  beforeEach(async () => {
    b = await useLocation(where)
    repo = b.location
  })

  it('init creates the repository, writes the recovery key file (0600) and prints the key once; the key opens it', async () => {
    const file = join(dir, 'recovery.txt')
    const r = await init('--write-recovery-key', file)
    expect(r.code).toBe(0)
    const text = await readFile(file, 'utf8')
    const key = /KVDR-RK1-[A-Z2-7-]+/.exec(text)?.[0] as string
    expect(r.stdout).toContain(key)
    expect(r.stdout).not.toContain(PASS)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const list = await run(RepoKeyList, ['--repo', repo, '--recovery-key-file', file, '--json'])
    expect(list.code).toBe(0)
    expect(json<{ slots: Array<{ type: string; current: boolean }> }>(list).slots.find((s) => s.current)?.type).toBe('recovery')
  })

  it('init --json gives {repositoryId, location, slots}; a second init is a usage error; a taken file name is refused before anything is created', async () => {
    const r = await init('--json')
    expect(Object.keys(json(r)).sort()).toEqual(['location', 'repositoryId', 'slots'])
    expect(json<{ location: string }>(r).location).toBe(b.store.location)
    const again = await init('--json')
    expect(again.code).toBe(2)
    expect(json<{ error: { code: string; hint: string } }>(again).error).toMatchObject({ code: 'USAGE', hint: expect.any(String) })
    repo = b.sibling()
    const taken = await init('--write-recovery-key', pw)
    expect(taken.code).toBe(2)
    expect(taken.stderr).toMatch(/already exists/)
    expect(await readFile(pw, 'utf8')).toBe(`${PASS}\n`)
    const absent = await run(RepoKeyList, ['--repo', repo, '--password-file', pw, '--json'])
    expect(absent.code).toBe(10) // not even the directory or container was created
    expect(json<{ error: { code: string; hint: string } }>(absent).error).toMatchObject({ code: 'REPO_NOT_FOUND', hint: expect.stringMatching(/kvdr repo init/) })
  })

  it('check: exit 0 with stats when clean; exit 13 listing every damaged blob after tampering', async () => {
    const r = await seeded(b)
    const clean = await run(RepoCheck, keyed('--read-data', '--json'))
    expect(clean.code).toBe(0)
    expect(json(clean)).toMatchObject({ ok: true, problems: [], stats: { snapshots: 1, entries: 3, contentsRead: 3, contentsUnreferenced: 1 }, leftovers: { found: 0, removed: 0 } })
    const snap = (await r.listSnapshots()).snapshots[0]
    const blobs = (await entriesOf(r, snap as NonNullable<typeof snap>)).slice(0, 2).map((e) => contentBlobName(parseContentId(e.refs[0] as string).hex))
    for (const blob of blobs) await b.tamper(blob, new Uint8Array(50))
    const bad = await run(RepoCheck, keyed('--read-data-subset', '100%', '--json'))
    expect(bad.code).toBe(13)
    expect(json<{ problems: Array<{ blob: string }> }>(bad).problems.map((p) => p.blob).sort()).toEqual(blobs.sort())
    const human = await run(RepoCheck, keyed('--read-data'))
    expect(human.code).toBe(13)
    expect(human.stdout).toMatch(/2 problems found:/)
    expect((await run(RepoCheck, keyed('--read-data-subset', 'lots'))).code).toBe(2)
  })

  it('prune: --dry-run reports and keeps; the safety margin protects young uploads', async () => {
    await seeded(b)
    const dry = await run(RepoPrune, keyed('--dry-run', '--safety-margin', '0h', '--json'))
    expect(dry.code).toBe(0)
    expect(json(dry)).toMatchObject({ dryRun: true, contents: { unreferenced: 1 }, deleted: { count: 1 } })
    const kept = await run(RepoPrune, keyed('--json'))
    expect(json(kept)).toMatchObject({ dryRun: false, keptTooRecent: 1, deleted: { count: 0 } })
    const real = await run(RepoPrune, keyed('--safety-margin', '0h'))
    expect(real.stdout).toMatch(/Deleted 1 unreferenced content/)
    expect(json(await run(RepoCheck, keyed('--json')))).toMatchObject({ ok: true, stats: { contentsUnreferenced: 0 } })
    expect((await run(RepoPrune, keyed('--safety-margin', '1w'))).code).toBe(2)
  })

  it('copy: makes a replica at a new location of the same kind, then skips what is there; refuses a foreign repository', async () => {
    await seeded(b)
    const source = repo
    const target = b.sibling()
    const first = await run(RepoCopy, keyed('--to', target, '--json'))
    expect(first.code).toBe(0)
    expect(json(first)).toMatchObject({ initialized: true, snapshots: { copied: [expect.any(String)], skipped: [] } })
    const again = json(await run(RepoCopy, keyed('--to', target, '--json')))
    expect(again).toMatchObject({ initialized: false, snapshots: { copied: [], skipped: [expect.any(String)] } })
    repo = target
    expect((await run(RepoCheck, keyed('--read-data'))).code).toBe(0)
    repo = b.sibling()
    await init()
    const foreign = await run(RepoCopy, ['--repo', source, '--password-file', pw, '--to', repo])
    expect(foreign.code).toBe(2)
    expect(foreign.stderr).toMatch(/different kvdr repository/)
  })

  it('a lock held elsewhere: forget and prune exit 11 naming the holder, readers share it; an exclusive holder keeps readers out', async () => {
    await seeded(b)
    const backup = await b.locker.acquire('shared', 'backup --vault prod (elsewhere)')
    try {
      const forget = await run(SnapshotsForget, keyed('--keep-last', '1', '--json'))
      expect(forget.code).toBe(11)
      expect(json<{ error: Record<string, unknown> }>(forget).error).toMatchObject({
        code: 'REPO_LOCKED',
        exitCode: 11,
        details: { wanted: 'exclusive', holders: [{ command: 'backup --vault prod (elsewhere)', pid: process.pid, mode: 'shared' }] },
      })
      const prune = await run(RepoPrune, keyed())
      expect(prune.code).toBe(11)
      expect(prune.stderr).toMatch(/Error: Cannot take an exclusive lock on .*"backup --vault prod \(elsewhere\)"/)
      expect(prune.stderr).toMatch(/Try this: Wait for that command to finish/)
      expect((await run(SnapshotsList, keyed())).code).toBe(0)
    } finally {
      await backup.release()
    }
    const pruning = await b.locker.acquire('exclusive', 'repo prune (elsewhere)')
    try {
      const list = await run(SnapshotsList, keyed('--json'))
      expect(list.code).toBe(11)
      expect(json<{ error: { message: string } }>(list).error.message).toMatch(/Cannot take a shared lock .*repo prune \(elsewhere\)/)
      expect((await run(SnapshotsList, keyed('--lock-wait', '0'))).code).toBe(11)
    } finally {
      await pruning.release()
    }
    expect((await run(SnapshotsForget, keyed('--keep-last', '1'))).code).toBe(0)
  })

  it('unlock: removes locks only with --all while their holder lives, reports those remaining; exit 10 without a repository', async () => {
    await init()
    const held = await b.locker.acquire('shared', 'backup (hung)')
    const kept = json<{ removed: number; remaining: Array<{ command: string; stale: boolean }> }>(await run(RepoUnlock, ['--repo', repo, '--json']))
    expect(kept).toMatchObject({ removed: 0, remaining: [{ command: 'backup (hung)', stale: false }] })
    expect(json(await run(RepoUnlock, ['--repo', repo, '--all', '--json']))).toMatchObject({ removed: 1, remaining: [] })
    await held.release()
    expect((await run(RepoUnlock, ['--repo', b.sibling()])).code).toBe(10)
  })
})

describe('on a local directory', () => {
  let b: TestBackend
  beforeEach(async () => {
    b = await useLocation(DIRECTORY)
    repo = b.location
  })

  it('wrong passphrase: exit 12, names the slot, says what to do, never prints the passphrase', async () => {
    await init()
    const wrong = await passwordFile(dir, 'a wrong passphrase!', 'wrong.txt')
    const r = await run(RepoCheck, ['--repo', repo, '--password-file', wrong])
    expect(r.code).toBe(12)
    expect(r.stderr).toContain(`Error: Cannot open the repository at ${b.store.location}: passphrase slot `)
    expect(r.stderr).toMatch(/passphrase slot [0-9a-f]{16} does not open\./)
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

  it('says what to do without a location, or with one that cannot be a repository; KVDR_REPO names it too', async () => {
    const noRepo = await run(RepoInit, ['--password-file', pw])
    expect(noRepo.code).toBe(2)
    expect(noRepo.stderr).toMatch(/Error: No repository location given\.\nTry this: Pass --repo <location> or set KVDR_REPO\. /)
    const noPass = await run(RepoInit, ['--repo', repo])
    expect(noPass.code).toBe(2)
    expect(noPass.stderr).toMatch(/needs a passphrase/)
    const scheme = await run(RepoCheck, ['--repo', 's3://bucket/kv', '--password-file', pw, '--json'])
    expect(scheme.code).toBe(2)
    expect(json<{ error: { message: string; hint: string } }>(scheme).error).toMatchObject({ message: expect.stringMatching(/not supported/), hint: expect.stringMatching(/azblob:\/\//) })
    const file = join(dir, 'a-file')
    await writeFile(file, 'x')
    expect((await run(RepoCheck, ['--repo', file, '--password-file', pw])).code).toBe(10)

    await init()
    setEnv({ KVDR_REPO: repo })
    const viaEnv = await run(RepoCheck, ['--password-file', pw, '--json'])
    expect(viaEnv.code).toBe(0)
    expect(json(viaEnv)).toMatchObject({ ok: true })
  })

  it('check reports temporary files crashed writers left behind; --repair removes those older than an hour', async () => {
    await seeded(b)
    const old = join(repo, 'data', '.kvdr-tmp-4242-7-crashed')
    const young = join(repo, 'snapshots', '.kvdr-tmp-4242-8-writing')
    await writeFile(old, 'half a content')
    await writeFile(young, 'half a manifest')
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000)
    await utimes(old, twoHoursAgo, twoHoursAgo)

    const report = await run(RepoCheck, keyed('--json'))
    expect(report.code).toBe(0)
    expect(json(report)).toMatchObject({ ok: true, leftovers: { found: 1, removed: 0 }, warnings: [expect.stringMatching(/Temporary files left by interrupted writers: 1 .*--repair/)] })
    expect((await run(RepoCheck, keyed())).stderr).toMatch(/Warning: Temporary files left by interrupted writers: 1/)
    await stat(old)

    const fixed = await run(RepoCheck, keyed('--repair', '--json'))
    expect(json(fixed)).toMatchObject({ ok: true, leftovers: { found: 1, removed: 1 }, warnings: [] })
    await expect(stat(old)).rejects.toMatchObject({ code: 'ENOENT' })
    await stat(young) // a writer may still be using it
    expect((await run(RepoCheck, keyed('--repair', '--no-lock'))).code).toBe(2)
  })

  it('key add, list, remove; removing the last slot is refused with exit 23', async () => {
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
    const r = await run(RepoKeyAdd, keyed('--type', 'recovery', '--write-recovery-key', file))
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/KVDR-RK1-/)
    expect((await run(RepoKeyAdd, keyed('--type', 'recovery', '--write-recovery-key', file))).code).toBe(2)
    expect((await run(RepoKeyAdd, keyed('--type', 'recovery'))).code).toBe(2)
    const kek = await run(RepoKeyAdd, keyed('--type', 'kek', '--key-id', 'https://kek.vault.azure.net/keys/k/0123'))
    expect(kek.code).toBe(12)
    expect(kek.stderr).toMatch(/could not wrap the repository key: Cannot resolve kek\.vault\.azure\.net/)
  })
})

describe('read-only access on Azurite (a DR site)', () => {
  let b: TestBackend
  beforeEach(async () => {
    b = await useLocation(AZURITE)
    repo = b.location
  })
  const containerOf = (location: string): string => (/^azblob:\/\/[^/]+\/([^/]+)/.exec(location) as RegExpExecArray)[1] as string
  const sasUrl = (container: string, permissions: string) =>
    adminClient(container).generateSasUrl({ permissions: ContainerSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3600_000) })

  it('with a read-only SAS, readers go on without a lock (a warning on stderr, none with --no-lock) unless a prune holds it; writers exit 21', async () => {
    await seeded(b)
    setEnv({ AZURE_STORAGE_CONNECTION_STRING: undefined, AZURE_STORAGE_SAS_TOKEN: await sasUrl(containerOf(repo), 'rl') })
    const list = await run(SnapshotsList, keyed())
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/1 snapshot\./)
    expect(list.stderr).toMatch(/^Warning: Could not take a shared lock on azblob:\/\/\S+: Permission denied: .* Reading without a lock: .*Pass --no-lock/m)
    const quiet = await run(SnapshotsList, keyed('--no-lock'))
    expect(quiet).toMatchObject({ code: 0, stderr: '' })
    const check = await run(RepoCheck, keyed('--read-data', '--json'))
    expect(check.code).toBe(0)
    expect(json(check)).toMatchObject({ ok: true, stats: { contentsRead: 3 } }) // the warning went to stderr, not into the JSON
    expect(check.stderr).toMatch(/Warning: Could not take a shared lock/)
    expect((await run(SnapshotsShow, keyed('latest', '--no-lock'))).code).toBe(0)
    expect((await run(RepoKeyList, keyed('--no-lock'))).code).toBe(0)
    // Without write access a reader still sees a prune (exclusive lock) held elsewhere, and waits for nobody.
    const pruning = await b.locker.acquire('exclusive', 'repo prune (elsewhere)')
    try {
      const blocked = await run(SnapshotsList, keyed('--json'))
      expect(blocked.code).toBe(11)
      expect(json<{ error: { message: string } }>(blocked).error.message).toMatch(/repo prune \(elsewhere\)/)
    } finally {
      await pruning.release()
    }

    const forget = await run(SnapshotsForget, keyed('--keep-last', '1', '--json'))
    expect(forget.code).toBe(21)
    expect(json<{ error: Record<string, unknown> }>(forget).error).toMatchObject({ code: 'STORE_FORBIDDEN', hint: expect.stringMatching(/Storage Blob Data Contributor/) })
    expect((await run(RepoCheck, keyed('--repair'))).code).toBe(21)
    // Nothing was written: no lock blobs were left behind by the refused attempts.
    expect((await b.rawNames()).filter((n) => n.startsWith('locks/held/'))).toEqual([])
  })

  it('copy reads a read-only source and writes the target with the target\'s own credentials', async () => {
    await seeded(b)
    const target = b.sibling()
    await adminClient(containerOf(target)).create()
    setEnv({ AZURE_STORAGE_CONNECTION_STRING: undefined, AZURE_STORAGE_SAS_TOKEN: await sasUrl(containerOf(repo), 'rl') })
    const crossed = await run(RepoCopy, keyed('--to', target, '--no-lock'))
    expect(crossed.code).toBe(2) // the source's SAS names another container
    expect(crossed.stderr).toMatch(/The SAS URL is for container/)
    setEnv({ KVDR_COPY_TO_SAS_TOKEN: await sasUrl(containerOf(target), 'racwdl') })
    const copied = await run(RepoCopy, keyed('--to', target, '--no-lock', '--json'))
    expect(copied.code).toBe(0)
    expect(json(copied)).toMatchObject({ initialized: true, snapshots: { copied: [expect.any(String)] } })

    setEnv({ AZURE_STORAGE_CONNECTION_STRING: azurite().connectionString, AZURE_STORAGE_SAS_TOKEN: undefined, KVDR_COPY_TO_SAS_TOKEN: undefined })
    repo = target
    expect((await run(RepoCheck, keyed('--read-data'))).code).toBe(0)
  })

  it('--blob-endpoint (or KVDR_BLOB_ENDPOINT) tells an account key where the blob service is', async () => {
    await seeded(b)
    setEnv({ AZURE_STORAGE_CONNECTION_STRING: undefined, AZURE_STORAGE_KEY: AZURITE_KEY })
    const flag = await run(SnapshotsList, keyed('--blob-endpoint', azurite().endpoint, '--json'))
    expect(flag.code).toBe(0)
    expect(json<{ snapshots: unknown[] }>(flag).snapshots).toHaveLength(1)
    setEnv({ KVDR_BLOB_ENDPOINT: azurite().endpoint })
    expect((await run(SnapshotsList, keyed())).code).toBe(0)
    const plain = await run(SnapshotsList, keyed('--blob-endpoint', 'http://storage.example.com'))
    expect(plain.code).toBe(2)
    expect(plain.stderr).toMatch(/is not https/)
  })
})
