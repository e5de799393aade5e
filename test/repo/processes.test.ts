/**
 * Real processes on a local directory: a writer killed with SIGKILL mid-write leaves no visible snapshot
 * and its uploads are reused; two writers at once lose and corrupt nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MemoryLocker } from '../../src/cli/location.js'
import { checkRepository } from '../../src/repo/check.js'
import { initRepository } from '../../src/repo/repository.js'
import type { ContentId } from '../../src/repo/types.js'
import { backupLike, entriesOf, FAST_KDF, names, PASSPHRASE, reopen, tempDir, valueOf } from './support/fixtures.js'
import { TestDirStore } from './support/fs-store.js'

const CHILD = fileURLToPath(new URL('./support/writer-child.ts', import.meta.url))

function startWriter(args: { dir: string; names: string[]; generation: number; hold: boolean }): { child: ChildProcess; lines: string[]; waitFor: (re: RegExp) => Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
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
      for (const w of [...waiters]) if (w.re.test(line)) {
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
  return { child, lines, waitFor }
}

async function newDirRepo(): Promise<{ dir: string; store: TestDirStore; locker: MemoryLocker }> {
  const dir = await tempDir()
  const store = new TestDirStore(dir)
  const locker = new MemoryLocker()
  await initRepository(store, { locker, kdf: FAST_KDF, slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }] })
  return { dir, store, locker }
}

describe('crash safety', () => {
  it('a writer killed with SIGKILL mid-write leaves no snapshot; the next run reuses its uploads', async () => {
    const { dir, store, locker } = await newDirRepo()
    const list = names(200)
    const writer = startWriter({ dir, names: list, generation: 1, hold: true })
    await writer.waitFor(/^saved 50$/)
    writer.child.kill('SIGKILL')
    await once(writer.child, 'exit')
    const uploaded = (await readdir(dir, { recursive: true })).filter((n) => /^data\/..\/[0-9a-f]{64}$/.test(n)).length
    expect(uploaded).toBeGreaterThanOrEqual(50)

    const repo = await reopen(store, locker)
    expect((await repo.listSnapshots()).snapshots).toEqual([])
    const check = await checkRepository(repo, { readData: 'all' })
    expect(check.problems).toEqual([])
    expect(check.stats.contentsUnreferenced).toBe(uploaded)

    const { snap, stats } = await repo.withWriter('backup', async (w) => {
      const refs: ContentId[] = []
      for (const name of list) refs.push(await w.saveContent('secret-value', new TextEncoder().encode(valueOf(name, 1))))
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

describe('concurrent writers', () => {
  it('two processes writing overlapping contents at once both commit, and nothing is lost or corrupt', async () => {
    const { dir, store, locker } = await newDirRepo()
    const a = names(120).slice(0, 80)
    const b = names(120).slice(40)
    const wa = startWriter({ dir, names: a, generation: 1, hold: false })
    const wb = startWriter({ dir, names: b, generation: 1, hold: false })
    const [la, lb] = await Promise.all([wa.waitFor(/^snapshot /), wb.waitFor(/^snapshot /)])
    const [, idA, createdA, reusedA] = la.split(' ')
    const [, idB, createdB, reusedB] = lb.split(' ')
    // Together they uploaded each of the 120 distinct values once.
    expect(Number(createdA) + Number(createdB)).toBe(120)
    expect(Number(reusedA) + Number(reusedB)).toBe(40)

    const repo = await reopen(store, locker)
    const { snapshots, problems } = await repo.listSnapshots()
    expect(problems).toEqual([])
    expect(snapshots.map((s) => s.id).sort()).toEqual([idA, idB].sort())
    for (const [id, expected] of [[idA, a], [idB, b]] as const) {
      const entries = await entriesOf(repo, await repo.loadSnapshot(id as never))
      expect(entries.map((e) => e.name)).toEqual(expected)
      for (const e of entries.slice(0, 5)) expect(new TextDecoder().decode(await repo.loadContent(e.refs[0] as never))).toBe(valueOf(e.name, 1))
    }
    expect((await checkRepository(repo, { readData: 'all' })).problems).toEqual([])
    // And the repository takes a third snapshot normally.
    expect((await backupLike(repo, ['z'])).seq).toBeGreaterThan(1)
  })
})
