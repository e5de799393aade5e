/**
 * The storage backends the repository suites run on - memory, a local directory (FsStore + FsLocker) and
 * Azure Blob on Azurite (AzureBlobStore + AzureLocker), the real ones opened through src/store's
 * openLocation() - each with the raw access a tamper or ageing test needs. Cleaned up after each test.
 */
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { inject, onTestFinished } from 'vitest'
import { ManualClock } from '../../../src/core/clock.js'
import { createContainerClient, parseConnectionString } from '../../../src/store/azure-client.js'
import { openLocation } from '../../../src/store/location.js'
import { MemoryLocker } from '../../../src/store/memory-lock.js'
import { MemoryStore } from '../../../src/store/memory.js'
import type { Locker, ObjectStore } from '../../../src/store/types.js'

export type BackendName = 'memory' | 'fs' | 'azurite'
export const BACKENDS: BackendName[] = ['memory', 'fs', 'azurite']
/** The backends child processes and commands can open by location. */
export const REAL_BACKENDS: BackendName[] = ['fs', 'azurite']

export interface TestBackend {
  name: BackendName
  /** The location as a user would give it (`memory://` ones exist only in this process's store registry). */
  location: string
  /** Azure credentials for child processes and commands (empty for the others). */
  env: Record<string, string>
  store: ObjectStore
  locker: Locker
  /** Running from the real time; the repository, WORM wrappers and ageing use it. */
  clock: ManualClock
  /** Replace a blob's bytes, as someone with raw storage access (or bit rot) would; kvdr never overwrites. */
  tamper(name: string, bytes: Uint8Array): Promise<void>
  /**
   * Let `ms` pass for every blob stored so far: they look that much older to the clock, blobs written later
   * look younger. Memory and fs do this exactly. Azure sets creation times itself, so on Azurite the clock
   * moves instead and blobs written afterwards look `ms` too old: tests that write after ageing skip Azurite.
   */
  age(ms: number): Promise<void>
  /** Every blob name as the storage itself holds them, below the repository root (fs: files; Azure: blobs). */
  rawNames(): Promise<string[]>
  /** Another location of the same kind and form that does not exist yet (removed after the test if created). */
  sibling(): string
}

let counter = 0
const unique = (): string => `${process.pid}-${Date.now().toString(36)}-${++counter}`

/** The Azurite connection string of this test run, parsed. */
export function azurite(): { connectionString: string; account: string; endpoint: string } {
  const connectionString = inject('azuriteConnectionString')
  const cs = parseConnectionString(connectionString)
  return { connectionString, account: cs.accountName as string, endpoint: cs.blobEndpoint as string }
}

/** A container client with the account key (for SAS generation, tampering and raw listings). */
export function adminClient(container: string) {
  const { connectionString, account, endpoint } = azurite()
  return createContainerClient({ account, container, endpoint, auth: { kind: 'connection-string', connectionString } })
}

/**
 * A fresh, empty repository location on `name`, removed after the current test. `form: 'url'` gives a
 * local directory as a file:// URL; `prefix` puts an Azure repository under a folder of its container.
 */
export async function openBackend(name: BackendName, options: { form?: 'path' | 'url'; prefix?: string } = {}): Promise<TestBackend> {
  const clock = new ManualClock(Date.now(), { running: true })
  if (name === 'memory') {
    const store = new MemoryStore({ name: `test-${unique()}`, clock })
    return {
      name,
      location: store.location,
      env: {},
      store,
      locker: new MemoryLocker(store.location, { clock }),
      clock,
      tamper: async (blob, bytes) => store.tamper(blob, bytes),
      age: async (ms) => clock.advance(ms),
      rawNames: async () => listed(store),
      sibling: () => `memory://test-${unique()}`,
    }
  }
  if (name === 'fs') {
    const dir = await mkdtemp(join(tmpdir(), 'kvdr-repo-'))
    const root = join(dir, 'repo')
    const location = options.form === 'url' ? `file://${root}` : root
    const opened = await openLocation(location, { create: true })
    onTestFinished(async () => {
      await opened.store.close()
      await rm(dir, { recursive: true, force: true })
    })
    const pathOf = (blob: string): string => join(root, ...blob.split('/'))
    return {
      name,
      location,
      env: {},
      store: opened.store,
      locker: opened.locker,
      clock,
      tamper: (blob, bytes) => writeFile(pathOf(blob), bytes),
      age: async (ms) => {
        for (const file of await rawFiles(root)) {
          if (file.startsWith('locks/')) continue
          const { mtime } = await stat(pathOf(file))
          const then = new Date(mtime.getTime() - ms)
          await utimes(pathOf(file), then, then)
        }
      },
      rawNames: () => rawFiles(root),
      sibling: () => {
        const other = join(dir, `other-${unique()}`)
        return options.form === 'url' ? `file://${other}` : other
      },
    }
  }
  const { connectionString, account } = azurite()
  const container = `kvdr-repo-${unique()}`
  const prefix = options.prefix ?? ''
  const location = `azblob://${account}/${container}${prefix ? `/${prefix}` : ''}`
  const env = { AZURE_STORAGE_CONNECTION_STRING: connectionString }
  const opened = await openLocation(location, { create: true, env })
  const admin = adminClient(container)
  onTestFinished(async () => {
    await opened.store.close()
    await admin.deleteIfExists()
  })
  const full = (blob: string): string => (prefix ? `${prefix}/${blob}` : blob)
  return {
    name,
    location,
    env,
    store: opened.store,
    locker: opened.locker,
    clock,
    tamper: async (blob, bytes) => void (await admin.getBlockBlobClient(full(blob)).upload(bytes, bytes.byteLength)),
    age: async (ms) => clock.advance(ms),
    rawNames: async () => {
      const out: string[] = []
      for await (const item of admin.listBlobsFlat()) out.push(item.name)
      return out.sort()
    },
    sibling: () => {
      const other = `kvdr-repo-${unique()}`
      onTestFinished(async () => void (await adminClient(other).deleteIfExists()))
      return `azblob://${account}/${other}`
    },
  }
}

/** Every file under `root`, as /-separated relative names (dot files included: nothing is hidden). */
async function rawFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort()
}

async function listed(store: ObjectStore): Promise<string[]> {
  const out: string[] = []
  for await (const b of store.list('')) out.push(b.name)
  return out.sort()
}
