/**
 * Repository overhead benchmark (`node --expose-gc --import tsx bench/repo.ts [count] [overhead|dedup]`): put and get `count` (default 10,000) small
 * contents through the repository (keyed id + AES-256-GCM + create-once, through the RetryStore) and through
 * the raw backend (plain putIfAbsent/get of as many same-sized blobs), on a local directory (FsStore) and on
 * Azure Blob (Azurite, started here), in the same run, and print the ratios. Then compare three ways for a
 * writer to skip contents that are already stored (put anyway, stat first, list once) on each backend.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mapLimit } from '../src/repo/concurrency.js'
import { initRepository } from '../src/repo/repository.js'
import type { ContentId } from '../src/repo/types.js'
import { openLocation } from '../src/store/location.js'
import type { ObjectStore } from '../src/store/types.js'
import { startAzurite } from '../test/support/azurite.js'

interface Opened {
  store: ObjectStore
  locker: Awaited<ReturnType<typeof openLocation>>['locker']
  cleanup(): Promise<void>
}

interface Backend {
  name: string
  /** A fresh, empty location. */
  open(): Promise<Opened>
}

const COUNT = Number(process.argv[2] ?? 10_000)
/** `overhead` or `dedup` runs one part only (Azurite is slow with many blobs: each part takes long at 10,000). */
const ONLY = process.argv[3]
const SIZE = 256 // a typical secret value plus attributes
const SEALED = SIZE + 34 // the envelope: 6-byte header, 12-byte nonce, 16-byte tag
const CONCURRENCY = 16

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now()
  const result = await fn()
  return { ms: performance.now() - start, result }
}

const rawName = (i: number): string => `raw/${String(i).padStart(6, '0')}`

/** Repository operations against the raw backend, each on a fresh location. */
async function overhead(backend: Backend, payloads: Uint8Array[]): Promise<Array<{ op: string; rawMs: number; repoMs: number }>> {
  const raw = await backend.open()
  const target = await backend.open()
  try {
    const rawPut = await time(() => mapLimit(payloads, CONCURRENCY, (p, i) => raw.store.putIfAbsent(rawName(i), p)))
    const rawGet = await time(() => mapLimit(payloads, CONCURRENCY, (_p, i) => raw.store.get(rawName(i))))
    const rawReput = await time(() => mapLimit(payloads, CONCURRENCY, (p, i) => raw.store.putIfAbsent(rawName(i), p)))

    const kdf = { N: 2 ** 15, r: 8, p: 1 } // key derivation happens once per open; not what is measured
    const { repo } = await initRepository(target.store, { locker: target.locker, kdf, slots: [{ type: 'passphrase', passphrase: 'benchmark passphrase', kdf }] })
    const repoPut = await time(() => repo.withWriter('bench', (w) => mapLimit(payloads, CONCURRENCY, (p) => w.saveContent('secret-value', p))))
    const ids: ContentId[] = repoPut.result
    const repoGet = await time(() => mapLimit(ids, CONCURRENCY, (id) => repo.loadContent(id)))
    const reput = await time(() => repo.withWriter('bench', (w) => mapLimit(payloads, CONCURRENCY, (p) => w.saveContent('secret-value', p))))
    return [
      { op: 'put (new)', rawMs: rawPut.ms, repoMs: repoPut.ms },
      { op: 'get', rawMs: rawGet.ms, repoMs: repoGet.ms },
      { op: 'put (stored, dedup)', rawMs: rawReput.ms, repoMs: reput.ms },
    ]
  } finally {
    await raw.cleanup()
    await target.cleanup()
  }
}

const hexName = (hex: string): string => `data/${hex.slice(0, 2)}/${hex}`

/**
 * How a writer can avoid uploading contents that exist: `put` sends every body and lets the conditional
 * create say 'exists'; `stat` asks first (one HEAD each) and puts only the absent; `list` lists data/ once
 * (5000 names per request on Azure) and puts only ids it did not see. Timed for `count` contents that all
 * exist, and for as many that are all new.
 */
