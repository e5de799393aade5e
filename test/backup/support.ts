/**
 * Test helpers for backups: a repository (in memory, or in a directory) and a backup run against the emulator
 * fixture through kvdr's real vault layer (host-name URL, --ca-file, --resolve, the emulator's credential).
 */
import { initRepository, type Repository } from '../../src/repo/repository.js'
import type { Entry, Snapshot } from '../../src/repo/types.js'
import { MemoryLocker } from '../../src/store/memory-lock.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { Locker, ObjectStore } from '../../src/store/types.js'
import { type BackupOptions, type BackupResult, runBackup } from '../../src/backup/backup.js'
import { parseResolve } from '../../src/vault/transport.js'
import type { VaultFixture } from '../vault/support.js'
import { FAST_KDF, PASSPHRASE } from '../repo/support/data.js'

export { PASSPHRASE }

export interface TestRepo {
  repo: Repository
  store: ObjectStore
  locker: Locker
}

/** A fresh repository in memory (or on `store`), with a cheap passphrase slot. */
export async function newRepo(store: ObjectStore = new MemoryStore({ name: 'backup-test' }), locker: Locker = new MemoryLocker('memory://backup-test')): Promise<TestRepo> {
  const { repo } = await initRepository(store, { locker, toolVersion: 'test', kdf: FAST_KDF, slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }] })
  return { repo, store, locker }
}

/** The subscription the emulator's default vaults belong to. */
export const SUBSCRIPTION = '5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01'

/** Back up `vaults` (default kv-primary) of the fixture into `repo` with kvdr's defaults (both capture modes). */
export function backup(f: VaultFixture, repo: Repository, options: Partial<BackupOptions> & { vaults?: string[] } = {}): Promise<BackupResult> {
  const { vaults = ['kv-primary'], ...rest } = options
  const resolve = new Map(vaults.flatMap((v) => [...f.resolve(v)]))
  return runBackup(repo, {
    targets: vaults.map((v) => ({ url: f.url(v), subscriptionId: SUBSCRIPTION })),
    modes: { native: true, value: true },
    credential: f.em.credential,
    transport: { caFiles: [f.caFile], resolve: parseResolve([...resolve].map(([h, ip]) => `${h}=${ip}`)) },
    retry: { baseDelayMs: 20, throttleBaseDelayMs: 50 },
    ...rest,
  })
}

/** Every entry of a snapshot, by `kind/name`. */
export async function entriesByName(repo: Repository, snapshot: Snapshot | { id: string }): Promise<Map<string, Entry>> {
  const snap = 'pages' in snapshot ? snapshot : await repo.loadSnapshot(snapshot.id as Snapshot['id'])
  const out = new Map<string, Entry>()
  for await (const e of repo.entries(snap)) out.set(`${e.kind}/${e.name}`, e)
  return out
}

/** The plaintext of a content as a string. */
export async function text(repo: Repository, id: string): Promise<string> {
  return Buffer.from(await repo.loadContent(id as Parameters<Repository['loadContent']>[0])).toString('utf8')
}
