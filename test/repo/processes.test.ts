/**
 * Real processes on a local directory and on Azure Blob (Azurite), opened the way kvdr opens them: a writer
 * killed with SIGKILL mid-write leaves no visible snapshot and its uploads are reused; two writers at once
 * hold real shared locks on the same lock files (lease blobs), keep an exclusive taker out, and lose and
 * corrupt nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { checkRepository } from '../../src/repo/check.js'
import { mapLimit } from '../../src/repo/concurrency.js'
import { pruneRepository } from '../../src/repo/prune.js'
import type { ContentId } from '../../src/repo/types.js'
import { RepoLockedError } from '../../src/store/errors.js'
import { REAL_BACKENDS, type TestBackend } from './support/backends.js'
import { backendRepo, backupLike, blobNames, entriesOf, names, reopen, valueOf } from './support/fixtures.js'

const CHILD = fileURLToPath(new URL('./support/writer-child.ts', import.meta.url))

interface Writer {
  child: ChildProcess
  pid: number
  waitFor: (re: RegExp) => Promise<string>
  commit: () => void
  exited: Promise<unknown>
}

function startWriter(backend: TestBackend, args: { names: string[]; generation: number; pause: boolean }): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ location: backend.location, ...args })], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...backend.env },
  })
  const lines: string[] = []
  let stderr = ''
  let buffer = ''
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = []
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      for (const w of [...waiters]) {
        if (!w.re.test(line)) continue
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  })
  const exited = once(child, 'exit')
  const waitFor = (re: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const hit = lines.find((l) => re.test(l))
      if (hit) return resolve(hit)
      waiters.push({ re, resolve })
      void exited.then(([code, signal]) => reject(new Error(`writer exited (${code ?? signal}) before printing ${re}: ${stderr}`)))
    })
  return { child, pid: child.pid as number, waitFor, commit: () => void child.stdin?.end('commit\n'), exited }
}

describe.each(REAL_BACKENDS)('crash safety on %s', (backend) => {
  it('a writer killed with SIGKILL mid-write leaves no snapshot; the next run reuses its uploads', async () => {
    const t = await backendRepo(backend)
    const list = names(200)
    const writer = startWriter(t, { names: list, generation: 1, pause: true })
    await writer.waitFor(/^saved 50$/)
    writer.child.kill('SIGKILL')
    await writer.exited
    expect((await blobNames(t.store, 'data/')).length).toBeGreaterThanOrEqual(50)
    // Its lock is left behind (stale on a directory, leased until expiry on Azure) and blocks no other writer.
    expect(await t.locker.list()).toEqual([expect.objectContaining({ mode: 'shared', command: 'backup (child)', pid: writer.pid })])

    const repo = await reopen(t.store, t.locker)
    expect((await repo.listSnapshots()).snapshots).toEqual([])
    const check = await checkRepository(repo, { readData: 'all' })
    expect(check.problems).toEqual([])
    const uploaded = check.stats.contentsUnreferenced
    expect(uploaded).toBe((await blobNames(t.store, 'data/')).length)

    const { snap, stats } = await repo.withWriter('backup', async (w) => {
      const refs = await mapLimit(list, 8, (name) => w.saveContent('secret-value', new TextEncoder().encode(valueOf(name, 1))))
      const snap = await w.writeSnapshot({ vault: { url: 'https://v.vault.azure.net' } }, list.map((name, i) => ({ kind: 'secret', name, refs: [refs[i] as ContentId], data: {} })), {
        done: list.length, warnings: 0, errors: 0, problems: [],
      })
      return { snap, stats: { ...w.stats } }
    })
    expect(stats.contentsReused).toBe(uploaded)
    expect(stats.contentsCreated).toBe(list.length - uploaded)
    expect(snap.entryCount).toBe(200)
    expect((await checkRepository(repo, { readData: 'all' })).problems).toEqual([])
  })
})

describe.each(REAL_BACKENDS)('concurrent writers on %s', (backend) => {
  it('two processes hold shared locks together, keep prune out (exit 11), both commit, and nothing is lost or corrupt', async () => {
    const t = await backendRepo(backend)
    const a = names(120).slice(0, 80)
    const b = names(120).slice(40)
    const wa = startWriter(t, { names: a, generation: 1, pause: true })
    const wb = startWriter(t, { names: b, generation: 1, pause: true })
    await Promise.all([wa.waitFor(/^ready$/), wb.waitFor(/^ready$/)])

    // Both writers' locks are in the repository's lock files (or lease blobs) at once.
    const held = await t.locker.list()
    expect(held.filter((l) => !l.stale).map((l) => [l.mode, l.pid]).sort()).toEqual([['shared', wa.pid], ['shared', wb.pid]].sort())
    const repo = await reopen(t.store, t.locker)
    const refused = await pruneRepository(repo).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(RepoLockedError)
    expect((refused as RepoLockedError).exitCode).toBe(ExitCode.RepoLocked)
    expect((refused as RepoLockedError).holders.map((h) => h.pid).sort()).toEqual([wa.pid, wb.pid].sort())

    wa.commit()
    wb.commit()
    const [la, lb] = await Promise.all([wa.waitFor(/^snapshot /), wb.waitFor(/^snapshot /)])
    await Promise.all([wa.exited, wb.exited])
    const [, idA, createdA, reusedA] = la.split(' ')
    const [, idB, createdB, reusedB] = lb.split(' ')
    // Together they uploaded each of the 120 distinct values once.
    expect(Number(createdA) + Number(createdB)).toBe(120)
    expect(Number(reusedA) + Number(reusedB)).toBe(40)
    expect(await t.locker.list()).toEqual([])

    const { snapshots, problems } = await repo.listSnapshots()
    expect(problems).toEqual([])
    expect(snapshots.map((s) => s.id).sort()).toEqual([idA, idB].sort())
    for (const [id, expected] of [[idA, a], [idB, b]] as const) {
      const entries = await entriesOf(repo, await repo.loadSnapshot(id as never))
      expect(entries.map((e) => e.name)).toEqual(expected)
      for (const e of entries.slice(0, 5)) expect(new TextDecoder().decode(await repo.loadContent(e.refs[0] as never))).toBe(valueOf(e.name, 1))
    }
    expect((await checkRepository(repo, { readData: 'all' })).problems).toEqual([])
    // With the writers gone, prune gets its exclusive lock, and the repository takes a third snapshot.
    expect((await pruneRepository(repo)).contents.referenced).toBe(122)
    expect((await backupLike(repo, ['z'])).seq).toBeGreaterThan(1)
  })
})
