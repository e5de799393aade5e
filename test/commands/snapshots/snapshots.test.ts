/** `kvdr snapshots ...` through oclif on real locations (a file:// URL, azblob:// on Azurite): exit codes, --json shapes and tables. */
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import RepoInit from '../../../commands/repo/init.js'
import SnapshotsDiff from '../../../commands/snapshots/diff.js'
import SnapshotsForget from '../../../commands/snapshots/forget.js'
import SnapshotsList from '../../../commands/snapshots/list.js'
import SnapshotsShow from '../../../commands/snapshots/show.js'
import { openRepository, type Repository } from '../../../src/repo/repository.js'
import type { Snapshot } from '../../../src/repo/types.js'
import type { TestBackend } from '../../repo/support/backends.js'
import { backupLike, tempDir, VAULT } from '../../repo/support/fixtures.js'
import { AZURITE, FILE_URL, setEnv, useLocation } from '../locations.js'
import { json, passwordFile, run } from '../repo/run.js'

const PASS = 'the repository passphrase'
let pw: string
let repo: string

/** A repository at `b` with two snapshots of VAULT a day apart and one of another vault. */
async function seeded(b: TestBackend): Promise<{ r: Repository; a: Snapshot; b: Snapshot; c: Snapshot }> {
  const dir = await tempDir()
  setEnv({ KVDR_CACHE_DIR: join(dir, 'cache'), KVDR_PASSWORD: undefined })
  pw = await passwordFile(dir, PASS)
  repo = b.location
  expect((await run(RepoInit, ['--repo', repo, '--password-file', pw, '--kdf-cost', '10'])).code).toBe(0)
  const r = await openRepository(b.store, { passphrase: PASS }, { locker: b.locker })
  const a = await backupLike(r, ['one', 'two'], { generation: 1, time: new Date('2026-03-01T10:00:00Z'), tags: ['nightly'] })
  const s2 = await backupLike(r, ['one', 'three'], { generation: 2, time: new Date('2026-03-02T10:00:00Z'), tags: ['nightly'] })
  const c = await backupLike(r, ['x'], { vault: { ...VAULT, url: 'https://other.vault.azure.net' }, time: new Date('2026-03-02T11:00:00Z') })
  return { r, a, b: s2, c }
}

const args = (...a: string[]) => [...a, '--repo', repo, '--password-file', pw]

