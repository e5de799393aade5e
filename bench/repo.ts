/**
 * Repository overhead benchmark (`npx tsx bench/repo.ts [count]`): put and get `count` (default 10,000)
 * small contents through the repository (keyed id + AES-256-GCM + create-once) and through the raw backend
 * (plain putIfAbsent/get of the same number of same-sized blobs), in the same run, and print the ratio.
 * Add a backend with one line in BACKENDS.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLocker } from '../src/cli/location.js'
import { mapLimit } from '../src/repo/concurrency.js'
import { initRepository } from '../src/repo/repository.js'
import type { ContentId } from '../src/repo/types.js'
import type { ObjectStore } from '../src/store/types.js'
// Until src/store/fs.ts is merged, the local directory is the tests' minimal create-once store.
import { TestDirStore } from '../test/repo/support/fs-store.js'

interface Backend {
  name: string
  /** A fresh, empty store, and how to remove it afterwards. */
  open(): Promise<{ store: ObjectStore; cleanup(): Promise<void> }>
}

async function tempDirStore(): Promise<{ store: ObjectStore; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kvdr-bench-'))
  return { store: new TestDirStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) }
}

const BACKENDS: Backend[] = [
  { name: 'local directory', open: tempDirStore },
  // { name: 'Azurite', open: () => azuriteStore() },  <- one line once src/store's Azure Blob backend lands
]

const COUNT = Number(process.argv[2] ?? 10_000)
const SIZE = 256 // a typical secret value plus attributes
const CONCURRENCY = 16

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now()
  const result = await fn()
  return { ms: performance.now() - start, result }
}

async function measure(backend: Backend, payloads: Uint8Array[]): Promise<Array<{ op: string; rawMs: number; repoMs: number }>> {
  const raw = await backend.open()
  const repoStore = await backend.open()
  try {
    const rawPut = await time(() => mapLimit(payloads, CONCURRENCY, (p, i) => raw.store.putIfAbsent(`raw/${String(i).padStart(6, '0')}`, p)))
    const rawGet = await time(() => mapLimit(payloads, CONCURRENCY, (_p, i) => raw.store.get(`raw/${String(i).padStart(6, '0')}`)))

    const kdf = { N: 2 ** 15, r: 8, p: 1 } // key derivation happens once per open; not what is measured
    const { repo } = await initRepository(repoStore.store, { locker: new MemoryLocker(), kdf, slots: [{ type: 'passphrase', passphrase: 'benchmark passphrase', kdf }] })
    const repoPut = await time(() => repo.withWriter('bench', (w) => mapLimit(payloads, CONCURRENCY, (p) => w.saveContent('secret-value', p))))
    const ids: ContentId[] = repoPut.result
    const repoGet = await time(() => mapLimit(ids, CONCURRENCY, (id) => repo.loadContent(id)))
    const reput = await time(() => repo.withWriter('bench', (w) => mapLimit(payloads, CONCURRENCY, (p) => w.saveContent('secret-value', p))))
    const rawReput = await time(() => mapLimit(payloads, CONCURRENCY, (p, i) => raw.store.putIfAbsent(`raw/${String(i).padStart(6, '0')}`, p)))
    return [
      { op: 'put (new)', rawMs: rawPut.ms, repoMs: repoPut.ms },
      { op: 'get', rawMs: rawGet.ms, repoMs: repoGet.ms },
      { op: 'put (existing, dedup)', rawMs: rawReput.ms, repoMs: reput.ms },
    ]
  } finally {
    await raw.cleanup()
    await repoStore.cleanup()
  }
}

const payloads = Array.from({ length: COUNT }, () => new Uint8Array(randomBytes(SIZE)))
const rows: string[][] = [['backend', 'operation', 'raw ms', 'repo ms', 'repo/raw', 'repo ops/s']]
for (const backend of BACKENDS) {
  for (const r of await measure(backend, payloads)) {
    rows.push([backend.name, r.op, r.rawMs.toFixed(0), r.repoMs.toFixed(0), (r.repoMs / r.rawMs).toFixed(2), ((COUNT / r.repoMs) * 1000).toFixed(0)])
  }
}
const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? []
console.log(`${COUNT} contents of ${SIZE} bytes, ${CONCURRENCY} in flight`)
for (const [i, r] of rows.entries()) {
  console.log(r.map((c, j) => (j >= 2 ? c.padStart(widths[j] as number) : c.padEnd(widths[j] as number))).join('  '))
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
}