async function dedupStrategies(backend: Backend, count: number): Promise<Array<{ strategy: string; storedMs: number; newMs: number }>> {
  const ids = Array.from({ length: count }, () => randomBytes(32).toString('hex'))
  const body = new Uint8Array(randomBytes(SEALED))
  const strategies: Record<string, (store: ObjectStore) => Promise<void>> = {
    'put anyway (conditional create)': async (store) => void (await mapLimit(ids, CONCURRENCY, (hex) => store.putIfAbsent(hexName(hex), body))),
    'stat first, put if absent': async (store) =>
      void (await mapLimit(ids, CONCURRENCY, async (hex) => {
        if (!(await store.stat(hexName(hex)))) await store.putIfAbsent(hexName(hex), body)
      })),
    'list data/ once, put if unseen': async (store) => {
      const seen = new Set<string>()
      for await (const b of store.list('data/')) seen.add(b.name.slice(8))
      await mapLimit(ids, CONCURRENCY, async (hex) => void (seen.has(hex) ? undefined : await store.putIfAbsent(hexName(hex), body)))
    },
  }
  const rows: Array<{ strategy: string; storedMs: number; newMs: number }> = []
  for (const [strategy, run] of Object.entries(strategies)) {
    const fresh = await backend.open()
    try {
      const asNew = await time(() => run(fresh.store)) // nothing stored yet: every content is uploaded
      const asStored = await time(() => run(fresh.store)) // the same contents again: all stored
      rows.push({ strategy, storedMs: asStored.ms, newMs: asNew.ms })
    } finally {
      await fresh.cleanup()
    }
  }
  return rows
}

/** Heap bytes per remembered content id (the writer's set of stored ids), when run with --expose-gc. */
function bytesPerId(count: number): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) return undefined
  gc()
  const before = process.memoryUsage().heapUsed
  const ids = new Set<string>()
  for (let i = 0; i < count; i++) ids.add(randomBytes(32).toString('hex'))
  gc()
  return (process.memoryUsage().heapUsed - before) / ids.size
}

/** A ratio with two significant digits (0.0027, 0.63, 1.7, 12). */
const ratio = (a: number, b: number): string => (a / b).toPrecision(2)

function print(rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? []
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j >= 2 ? c.padStart(widths[j] as number) : c.padEnd(widths[j] as number))).join('  '))
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

const perId = bytesPerId(100_000) // first, on a quiet heap
const azurite = await startAzurite()
try {
  const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString }
  let n = 0
  const BACKENDS: Backend[] = [
    {
      name: 'local directory (FsStore)',
      open: async () => {
        const dir = await mkdtemp(join(tmpdir(), 'kvdr-bench-'))
        const { store, locker } = await openLocation(dir, { create: true })
        return { store, locker, cleanup: () => rm(dir, { recursive: true, force: true }) }
      },
    },
    {
      name: 'Azure Blob (Azurite)',
      open: async () => {
        const container = `bench-${process.pid}-${++n}`
        const { store, locker } = await openLocation(`azblob://devstoreaccount1/${container}`, { create: true, env })
        const { createContainerClient } = await import('../src/store/azure-client.js')
        const admin = createContainerClient({ account: 'devstoreaccount1', container, auth: { kind: 'connection-string', connectionString: azurite.connectionString } })
        return { store, locker, cleanup: async () => void (await admin.deleteIfExists()) }
      },
    },
  ]

  if (ONLY !== 'dedup') {
    const payloads = Array.from({ length: COUNT }, () => new Uint8Array(randomBytes(SIZE)))
    console.log(`Repository overhead: ${COUNT} contents of ${SIZE} bytes, ${CONCURRENCY} in flight`)
    const rows: string[][] = [['backend', 'operation', 'raw ms', 'repo ms', 'repo/raw', 'repo ops/s']]
    for (const backend of BACKENDS) {
      for (const r of await overhead(backend, payloads)) {
        rows.push([backend.name, r.op, r.rawMs.toFixed(0), r.repoMs.toFixed(0), ratio(r.repoMs, r.rawMs), ((COUNT / r.repoMs) * 1000).toFixed(0)])
      }
    }
    print(rows)
  }

  if (ONLY !== 'overhead') {
    console.log(`\nSkipping stored contents: ${COUNT} contents of ${SEALED} bytes, ${CONCURRENCY} in flight (ratio: to "put anyway" on the same backend)`)
    const dedup: string[][] = [['backend', 'strategy', 'all stored ms', 'ratio', 'all new ms', 'ratio']]
    for (const backend of BACKENDS) {
      const results = await dedupStrategies(backend, COUNT)
      const base = results[0] as (typeof results)[number]
      for (const r of results) {
        dedup.push([backend.name, r.strategy, r.storedMs.toFixed(0), ratio(r.storedMs, base.storedMs), r.newMs.toFixed(0), ratio(r.newMs, base.newMs)])
      }
    }
    print(dedup)
  }
  console.log(perId === undefined ? '\n(run with node --expose-gc to measure the memory per remembered id)' : `\nMemory of a writer's set of stored ids: ~${perId.toFixed(0)} bytes per content id (100,000 ids)`)
} finally {
  await azurite.stop()
}
