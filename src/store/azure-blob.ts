/** Azure Blob ObjectStore: every create is conditional (If-None-Match: *), so nothing is ever overwritten. */
import type { ContainerClient } from '@azure/storage-blob'
import { type AzureErrorContext, azureError, azureErrorCode } from './azure-errors.js'
import { StoreError } from './errors.js'
import { checkName, checkPrefix } from './names.js'
import { type BlobInfo, type ObjectStore, StoreNotFoundError, StoreRefusedError } from './types.js'

/** Service error codes of blobs under an immutability policy or legal hold (409). */
const IMMUTABLE = new Set(['BlobImmutableDueToPolicy', 'BlobImmutableDueToLegalHold'])

export interface AzureBlobStoreOptions {
  client: ContainerClient
  account: string
  container: string
  /** Folder inside the container that holds the repository ('' or e.g. `team-a/prod`). */
  prefix?: string
  /** Entries per list request (the service caps it at 5000). Default 5000. */
  listPageSize?: number
}

/** `azblob://account/container[/prefix]`: the printable location (never credentials). */
export function azureLocation(account: string, container: string, prefix = ''): string {
  return `azblob://${account}/${container}${prefix ? `/${prefix.replace(/\/$/, '')}` : ''}`
}

/** Normalise a folder prefix to '' or `a/b/` (throws StoreError STORE_INVALID_NAME for bad ones). */
export function normalisePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '')
  if (p === '') return ''
  checkName(p)
  return `${p}/`
}

/**
 * ObjectStore on an Azure Blob container (optionally under a prefix). Needs the role Storage Blob Data
 * Reader to read and Storage Blob Data Contributor to write (or a SAS with `rl` / `racwdl`). Works on
 * containers with versioning and version-level immutability: blobs are created once and never modified.
 * Errors are StoreErrors from azureError (auth, forbidden with the missing role, unreachable, RepoNotFound).
 */
export class AzureBlobStore implements ObjectStore {
  readonly location: string
  private readonly client: ContainerClient
  private readonly prefix: string
  private readonly pageSize: number
  private readonly ctx: Omit<AzureErrorContext, 'write'>

  /** No I/O: call init() to check (or create) the container before relying on it. */
  constructor(options: AzureBlobStoreOptions) {
    this.client = options.client
    this.prefix = normalisePrefix(options.prefix)
    this.location = azureLocation(options.account, options.container, this.prefix)
    this.pageSize = Math.min(5000, Math.max(1, options.listPageSize ?? 5000))
    this.ctx = { location: this.location, account: options.account, container: options.container }
  }

  /**
   * Check that the container exists and may be listed, creating it first when `create` is set (repo init).
   * Throws StoreError: REPO_NOT_FOUND when the container is missing, STORE_AUTH / STORE_FORBIDDEN /
   * STORE_UNREACHABLE (transient) otherwise. Idempotent; safe to retry.
   */
  async init(options: { create?: boolean } = {}): Promise<void> {
    if (options.create) {
      try {
        await this.client.createIfNotExists()
      } catch (err) {
        throw this.fail(err, 'create the container', true)
      }
    }
    try {
      await this.client.listBlobsFlat({ prefix: this.prefix }).byPage({ maxPageSize: 1 }).next()
    } catch (err) {
      throw this.fail(err, 'list', false)
    }
  }

  private fail(err: unknown, what: string, write: boolean): StoreError {
    return azureError(err, what, { ...this.ctx, write })
  }

  private blob(name: string) {
    return this.client.getBlockBlobClient(this.prefix + name)
  }

  /** Conditional upload (If-None-Match: *): 409 BlobAlreadyExists (or an immutable blob) means 'exists'. */
  async putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    checkName(name)
    try {
      await this.blob(name).upload(data, data.byteLength, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
      })
      return 'created'
    } catch (err) {
      const code = azureErrorCode(err)
      // A leased blob (412 LeaseIdMissing) and an immutable one exist too.
      if (code === 'BlobAlreadyExists' || code === 'LeaseIdMissing' || IMMUTABLE.has(code ?? '')) return 'exists'
      throw this.fail(err, `write ${name}`, true)
    }
  }

  /** One GET; the body length is checked against Content-Length (a cut connection is a transient error). */
  async get(name: string): Promise<Uint8Array> {
    checkName(name)
    let body: NodeJS.ReadableStream | undefined
    let expected: number | undefined
    try {
      const res = await this.blob(name).download(0, undefined, { maxRetryRequests: 0 })
      body = res.readableStreamBody
      expected = res.contentLength
    } catch (err) {
      if (azureErrorCode(err) === 'BlobNotFound') throw new StoreNotFoundError(name, this.location)
      throw this.fail(err, `read ${name}`, false)
    }
    const chunks: Buffer[] = []
    try {
      if (body) for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    } catch (err) {
      throw this.fail(err, `read ${name}`, false)
    }
    const data = Buffer.concat(chunks)
    if (expected !== undefined && data.byteLength !== expected) {
      throw new StoreError('STORE_UNREACHABLE', `The download of ${name} from ${this.location} was cut short (${data.byteLength} of ${expected} bytes).`, {
        transient: true,
        details: { location: this.location },
      })
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  }

  async stat(name: string): Promise<BlobInfo | undefined> {
    checkName(name)
    try {
      const p = await this.blob(name).getProperties()
      return { name, size: p.contentLength ?? 0, created: p.createdOn ?? p.lastModified ?? new Date(0) }
    } catch (err) {
      if (azureErrorCode(err) === 'BlobNotFound') return undefined
      throw this.fail(err, `inspect ${name}`, false)
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    checkPrefix(prefix)
    try {
      for await (const page of this.client.listBlobsFlat({ prefix: this.prefix + prefix }).byPage({ maxPageSize: this.pageSize })) {
        for (const item of page.segment.blobItems) {
          yield {
            name: item.name.slice(this.prefix.length),
            size: item.properties.contentLength ?? 0,
            created: item.properties.createdOn ?? item.properties.lastModified,
          }
        }
      }
    } catch (err) {
      throw this.fail(err, `list ${prefix || 'the repository'}`, false)
    }
  }

  /** Deletes the current version (with versioning on, it stays recoverable). An immutable blob is refused. */
  async delete(name: string): Promise<void> {
    checkName(name)
    try {
      await this.blob(name).delete()
    } catch (err) {
      const code = azureErrorCode(err)
      if (code === 'BlobNotFound') return
      if (IMMUTABLE.has(code ?? '')) {
        throw new StoreRefusedError(name, 'is protected by the container\'s immutability policy and cannot be deleted yet')
      }
      throw this.fail(err, `delete ${name}`, true)
    }
  }

  /** The SDK keeps no resources that need closing (its keep-alive sockets are unref'd). */
  async close(): Promise<void> {}
}
