/**
 * Tamper suite: an attacker or bit rot with raw storage access changes blobs. Every change must be found by
 * `check` and refused when the data is read - in memory, in a local directory and on Azure Blob (Azurite).
 */
import { describe, expect, it } from 'vitest'
import { ExitCode, KvdrError } from '../../src/core/errors.js'
import { checkRepository } from '../../src/repo/check.js'
import { IntegrityError } from '../../src/repo/errors.js'
import { forgetSnapshots } from '../../src/repo/forget.js'
import type { Repository } from '../../src/repo/repository.js'
import { contentBlobName, parseContentId, type Snapshot, type SnapshotId } from '../../src/repo/types.js'
import { BACKENDS, type BackendName } from './support/backends.js'
import { backupLike, type BackendRepo, blobNames, entriesOf, backendRepo, names, reopen } from './support/fixtures.js'

interface Fixture extends BackendRepo {
  recoveryKey: Uint8Array
  a: Snapshot
  b: Snapshot
}

async function fixture(backend: BackendName): Promise<Fixture> {
  const t = await backendRepo(backend, { pageSize: 4, extraSlots: [{ type: 'recovery' }] })
  const a = await backupLike(t.repo, names(10), { generation: 1 })
  t.clock.advance(60_000)
  const b = await backupLike(t.repo, names(12), { generation: 2 })
  return { ...t, recoveryKey: t.slots[1]?.recoveryKey as Uint8Array, a, b }
}

function flipped(bytes: Uint8Array, index = Math.floor(bytes.length / 2)): Uint8Array {
  const out = Uint8Array.from(bytes)
  out[index] = (out[index] as number) ^ 0x01
  return out
}

/** Problems `check` reports, opening with the passphrase (or the recovery key). A refused open counts as its one problem. */
async function checkProblems(f: Fixture, readData = false, withRecovery = false): Promise<Array<{ blob: string; message: string }>> {
  let repo: Repository
  try {
    repo = await reopen(f.store, f.locker, withRecovery ? { recoveryKey: f.recoveryKey } : {})
  } catch (err) {
    if (err instanceof KvdrError && err.exitCode === ExitCode.Integrity) return [{ blob: (err as IntegrityError).blob, message: err.message }]
    throw err
  }
  const result = await checkRepository(repo, readData ? { readData: 'all' } : {})
  expect(result.ok).toBe(result.problems.length === 0)
  return result.problems
}

const valueRef = async (f: Fixture, snap: Snapshot, i = 0) => (await entriesOf(f.repo, snap))[i]?.refs[0] as NonNullable<Snapshot['pages'][number]>

