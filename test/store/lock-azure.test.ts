import { BlobLeaseClient, ContainerSASPermissions } from '@azure/storage-blob'
import { describe, expect, inject, it, vi } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { createContainerClient, parseConnectionString } from '../../src/store/azure-client.js'
import { AzureLocker } from '../../src/store/azure-lock.js'
import { RepoLockedError, StoreError } from '../../src/store/errors.js'
import { lockerContract } from './lock-contract.js'
import { spawnFixture } from './support.js'

const connectionString = inject('azuriteConnectionString')
const cs = parseConnectionString(connectionString)
const account = cs.accountName!

let counter = 0
async function container(tag: string, prefix?: string) {
  counter += 1
  const name = `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}`
  const client = createContainerClient({ account, container: name, endpoint: cs.blobEndpoint!, auth: { kind: 'connection-string', connectionString } })
  await client.create()
  const locker = (renewMs = 200) =>
    new AzureLocker(client, { location: `azblob://${account}/${name}`, account, container: name, leaseSeconds: 15, renewMs, ...(prefix ? { prefix } : {}) })
  return { name, client, locker, cleanup: async () => void (await client.deleteIfExists()) }
}

lockerContract('azure leases on Azurite (two lockers on one container)', async () => {
  const c = await container('locks')
  return { a: c.locker(), b: c.locker(), cleanup: c.cleanup }
})

describe('azure locker', () => {
  it('never rewrites a lock blob: the mutex keeps its ETag through many lock cycles; locks live under the prefix', async () => {
    const c = await container('lock-worm', 'team-a/prod')
    try {
      const locker = c.locker()
      const first = await locker.acquire('exclusive', 'backup')
      await first.release()
      const mutex = c.client.getBlobClient('team-a/prod/locks/exclusive')
      const before = await mutex.getProperties()
      for (const mode of ['exclusive', 'shared', 'exclusive'] as const) await (await locker.acquire(mode, 'cycle')).release()
      const after = await mutex.getProperties()
      expect(after.etag).toBe(before.etag)
      expect(after.lastModified).toEqual(before.lastModified)
      const names: string[] = []
      for await (const item of c.client.listBlobsFlat()) names.push(item.name)
      expect(names.every((n) => n.startsWith('team-a/prod/locks/'))).toBe(true)
    } finally {
      await c.cleanup()
    }
  })

  it('a waiting taker reuses one holder blob for all its tries and removes it when it gives up', async () => {
    const c = await container('lock-reuse')
    try {
      const held = await c.locker().acquire('exclusive', 'backup')
      const seen = new Set<string>()
      let waiting = true
      const waiter = c
        .locker()
        .acquire('shared', 'verify', { waitMs: 1500 })
        .catch((e: unknown) => e)
        .finally(() => (waiting = false))
      while (waiting) {
        for await (const item of c.client.listBlobsFlat({ prefix: 'locks/held/' })) seen.add(item.name)
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(await waiter).toBeInstanceOf(RepoLockedError)
      expect([...seen].filter((n) => n.startsWith('locks/held/shared-'))).toHaveLength(1)
      const left: string[] = []
      for await (const item of c.client.listBlobsFlat({ prefix: 'locks/held/' })) left.push(item.name)
      expect(left).toEqual([`locks/held/exclusive-${held.info.id}`])
      await held.release()
    } finally {
      await c.cleanup()
    }
  })

  it('a holder whose lease is gone is stale, no longer blocks, and learns it lost the lock', async () => {
    const c = await container('lock-expired')
    try {
      const held = await c.locker().acquire('shared', 'verify')
      const other = c.locker()
      await expect(other.acquire('exclusive', 'prune')).rejects.toBeInstanceOf(RepoLockedError)
      // What an expired lease looks like (Azurite expires leases only after 15 s; the crash test below waits).
      for await (const item of c.client.listBlobsFlat({ prefix: 'locks/held/' })) await new BlobLeaseClient(c.client.getBlobClient(item.name)).breakLease(0)
      const [listed] = await other.list()
      expect(listed).toMatchObject({ id: held.info.id, stale: true })
      expect(listed?.staleReason).toMatch(/lease/)
      const exclusive = await other.acquire('exclusive', 'prune')
      await vi.waitFor(() => expect(held.signal?.aborted).toBe(true), { timeout: 5000, interval: 50 })
      await exclusive.release()
      await held.release()
      expect(await other.list()).toEqual([])
    } finally {
      await c.cleanup()
    }
  })

  it('a crashed holder (SIGKILL) blocks only until its lease expires; a waiting taker then gets the lock', async () => {
    const c = await container('lock-crash')
    try {
      const child = spawnFixture('lock-holder.ts', ['azure', c.name, 'exclusive', 'backup --vault prod'], { KVDR_TEST_AZURITE: connectionString })
      await child.next('acquired')
      child.kill('SIGKILL')
      await child.exited
      const locker = c.locker()
      let err: unknown
      await locker.acquire('shared', 'verify').catch((e: unknown) => (err = e))
      expect(err).toBeInstanceOf(RepoLockedError)
      expect((err as RepoLockedError).holders[0]).toMatchObject({ pid: child.pid, command: 'backup --vault prod' })
      const held = await locker.acquire('shared', 'verify', { waitMs: 40_000 })
      const listed = await locker.list()
      expect(listed.find((l) => l.pid === child.pid)).toMatchObject({ stale: true })
      expect(await locker.unlock()).toBe(1)
      expect((await locker.list()).map((l) => l.id)).toEqual([held.info.id])
      await held.release()
    } finally {
      await c.cleanup()
    }
  })

  it('with a read-only SAS, taking a lock is Forbidden (exit 21) and names the role needed', async () => {
    const c = await container('lock-ro')
    try {
      const sas = await c.client.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3_600_000) })
      const client = createContainerClient({ account, container: c.name, endpoint: cs.blobEndpoint!, auth: { kind: 'sas', token: new URL(sas).search } })
      const locker = new AzureLocker(client, { location: `azblob://${account}/${c.name}`, account, container: c.name })
      let err: unknown
      await locker.acquire('shared', 'restore').catch((e: unknown) => (err = e))
      expect(err).toBeInstanceOf(StoreError)
      expect((err as StoreError).exitCode).toBe(ExitCode.Forbidden)
      expect((err as StoreError).hint).toContain('Storage Blob Data Contributor')
      expect(await locker.list()).toEqual([])
    } finally {
      await c.cleanup()
    }
  })

  it('rejects lease durations Azure does not allow', async () => {
    const c = await container('lock-bad')
    try {
      expect(() => new AzureLocker(c.client, { location: 'x', account, container: c.name, leaseSeconds: 10 })).toThrow(/15 to 60/)
    } finally {
      await c.cleanup()
    }
  })
})