describe.each([FILE_URL, AZURITE])('kvdr snapshots on $label', (where) => {
  let location: TestBackend
  beforeEach(async () => {
    location = await useLocation(where)
  })

  it('lists snapshots oldest first as a table and as JSON', async () => {
    const { a, b, c } = await seeded(location)
    const human = await run(SnapshotsList, args())
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(new RegExp(`ID\\s+Time \\(UTC\\)\\s+Vault\\s+Tags\\s+Objects\\s+Warn\\s+Err\\n[- ]+\\n${a.id.slice(0, 8)}\\s+2026-03-01 10:00:00\\s+${VAULT.url}\\s+nightly\\s+2`))
    expect(human.stdout).toMatch(/3 snapshots\./)
    const j = json<{ snapshots: Array<Record<string, unknown>>; problems: unknown[]; warnings: unknown[] }>(await run(SnapshotsList, args('--json')))
    expect(j.snapshots.map((s) => s.id)).toEqual([a.id, b.id, c.id])
    expect(Object.keys(j.snapshots[0] as object).sort()).toEqual(['entryCount', 'id', 'parent', 'seq', 'summary', 'tags', 'time', 'tool', 'vault'])
    expect(j.snapshots[1]).toMatchObject({ parent: a.id, summary: { done: 2, warnings: 0, errors: 0 } })
    const filtered = json<{ snapshots: unknown[] }>(await run(SnapshotsList, args('--vault', 'https://other.vault.azure.net', '--json')))
    expect(filtered.snapshots).toHaveLength(1)
  })

  it('shows one snapshot by prefix or "latest", with its objects', async () => {
    const { b, c } = await seeded(location)
    const j = json<{ snapshot: Record<string, unknown>; entries: Array<{ name: string }> }>(await run(SnapshotsShow, args(b.id.slice(0, 8), '--json')))
    expect(j.snapshot).toMatchObject({ id: b.id, entryCount: 2, vault: VAULT })
    expect(j.snapshot.pages).toBeUndefined()
    expect(j.entries.map((e) => e.name)).toEqual(['one', 'three'])
    const latest = await run(SnapshotsShow, args('latest'))
    expect(latest.stdout).toContain(`Snapshot ${c.id}`)
    const ofVault = json<{ snapshot: { id: string } }>(await run(SnapshotsShow, args('latest', '--vault', VAULT.url, '--json', '--no-entries')))
    expect(ofVault.snapshot.id).toBe(b.id)
    const missing = await run(SnapshotsShow, args('0000abcd'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/No snapshot matches "0000abcd"/)
  })

  it('exits 13 and names the blob when a manifest is damaged', async () => {
    const { a } = await seeded(location)
    await location.tamper(`snapshots/${a.id}`, new Uint8Array(80))
    const r = await run(SnapshotsList, args('--json'))
    expect(r.code).toBe(13)
    expect(json<{ snapshots: unknown[]; problems: Array<{ blob: string }> }>(r)).toMatchObject({ snapshots: [{}, {}], problems: [{ blob: `snapshots/${a.id}` }] })
  })

  it('warns on stderr when snapshots this machine saw have vanished without a forget', async () => {
    const { c } = await seeded(location)
    expect((await run(SnapshotsList, args())).stderr).toBe('')
    await location.store.delete(`snapshots/${c.id}`)
    const r = await run(SnapshotsList, args())
    expect(r.stderr).toMatch(new RegExp(`Warning: The repository went backwards: snapshot ${c.id.slice(0, 8)}`))
  })
  it('forget --dry-run shows per-vault decisions; the real run removes; unlimited and bad counts parse as documented', async () => {
    const { a, b } = await seeded(location)
    const dry = json<{ dryRun: boolean; groups: Array<{ vault: string; keep: Array<{ id: string; reasons: string[] }>; remove: Array<{ id: string }> }>; removed: string[] }>(
      await run(SnapshotsForget, args('--keep-last', '1', '--dry-run', '--json')),
    )
    expect(dry.dryRun).toBe(true)
    expect(dry.removed).toEqual([])
    const g = dry.groups.find((x) => x.vault === VAULT.url)
    expect(g?.keep).toEqual([expect.objectContaining({ id: b.id, reasons: ['last snapshot'] })])
    expect(g?.remove.map((x) => x.id)).toEqual([a.id])

    const human = await run(SnapshotsForget, args('--keep-daily', 'unlimited', '--keep-within', '1d'))
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/Vault https:\/\/prod-kv\.vault\.azure\.net: keep 2, remove 0/)
    expect(human.stdout).toMatch(/within 1d, daily snapshot/)

    const real = json<{ removed: string[] }>(await run(SnapshotsForget, args('--keep-last', '1', '--json')))
    expect(real.removed).toEqual([a.id])
    expect((await run(SnapshotsForget, args('--keep-daily', 'lots'))).code).toBe(2)
    expect((await run(SnapshotsForget, args('--keep-within', '1w'))).code).toBe(2)
    const none = await run(SnapshotsForget, args())
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/No policy was given/)
    const all = await run(SnapshotsForget, args('--keep-tag', 'weekly', '--json'))
    expect(all.code).toBe(23)
  })

  it('diff lists added, removed and changed objects', async () => {
    const { a, b } = await seeded(location)
    const j = json(await run(SnapshotsDiff, args(a.id.slice(0, 8), b.id.slice(0, 8), '--json')))
    expect(j).toEqual({
      from: a.id,
      to: b.id,
      added: [{ kind: 'secret', name: 'three' }],
      removed: [{ kind: 'secret', name: 'two' }],
      changed: [{ kind: 'secret', name: 'one', contents: true, metadata: true }],
      unchanged: 0,
    })
    const human = await run(SnapshotsDiff, args(a.id.slice(0, 8), b.id.slice(0, 8)))
    expect(human.stdout).toMatch(/\+ secret\/three\n- secret\/two\nM secret\/one \(value, metadata\)\n1 added, 1 removed, 1 changed, 0 unchanged\./)
  })
})