describe.each(BACKENDS)('tamper detection on %s', (backend) => {
  it('a clean repository checks clean, with and without reading data', async () => {
    const f = await fixture(backend)
    expect(await checkProblems(f)).toEqual([])
    expect(await checkProblems(f, true)).toEqual([])
  })

  it('config: every flipped byte is refused on open (exit 13 or an unknown version)', async () => {
    const f = await fixture(backend)
    const original = await f.store.get('config')
    for (let i = 0; i < original.length; i += 5) {
      await f.tamper('config', flipped(original, i))
      const err = await reopen(f.store, f.locker).then(() => undefined, (e: KvdrError) => e)
      expect(err, `byte ${i}`).toBeInstanceOf(KvdrError)
      expect([ExitCode.Integrity, ExitCode.Failure], `byte ${i}: ${err?.message}`).toContain(err?.exitCode)
    }
    await f.tamper('config', flipped(original))
    expect((await checkProblems(f))[0]?.blob).toBe('config')
  })

  it('config removed: refused with an integrity error that says what happened', async () => {
    const f = await fixture(backend)
    await f.store.delete('config')
    const err = await reopen(f.store, f.locker).then(() => undefined, (e: KvdrError) => e)
    expect(err?.exitCode).toBe(ExitCode.Integrity)
    expect(err?.message).toMatch(/no config blob, but holds kvdr data/)
    expect(err?.hint).toMatch(/do not run `kvdr repo init`/)
  })

  it('key slot: a flipped byte anywhere stops that slot opening; check finds it through another slot', async () => {
    const f = await fixture(backend)
    const passSlot = `keys/${f.repo.openedWith.id}`
    const original = await f.store.get(passSlot)
    for (let i = 0; i < original.length; i += 11) {
      await f.tamper(passSlot, flipped(original, i))
      const err = await reopen(f.store, f.locker).then(() => undefined, (e: KvdrError) => e)
      expect(err, `byte ${i}`).toBeInstanceOf(KvdrError)
      expect([ExitCode.RepoKey, ExitCode.Integrity], `byte ${i}: ${err?.message}`).toContain(err?.exitCode)
    }
    await f.tamper(passSlot, flipped(original))
    expect((await checkProblems(f, false, true)).map((p) => p.blob)).toEqual([passSlot])
  })

  it('key slot metadata (its label) altered but still parseable: check reports the MAC mismatch, open refuses', async () => {
    const f = await fixture(backend)
    const passSlot = `keys/${f.repo.openedWith.id}`
    const text = new TextDecoder().decode(await f.store.get(passSlot))
    await f.tamper(passSlot, new TextEncoder().encode(text.replace('"label":"passphrase"', '"label":"passphrasf"')))
    const err = await reopen(f.store, f.locker).then(() => undefined, (e: KvdrError) => e)
    expect(err?.exitCode).toBe(ExitCode.Integrity)
    expect(err?.message).toMatch(/metadata was altered/)
    expect(await checkProblems(f, false, true)).toEqual([{ blob: passSlot, message: expect.stringMatching(/MAC/) }])
  })

  it('content: a flipped byte is found by check --read-data and refused on read', async () => {
    const f = await fixture(backend)
    const ref = await valueRef(f, f.b)
    const blob = contentBlobName(parseContentId(ref).hex)
    await f.tamper(blob, flipped(await f.store.get(blob)))
    await expect(f.repo.loadContent(ref)).rejects.toBeInstanceOf(IntegrityError)
    expect((await checkProblems(f, true)).map((p) => p.blob)).toEqual([blob])
  })

  it('content: truncated, deleted, or replaced by another content\'s bytes', async () => {
    const f = await fixture(backend)
    const [r0, r1, r2] = await Promise.all([valueRef(f, f.b, 0), valueRef(f, f.b, 1), valueRef(f, f.b, 2)])
    const [b0, b1, b2] = [r0, r1, r2].map((r) => contentBlobName(parseContentId(r).hex)) as [string, string, string]
    await f.tamper(b0, (await f.store.get(b0)).subarray(0, 40))
    await f.store.delete(b1)
    await f.tamper(b2, await f.store.get(contentBlobName(parseContentId(await valueRef(f, f.b, 3)).hex)))
    for (const r of [r0, r1, r2]) await expect(f.repo.loadContent(r)).rejects.toBeInstanceOf(IntegrityError)
    const problems = await checkProblems(f, true)
    expect(problems.map((p) => p.blob).sort()).toEqual([b0, b1, b2].sort())
    expect(problems.find((p) => p.blob === b1)?.message).toMatch(/missing/)
    // Without --read-data, check still finds the deleted one (references), not the altered ones.
    expect((await checkProblems(f)).map((p) => p.blob)).toEqual([b1])
  })

  it('manifest: flipped or truncated is found by check and refused on read', async () => {
    const f = await fixture(backend)
    const name = `snapshots/${f.a.id}`
    const original = await f.store.get(name)
    for (const bad of [flipped(original), original.subarray(0, original.length - 1)]) {
      await f.tamper(name, bad)
      await expect(f.repo.loadSnapshot(f.a.id)).rejects.toBeInstanceOf(IntegrityError)
      expect((await f.repo.listSnapshots()).problems.map((p) => p.blob)).toEqual([name])
      expect((await checkProblems(f)).map((p) => p.blob)).toEqual([name])
    }
  })

  it('manifests swapped between two names, or an old one replayed under a new name', async () => {
    const f = await fixture(backend)
    const [na, nb] = [`snapshots/${f.a.id}`, `snapshots/${f.b.id}`]
    const [ba, bb] = [await f.store.get(na), await f.store.get(nb)]
    await f.tamper(na, bb)
    await f.tamper(nb, ba)
    await expect(f.repo.loadSnapshot(f.a.id)).rejects.toBeInstanceOf(IntegrityError)
    await expect(f.repo.loadSnapshot(f.b.id)).rejects.toBeInstanceOf(IntegrityError)
    expect((await checkProblems(f)).map((p) => p.blob).sort()).toEqual([na, nb].sort())

    await f.tamper(na, ba)
    await f.tamper(nb, bb)
    const replayId = 'e'.repeat(64) as SnapshotId
    await f.store.putIfAbsent(`snapshots/${replayId}`, ba)
    await expect(f.repo.loadSnapshot(replayId)).rejects.toThrow(/stored under another snapshot's name/)
    expect((await checkProblems(f)).map((p) => p.blob)).toEqual([`snapshots/${replayId}`])
  })

  it('entry page: a flipped byte is found by check and refused when entries are read', async () => {
    const f = await fixture(backend)
    const page = contentBlobName(parseContentId(f.b.pages[1] as string).hex)
    await f.tamper(page, flipped(await f.store.get(page)))
    await expect(entriesOf(f.repo, f.b)).rejects.toBeInstanceOf(IntegrityError)
    expect((await checkProblems(f)).map((p) => p.blob)).toEqual([page])
  })

  it('forget record: a flipped byte is found by check', async () => {
    const f = await fixture(backend)
    await forgetSnapshots(f.repo, { ids: [f.a.id] })
    const [record] = await blobNames(f.store, 'forgotten/')
    await f.tamper(record as string, flipped(await f.store.get(record as string)))
    expect((await checkProblems(f)).map((p) => p.blob)).toEqual([record])
  })

  it('check reports every problem at once, not just the first', async () => {
    const f = await fixture(backend)
    const ref = await valueRef(f, f.a)
    await f.store.delete(contentBlobName(parseContentId(ref).hex))
    const page = contentBlobName(parseContentId(f.b.pages[0] as string).hex)
    await f.tamper(page, flipped(await f.store.get(page)))
    const slot = (await blobNames(f.store, 'keys/')).find((n) => !n.endsWith(f.repo.openedWith.id)) as string
    await f.tamper(slot, flipped(await f.store.get(slot)))
    const blobs = (await checkProblems(f)).map((p) => p.blob)
    expect(blobs).toEqual(expect.arrayContaining([contentBlobName(parseContentId(ref).hex), page, slot]))
    expect(blobs).toHaveLength(3)
  })
})
