import { inspect } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import { ExitCode, KvdrError, UsageError } from '../../src/core/errors.js'
import { parseConnectionString } from '../../src/store/azure-client.js'
import { StoreError } from '../../src/store/errors.js'
import type { StoreLogEvent } from '../../src/store/logging.js'
import { formatLocation, openLocation, parseLocation, resolveLocation } from '../../src/store/location.js'
import { StoreRefusedError } from '../../src/store/types.js'
import { tempDir } from './support.js'

async function failure(p: Promise<unknown> | (() => unknown)): Promise<KvdrError> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    expect(err).toBeInstanceOf(KvdrError)
    return err as KvdrError
  }
  throw new Error('expected a failure')
}

describe('parseLocation', () => {
  it.each([
    ['azblob://acct01/backups', { kind: 'azblob', account: 'acct01', container: 'backups', prefix: '' }],
    ['azblob://acct01/backups/', { kind: 'azblob', account: 'acct01', container: 'backups', prefix: '' }],
    ['azblob://acct01/kv-backups/team-a/prod/', { kind: 'azblob', account: 'acct01', container: 'kv-backups', prefix: 'team-a/prod' }],
    ['AZBLOB://devstoreaccount1/abc', { kind: 'azblob', account: 'devstoreaccount1', container: 'abc', prefix: '' }],
    ['file:///var/backups/kv', { kind: 'file', path: '/var/backups/kv' }],
    ['file://localhost/var/backups/kv%20x', { kind: 'file', path: '/var/backups/kv x' }],
    ['/var/backups/kv', { kind: 'file', path: '/var/backups/kv' }],
    ['/var/backups/../kv/', { kind: 'file', path: '/var/kv' }],
    ['relative/dir', { kind: 'file', path: '/work/here/relative/dir' }],
    ['./.kvdr', { kind: 'file', path: '/work/here/.kvdr' }],
    ['memory://test-1', { kind: 'memory', name: 'test-1' }],
  ])('accepts %s', (text, expected) => {
    expect(parseLocation(text, { cwd: '/work/here' })).toEqual(expected)
  })

  it.each(['azblob://acct01/kv-backups/team-a/prod', 'file:///var/backups/kv', 'memory://x1'])('formats %s back to itself', (text) => {
    expect(formatLocation(parseLocation(text))).toBe(text)
  })

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['azblob://', /not a storage account name/],
    ['azblob://Acct01/backups', /not a storage account name/],
    ['azblob://ab/backups', /not a storage account name/],
    ['azblob://acct01', /container is missing/],
    ['azblob://acct01/', /container is missing/],
    ['azblob://acct01/Backups', /not a container name/],
    ['azblob://acct01/ab', /not a container name/],
    ['azblob://acct01/a--b', /not a container name/],
    ['azblob://acct01/-abc', /not a container name/],
    ['azblob://acct01/backups/../x', /prefix/],
    ['azblob://acct01/backups/a//b', /prefix/],
    ['azblob://acct01/backups/.hidden', /prefix/],
    ['azblob://acct01:10000/backups', /ports/],
    ['s3://bucket/x', /scheme "s3:\/\/" is not supported/],
    ['ftp://host/x', /not supported/],
    ['memory://', /memory location/],
    ['memory://a b', /memory location/],
    ['file://fileserver/share/kv', /local path/],
    ['file:///x?y=1', /no query/],
    ['s3:bucket', /without "\/\/"/],
  ])('rejects %j with a usage error that lists the accepted forms', async (text, why) => {
    const err = await failure(() => parseLocation(text))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.exitCode).toBe(ExitCode.Usage)
    expect(err.message).toMatch(why)
    expect(err.hint).toContain('azblob://<account>/<container>')
  })

  it.each([
    ['azblob://myaccount:S3CR3T-KEY@acct01/backups', 'S3CR3T-KEY'],
    ['azblob://S3CR3T-KEY@acct01/backups', 'S3CR3T-KEY'],
    ['azblob://acct01/backups?sv=2024-01-01&sig=S3CR3T-SIG', 'S3CR3T-SIG'],
    ['azblob://acct01/backups#sig=S3CR3T-SIG', 'S3CR3T-SIG'],
    ['https://acct01.blob.core.windows.net/backups?sv=2024&sig=S3CR3T-SIG', 'S3CR3T-SIG'],
  ])('rejects credentials in %s without repeating them', async (text, secret) => {
    const err = await failure(() => parseLocation(text))
    expect(err).toBeInstanceOf(UsageError)
    const shown = `${err.message} ${err.hint} ${JSON.stringify(err)} ${inspect(err)}`
    expect(shown).not.toContain(secret)
  })

  it('points a blob URL to the azblob:// form', async () => {
    const err = await failure(() => parseLocation('https://acct01.blob.core.windows.net/backups/team-a'))
    expect(err.hint).toContain('azblob://acct01/backups')
  })
})

