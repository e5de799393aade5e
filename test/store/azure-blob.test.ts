import { createServer } from 'node:net'
import { inspect } from 'node:util'
import { ContainerSASPermissions } from '@azure/storage-blob'
import { describe, expect, inject, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { AzureBlobStore } from '../../src/store/azure-blob.js'
import { type AzureAuth, createContainerClient, parseConnectionString } from '../../src/store/azure-client.js'
import { StoreError } from '../../src/store/errors.js'
import { RetryStore } from '../../src/store/retry.js'
import { storeContract } from './contract.js'
import { InstantClock } from './support.js'

const connectionString = inject('azuriteConnectionString')
const cs = parseConnectionString(connectionString)
const account = cs.accountName!
const endpoint = cs.blobEndpoint!
const auth: AzureAuth = { kind: 'connection-string', connectionString }

let counter = 0
/** A container name no other suite uses. */
function freshContainer(tag: string): string {
  counter += 1
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}`.toLowerCase()
}

async function openStore(options: { container?: string; prefix?: string; create?: boolean; auth?: AzureAuth; endpoint?: string; listPageSize?: number } = {}) {
  const container = options.container ?? freshContainer('store')
  const client = createContainerClient({ account, container, endpoint: options.endpoint ?? endpoint, auth: options.auth ?? auth })
  const store = new AzureBlobStore({ client, account, container, listPageSize: options.listPageSize ?? 7, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) })
  await store.init({ create: options.create ?? true })
  return { store, client, container, cleanup: async () => void (await client.deleteIfExists()) }
}

async function caught(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p
  } catch (err) {
    return err as StoreError
  }
  throw new Error('expected the operation to fail')
}

storeContract('azure blob on Azurite (page size 7)', async () => openStore())
storeContract('azure blob on Azurite, under a prefix', async () => openStore({ prefix: 'team-a/prod' }))

describe('azure blob store', () => {
  it('keeps a repository inside its prefix and prints a location without credentials', async () => {
    const container = freshContainer('prefix')
    const a = await openStore({ container, prefix: '/team-a/' })
    const b = await openStore({ container, prefix: 'team-b' })
    try {
      expect(a.store.location).toBe(`azblob://${account}/${container}/team-a`)
      expect(a.store.location).not.toContain(cs.accountKey!)
      await a.store.putIfAbsent('config', new TextEncoder().encode('a'))
      expect(await b.store.stat('config')).toBeUndefined()
      expect(await b.store.putIfAbsent('config', new TextEncoder().encode('b'))).toBe('created')
      const raw: string[] = []
      for await (const item of a.client.listBlobsFlat()) raw.push(item.name)
      expect(raw.sort()).toEqual(['team-a/config', 'team-b/config'])
      const listed: string[] = []
      for await (const blob of a.store.list('')) listed.push(blob.name)
      expect(listed).toEqual(['config'])
    } finally {
      await a.cleanup()
    }
  })

  it('lists every entry with a page size of one (continuation tokens followed)', async () => {
    const { store, cleanup } = await openStore({ listPageSize: 1 })
    try {
      const names = ['p/a', 'p/b/c', 'p/d', 'p/e/f/g', 'p/h']
      for (const n of names) await store.putIfAbsent(n, new Uint8Array([1]))
      const listed: string[] = []
      for await (const blob of store.list('p/')) listed.push(blob.name)
      expect(listed.sort()).toEqual(names)
    } finally {
      await cleanup()
    }
  })

  it('a missing container is RepoNotFound (exit 10) unless asked to create it', async () => {
    const container = freshContainer('missing')
    const err = await caught(openStore({ container, create: false }))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('REPO_NOT_FOUND')
    expect(err.exitCode).toBe(ExitCode.RepoNotFound)
    expect(err.message).toContain(container)
    expect(err.hint).toMatch(/kvdr repo init/)
    const created = await openStore({ container, create: true })
    await created.cleanup()
  })

  it('a container deleted under an open store: operations fail with RepoNotFound, stat included', async () => {
    const { store, client } = await openStore()
    await client.delete()
    for (const op of [() => store.putIfAbsent('x', new Uint8Array(1)), () => store.get('x'), () => store.stat('x'), () => store.delete('x')]) {
      expect((await caught(op())).code).toBe('REPO_NOT_FOUND')
    }
  })

  it('a wrong account key is an Auth error (exit 20) that does not leak either key', async () => {
    const wrongKey = Buffer.from('not the right key, not the right key, 0123456789').toString('base64')
    const bad = connectionString.replace(cs.accountKey!, wrongKey)
    const err = await caught(openStore({ auth: { kind: 'connection-string', connectionString: bad }, create: false }))
    expect(err.code).toBe('STORE_AUTH')
    expect(err.exitCode).toBe(ExitCode.Auth)
    expect(err.transient).toBe(false)
    const everything = `${err.message} ${err.hint} ${JSON.stringify(err)} ${inspect(err, { depth: 10 })}`
    expect(everything).not.toContain(wrongKey)
    expect(everything).not.toContain(cs.accountKey!)
  })

  it('a read-only SAS reads, and a write with it is Forbidden (exit 21) naming the missing role, without leaking the SAS', async () => {
    const { store, client, container, cleanup } = await openStore()
    try {
      await store.putIfAbsent('config', new TextEncoder().encode('hello'))
      const sasUrl = await client.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3_600_000) })
      const token = new URL(sasUrl).search
      const signature = new URL(sasUrl).searchParams.get('sig')!
      const reader = (await openStore({ container, auth: { kind: 'sas', token }, create: false })).store
      expect(new TextDecoder().decode(await reader.get('config'))).toBe('hello')
      const err = await caught(reader.putIfAbsent('other', new Uint8Array(1)))
      expect(err.code).toBe('STORE_FORBIDDEN')
      expect(err.exitCode).toBe(ExitCode.Forbidden)
      expect(err.hint).toContain('Storage Blob Data Contributor')
      const everything = `${err.message} ${err.hint} ${JSON.stringify(err)} ${inspect(err, { depth: 10 })}`
      expect(everything).not.toContain(signature)
      expect(everything).not.toContain(encodeURIComponent(signature))
    } finally {
      await cleanup()
    }
  })

  it('an unreachable endpoint (closed port) is Unreachable (exit 22), transient, and retried a bounded number of times', async () => {
    const port = await closedPort()
    const offline = `http://127.0.0.1:${port}/${account}`
    const err = await caught(openStore({ endpoint: offline, create: false }))
    expect(err.code).toBe('STORE_UNREACHABLE')
    expect(err.exitCode).toBe(ExitCode.Unreachable)
    expect(err.transient).toBe(true)

    const client = createContainerClient({ account, container: 'offline', endpoint: offline, auth })
    const clock = new InstantClock()
    const retries: number[] = []
    const store = new RetryStore(new AzureBlobStore({ client, account, container: 'offline' }), { clock, maxAttempts: 3, onRetry: (e) => retries.push(e.attempt) })
    const err2 = await caught(store.get('config'))
    expect(err2.code).toBe('STORE_UNREACHABLE')
    expect(retries).toEqual([1, 2])
    expect(clock.sleeps).toHaveLength(2)
  })
})

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
