/** Shared test fixtures: cheap KDF parameters, repositories in memory or on a backend, sample entries and snapshots. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { type Clock, ManualClock } from '../../../src/core/clock.js'
import { emptySummary, FAST_KDF, PASSPHRASE, valueOf, VAULT } from './data.js'
import { type CreatedSlot, type NewSlot } from '../../../src/repo/keyslots.js'
import { initRepository, openRepository, type Repository } from '../../../src/repo/repository.js'
import { DirectorySeenCache } from '../../../src/repo/seen.js'
import type { ContentId, Entry, Snapshot } from '../../../src/repo/types.js'
import { MemoryLocker } from '../../../src/store/memory-lock.js'
import { MemoryStore } from '../../../src/store/memory.js'
import type { Locker, ObjectStore } from '../../../src/store/types.js'
import { type BackendName, openBackend, type TestBackend } from './backends.js'

export { emptySummary, FAST_KDF, names, PASSPHRASE, valueOf, VAULT } from './data.js'

/** A fresh temporary directory, removed after the current test. */
export async function tempDir(prefix = 'kvdr-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface BackendRepo extends TestBackend {
  repo: Repository
  slots: CreatedSlot[]
}

/**
 * A repository with a passphrase slot (and any extra slots) on a fresh location of `backend`, opened with
 * the backend's clock (an Azure one under `prefix`, if given). `wrap` puts a wrapper (e.g. WormStore) between the repository and the backend; the
 * result's `store` is the wrapped one.
 */
export async function backendRepo(
  backend: BackendName,
  options: { extraSlots?: NewSlot[]; pageSize?: number; prefix?: string; wrap?: (store: ObjectStore, clock: ManualClock) => ObjectStore } = {},
): Promise<BackendRepo> {
  const b = await openBackend(backend, options.prefix ? { prefix: options.prefix } : {})
  const store = options.wrap ? options.wrap(b.store, b.clock) : b.store
  const { repo, slots } = await initRepository(store, {
    locker: b.locker,
    clock: b.clock,
    toolVersion: 'test',
    kdf: FAST_KDF,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }, ...(options.extraSlots ?? [])],
  })
  return { ...b, store, repo, slots }
}

export interface TestRepo {
  store: MemoryStore
  locker: Locker
  clock: ManualClock
  repo: Repository
  slots: CreatedSlot[]
  cache?: DirectorySeenCache
}

/**
 * A repository in a MemoryStore with a passphrase slot (and any extra slots), on a frozen manual clock: for
 * tests of the repository's own logic (the storage suites use backendRepo).
 */
export async function memoryRepo(options: { extraSlots?: NewSlot[]; pageSize?: number; cacheDir?: string } = {}): Promise<TestRepo> {
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'), { running: false })
  const store = new MemoryStore({ name: 'test', clock })
  const locker = new MemoryLocker(store.location, { clock })
  const cache = options.cacheDir ? new DirectorySeenCache(options.cacheDir) : undefined
  const { repo, slots } = await initRepository(store, {
    locker,
    clock,
    toolVersion: 'test',
    kdf: FAST_KDF,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(cache ? { cache } : {}),
    slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }, ...(options.extraSlots ?? [])],
  })
  return { store, locker, clock, repo, slots, ...(cache ? { cache } : {}) }
}

/** Open an existing repository with a passphrase. */
export function reopen(store: ObjectStore, locker: Locker, opts: { passphrase?: string; recoveryKey?: Uint8Array; clock?: Clock; cache?: DirectorySeenCache } = {}): Promise<Repository> {
  return openRepository(
    store,
    { ...(opts.recoveryKey ? { recoveryKey: opts.recoveryKey } : { passphrase: opts.passphrase ?? PASSPHRASE }) },
    { locker, toolVersion: 'test', ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.cache ? { cache: opts.cache } : {}) },
  )
}


/**
 * What the backup layer will do: save one content per object, then write a snapshot whose entries
 * reference them. Returns the snapshot.
 */
export async function backupLike(repo: Repository, names: string[], options: { generation?: number; vault?: typeof VAULT; tags?: string[]; time?: Date } = {}): Promise<Snapshot> {
  const generation = options.generation ?? 1
  return repo.withWriter('backup', async (w) => {
    const refs = new Map<string, ContentId>()
    for (const name of names) refs.set(name, await w.saveContent('secret-value', new TextEncoder().encode(valueOf(name, generation))))
    async function* entries(): AsyncIterable<Entry> {
      for (const name of names) yield { kind: 'secret', name, refs: [refs.get(name) as ContentId], data: { enabled: true, tags: { team: 'core' }, generation } }
    }
    return w.writeSnapshot({ vault: options.vault ?? VAULT, ...(options.tags ? { tags: options.tags } : {}), ...(options.time ? { time: options.time } : {}) }, entries(), emptySummary(names.length))
  })
}


/** Collect a snapshot's entries. */
export async function entriesOf(repo: Repository, snap: Snapshot): Promise<Entry[]> {
  const out: Entry[] = []
  for await (const e of repo.entries(snap)) out.push(e)
  return out
}

/** Every blob name in a store, except the Locker's (`locks/`). */
export async function blobNames(store: ObjectStore, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for await (const b of store.list(prefix)) if (!b.name.startsWith('locks/')) out.push(b.name)
  return out.sort()
}