describe('resolveLocation', () => {
  it('prefers the given location, falls back to KVDR_REPO, and says what to do when neither is set', async () => {
    expect(resolveLocation('memory://a', { KVDR_REPO: 'memory://b' })).toBe('memory://a')
    expect(resolveLocation(undefined, { KVDR_REPO: 'memory://b' })).toBe('memory://b')
    expect(resolveLocation('', { KVDR_REPO: ' memory://b ' })).toBe('memory://b')
    const err = await failure(() => resolveLocation(undefined, {}))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.hint).toMatch(/--repo.*KVDR_REPO/)
  })
})

describe('openLocation', () => {
  it('memory: init creates it, later opens find it, an unknown one is RepoNotFound; locks are shared per name', async () => {
    const name = `memory://open-${process.pid}`
    expect((await failure(openLocation(name))).exitCode).toBe(ExitCode.RepoNotFound)
    const first = await openLocation(name, { create: true })
    await first.store.putIfAbsent('config', new Uint8Array([1]))
    const second = await openLocation(undefined, { env: { KVDR_REPO: name } })
    expect(second.store.location).toBe(name)
    expect(await second.store.get('config')).toEqual(new Uint8Array([1]))
    const held = await first.locker.acquire('exclusive', 'backup')
    expect((await failure(second.locker.acquire('shared', 'verify'))).exitCode).toBe(ExitCode.RepoLocked)
    await held.release()
  })

  it('file: a missing directory is RepoNotFound unless created (0700); read-only refuses writes; logging sees operations', async () => {
    const tmp = await tempDir('open-file')
    try {
      const path = `${tmp.dir}/repo`
      const err = await failure(openLocation(path))
      expect(err.exitCode).toBe(ExitCode.RepoNotFound)
      expect(err.hint).toMatch(/kvdr repo init/)
      const events: StoreLogEvent[] = []
      const opened = await openLocation(`file://${path}`, { create: true, log: (e) => events.push(e) })
      expect(opened.store.location).toBe(`file://${path}`)
      expect(await opened.store.putIfAbsent('config', new TextEncoder().encode('top secret'))).toBe('created')
      expect(events).toMatchObject([{ op: 'putIfAbsent', name: 'config', size: 10, outcome: 'created' }])
      expect(JSON.stringify(events)).not.toContain('top secret')
      const ro = await openLocation(path, { readOnly: true, cwd: '/' })
      expect(new TextDecoder().decode(await ro.store.get('config'))).toBe('top secret')
      expect(await failure(ro.store.putIfAbsent('x', new Uint8Array(1)))).toBeInstanceOf(StoreRefusedError)
      expect(await failure(ro.store.delete('config'))).toBeInstanceOf(StoreRefusedError)
      const lock = await ro.locker.acquire('shared', 'restore')
      expect((await opened.locker.list()).map((l) => l.id)).toEqual([lock.info.id])
      await lock.release()
    } finally {
      await tmp.remove()
    }
  })

  describe('azblob on Azurite', () => {
    const connectionString = inject('azuriteConnectionString')
    const cs = parseConnectionString(connectionString)
    let n = 0
    const fresh = () => `azblob://${cs.accountName}/open-${process.pid}-${Date.now().toString(36)}-${++n}`

    it('uses AZURE_STORAGE_CONNECTION_STRING (endpoint included); missing container is RepoNotFound until created', async () => {
      const location = fresh()
      const env = { AZURE_STORAGE_CONNECTION_STRING: connectionString }
      const err = await failure(openLocation(location, { env }))
      expect(err.exitCode).toBe(ExitCode.RepoNotFound)
      const opened = await openLocation(`${location}/team-a/`, { env, create: true })
      expect(opened.auth).toBe('connection string from AZURE_STORAGE_CONNECTION_STRING')
      expect(opened.store.location).toBe(`${location}/team-a`)
      expect(opened.location).toMatchObject({ kind: 'azblob', prefix: 'team-a' })
      await opened.store.putIfAbsent('config', new Uint8Array([7]))
      const again = await openLocation(undefined, { env: { ...env, KVDR_REPO: `${location}/team-a` } })
      expect(await again.store.get('config')).toEqual(new Uint8Array([7]))
      const held = await again.locker.acquire('exclusive', 'backup')
      expect((await failure(opened.locker.acquire('shared', 'verify'))).exitCode).toBe(ExitCode.RepoLocked)
      await held.release()
    })

    it('uses a connection string from a named variable, AZURE_STORAGE_KEY with --blob-endpoint, and a SAS token or SAS URL', async () => {
      const location = fresh()
      const created = await openLocation(location, { env: { MY_CS: connectionString }, connectionStringEnv: 'MY_CS', create: true })
      expect(created.auth).toBe('connection string from MY_CS')
      await created.store.putIfAbsent('config', new Uint8Array([1, 2]))
      const byKey = await openLocation(location, { env: { AZURE_STORAGE_KEY: cs.accountKey }, blobEndpoint: cs.blobEndpoint! })
      expect(byKey.auth).toBe('account key from AZURE_STORAGE_KEY')
      expect(await byKey.store.get('config')).toEqual(new Uint8Array([1, 2]))
      const { createContainerClient } = await import('../../src/store/azure-client.js')
      const { ContainerSASPermissions } = await import('@azure/storage-blob')
      const container = location.split('/').pop()!
      const client = createContainerClient({ account: cs.accountName!, container, endpoint: cs.blobEndpoint!, auth: { kind: 'connection-string', connectionString } })
      const sas = new URL(await client.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3_600_000) })).search.slice(1)
      const bySas = await openLocation(location, { env: { AZURE_STORAGE_SAS_TOKEN: sas }, blobEndpoint: cs.blobEndpoint!, readOnly: true })
      expect(bySas.auth).toBe('SAS token from AZURE_STORAGE_SAS_TOKEN')
      expect(await bySas.store.get('config')).toEqual(new Uint8Array([1, 2]))
      expect(bySas.store.location).not.toContain('sig=')
      const sasUrl = await client.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3_600_000) })
      const bySasUrl = await openLocation(location, { env: { AZURE_STORAGE_SAS_TOKEN: sasUrl }, readOnly: true })
      expect(await bySasUrl.store.get('config')).toEqual(new Uint8Array([1, 2]))
      const wrong = await failure(openLocation(`azblob://${cs.accountName}/other-container`, { env: { AZURE_STORAGE_SAS_TOKEN: sasUrl } }))
      expect(wrong).toBeInstanceOf(UsageError)
      expect(wrong.message).toContain('other-container')
      expect(`${wrong.message}${wrong.hint}`).not.toContain(new URL(sasUrl).searchParams.get('sig')!)
      await client.deleteIfExists()
    })

    it('rejects a connection string for another account, plain http to a remote host, and Azure AD over http, naming no secret', async () => {
      const env = { AZURE_STORAGE_CONNECTION_STRING: connectionString }
      const other = await failure(openLocation('azblob://otheraccount/backups', { env }))
      expect(other).toBeInstanceOf(UsageError)
      expect(other.message).toMatch(/otheraccount/)
      expect(`${other.message}${other.hint}`).not.toContain(cs.accountKey!)
      const http = await failure(openLocation(fresh(), { env, blobEndpoint: 'http://storage.example.com/acct' }))
      expect(http).toBeInstanceOf(UsageError)
      expect(http.message).toMatch(/not https/)
      const token = { getToken: async () => ({ token: 'unused', expiresOnTimestamp: Date.now() + 60_000 }) }
      const aad = await failure(openLocation(fresh(), { env: {}, credential: token, blobEndpoint: cs.blobEndpoint! }))
      expect(aad).toBeInstanceOf(UsageError)
      expect(aad.message).toMatch(/https/)
      const broken = await failure(openLocation(fresh(), { env: { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=x;Nonsense' } }))
      expect(broken).toBeInstanceOf(UsageError)
      expect(broken.message).not.toContain('Nonsense')
    })

    it('an unreachable endpoint fails as Unreachable after the configured retries', async () => {
      const events: number[] = []
      const err = await failure(
        openLocation(fresh(), {
          env: { AZURE_STORAGE_KEY: cs.accountKey },
          blobEndpoint: `http://127.0.0.1:9/${cs.accountName}`,
          retry: { maxAttempts: 2, baseDelayMs: 1, onRetry: (e) => events.push(e.attempt) },
        }),
      )
      expect(err).toBeInstanceOf(StoreError)
      expect(err.exitCode).toBe(ExitCode.Unreachable)
      expect(events).toEqual([1])
    })
  })
})
