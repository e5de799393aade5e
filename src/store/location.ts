/**
 * Repository locations as one string (`azblob://account/container[/prefix]`, `file:///abs/path` or a plain
 * path, `memory://name`) and openLocation(), the one entry point that turns a location into a store and a
 * locker. Credentials never appear in a location; they come from options or the environment.
 */
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { TokenCredential } from '@azure/identity'
import { type Clock, systemClock } from '../core/clock.js'
import { UsageError } from '../core/errors.js'
import type { AzureAuth } from './azure-client.js'
import { StoreError } from './errors.js'
import { FsLocker } from './fs-lock.js'
import { FsStore } from './fs.js'
import { LoggingStore, type StoreLogger } from './logging.js'
import { MemoryLocker } from './memory-lock.js'
import { MemoryStore } from './memory.js'
import { checkName } from './names.js'
import { ReadOnlyStore } from './readonly.js'
import { Retrier, type RetryOptions, RetryStore } from './retry.js'
import type { Locker, ObjectStore } from './types.js'

export type Location =
  | { kind: 'azblob'; account: string; container: string; /** '' or `a/b` (no slashes at the ends) */ prefix: string }
  | { kind: 'file'; path: string }
  | { kind: 'memory'; name: string }

/** The environment variable that names the repository when no location is given. */
export const REPO_ENV = 'KVDR_REPO'

const FORMS = 'azblob://<account>/<container>[/<prefix>], file:///absolute/path, a directory path, or memory://<name> (tests)'
const HINT = `Write the repository location as ${FORMS}. Credentials never go in the location: use AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_KEY or an Azure AD sign-in.`

/** The text with anything that could be a credential (userinfo, query, fragment) masked, safe to print. */
function redact(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1***@').replace(/[?#].*$/s, '?***')
}

function bad(text: string, why: string): UsageError {
  return new UsageError(`"${redact(text)}" is not a repository location: ${why}.`, { hint: HINT })
}

const ACCOUNT = /^[a-z0-9]{3,24}$/
const CONTAINER = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$/
const MEMORY = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Parse a location string. Relative paths resolve against `cwd` (default process.cwd()). Throws UsageError,
 * with the accepted forms, for anything else; the message never repeats credentials the text may contain.
 */
export function parseLocation(text: string, options: { cwd?: string } = {}): Location {
  const t = text.trim()
  if (t === '') throw bad(text, 'it is empty')
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(t)?.[1]?.toLowerCase()
  if (scheme === 'azblob') return parseAzblob(t)
  if (scheme === 'memory') {
    const name = t.slice('memory://'.length)
    if (!MEMORY.test(name)) throw bad(t, 'a memory location is memory://<name> with a name of letters, digits, ".", "_" or "-"')
    return { kind: 'memory', name }
  }
  if (scheme === 'file') {
    let url: URL
    try {
      url = new URL(t)
    } catch {
      throw bad(t, 'it is not a valid file URL')
    }
    if (url.search || url.hash || url.username || url.password) throw bad(t, 'a file URL has no query, fragment or user')
    if (url.hostname !== '' && url.hostname !== 'localhost') throw bad(t, 'a file URL must name a local path (file:///path)')
    return { kind: 'file', path: fileURLToPath(url) }
  }
  if (scheme === 'https' || scheme === 'http') {
    const blob = /^https?:\/\/([a-z0-9]+)\.blob\.[^/?#]+\/([^/?#]+)/i.exec(t)
    throw new UsageError(`"${redact(t)}" is not a repository location: blob URLs are not accepted.`, {
      hint: blob
        ? `Write azblob://${blob[1]!.toLowerCase()}/${blob[2]} (plus /<prefix> if any); give a non-default endpoint with --blob-endpoint and a SAS token in AZURE_STORAGE_SAS_TOKEN.`
        : HINT,
    })
  }
  if (scheme !== undefined) throw bad(t, `the scheme "${scheme}://" is not supported`)
  if (/^[a-z][a-z0-9+.-]*:[^\\/]/i.test(t) && !/^[a-z]:/i.test(t)) throw bad(t, 'it looks like a URL without "//"')
  return { kind: 'file', path: isAbsolute(t) ? resolve(t) : resolve(options.cwd ?? process.cwd(), t) }
}

function parseAzblob(t: string): Location {
  const m = /^azblob:\/\/([^/?#]*)((?:\/[^?#]*)?)(.*)$/is.exec(t)!
  const [, authority = '', path = '', rest = ''] = m
  if (authority.includes('@') || authority.includes(':')) throw bad(t, 'credentials and ports do not go in the location (use --blob-endpoint and the environment)')
  if (rest !== '') throw bad(t, 'a query string or fragment is not allowed (put a SAS token in AZURE_STORAGE_SAS_TOKEN)')
  if (!ACCOUNT.test(authority)) throw bad(t, `"${authority}" is not a storage account name (3-24 lowercase letters and digits)`)
  const [container = '', ...rawPrefix] = path.replace(/^\//, '').split('/')
  if (container === '') throw bad(t, 'the container is missing (azblob://<account>/<container>[/<prefix>])')
  if (!CONTAINER.test(container)) throw bad(t, `"${container}" is not a container name (3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit)`)
  const prefix = rawPrefix.join('/').replace(/\/+$/, '')
  if (prefix !== '') {
    try {
      checkName(prefix)
    } catch {
      throw bad(t, `the prefix "${prefix}" must be /-separated segments of letters, digits, ".", "_" and "-", none empty or starting with "."`)
    }
  }
  return { kind: 'azblob', account: authority, container, prefix }
}

/** The canonical string of a location (what stores report as `location`). */
export function formatLocation(location: Location): string {
  switch (location.kind) {
    case 'azblob':
      return `azblob://${location.account}/${location.container}${location.prefix ? `/${location.prefix}` : ''}`
    case 'file':
      return pathToFileURL(location.path).href
    case 'memory':
      return `memory://${location.name}`
  }
}

/**
 * The location to use: `given` if set, else the KVDR_REPO environment variable. Throws UsageError when
 * neither is set.
 */
export function resolveLocation(given: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const text = given?.trim() || env[REPO_ENV]?.trim()
  if (!text) {
    throw new UsageError('No repository location given.', { hint: `Pass --repo <location> or set ${REPO_ENV}. ${HINT}` })
  }
  return text
}

export interface OpenLocationOptions {
  /** Create the directory / container if missing (repo init). Default false: missing means RepoNotFound. */
  create?: boolean
  /** Refuse every write and delete (restore, verify, DR copies). Locks are still taken. */
  readOnly?: boolean
  /** Environment to read KVDR_REPO and Azure credentials from. Default process.env. */
  env?: Record<string, string | undefined>
  /** Base for relative paths. Default process.cwd(). */
  cwd?: string
  /** Azure: the blob service endpoint (sovereign clouds, private endpoints, Azurite). */
  blobEndpoint?: string
  /** Azure: how to authenticate, overriding the environment. */
  auth?: AzureAuth
  /** Azure: the token credential to use instead of DefaultAzureCredential (when no key or SAS is configured). */
  credential?: TokenCredential
  /** Azure: the environment variable that holds a connection string. Default AZURE_STORAGE_CONNECTION_STRING. */
  connectionStringEnv?: string
  /** Azure: entries per list request (default 5000). */
  listPageSize?: number
  /** Azure: per-request timeout (default 120 s). */
  requestTimeoutMs?: number
  clock?: Clock
  /** Retry policy for transient failures, or false for none. Default: RetryStore defaults. */
  retry?: RetryOptions | false
  /** Receives one event per store operation (never contents). */
  log?: StoreLogger
  /** Lock tuning: local heartbeat and staleness, Azure lease duration (15-60 s). */
  lock?: { staleAfterMs?: number; heartbeatMs?: number; leaseSeconds?: number }
}

export interface OpenedLocation {
  location: Location
  store: ObjectStore
  locker: Locker
  /** How the store authenticates, for messages (e.g. "connection string from AZURE_STORAGE_CONNECTION_STRING"). */
  auth: string
}

const memoryRepos = new Map<string, { store: MemoryStore; locker: MemoryLocker }>()

/** Choose Azure credentials: options, then the environment, then DefaultAzureCredential. */
async function azureAuth(options: OpenLocationOptions, env: Record<string, string | undefined>): Promise<{ auth: AzureAuth; describe: string }> {
  if (options.auth) return { auth: options.auth, describe: `${options.auth.kind} (given)` }
  if (options.credential) return { auth: { kind: 'token', credential: options.credential }, describe: 'token credential (given)' }
  const csEnv = options.connectionStringEnv ?? 'AZURE_STORAGE_CONNECTION_STRING'
  const cs = env[csEnv]?.trim()
  if (cs) return { auth: { kind: 'connection-string', connectionString: cs }, describe: `connection string from ${csEnv}` }
  const sas = env.AZURE_STORAGE_SAS_TOKEN?.trim()
  if (sas) return { auth: { kind: 'sas', token: sas }, describe: 'SAS token from AZURE_STORAGE_SAS_TOKEN' }
  const key = env.AZURE_STORAGE_KEY?.trim()
  if (key) return { auth: { kind: 'account-key', accountKey: key }, describe: 'account key from AZURE_STORAGE_KEY' }
  const { DefaultAzureCredential } = await import('@azure/identity')
  return { auth: { kind: 'token', credential: new DefaultAzureCredential() }, describe: 'Azure AD (DefaultAzureCredential)' }
}

/**
 * Open the repository at `location` (or KVDR_REPO): the store, wrapped for retries (and logging, read-only
 * as asked), and the matching locker. Checks that the repository's directory / container exists (creating
 * it with `create`). Throws UsageError for malformed locations or credentials settings, StoreError with
 * code REPO_NOT_FOUND (exit 10) when it does not exist, and StoreError STORE_AUTH / STORE_FORBIDDEN /
 * STORE_UNREACHABLE for access problems. Azure needs Storage Blob Data Contributor (Reader for read-only
 * use without locks).
 */
export async function openLocation(location: string | undefined, options: OpenLocationOptions = {}): Promise<OpenedLocation> {
  const env = options.env ?? process.env
  const parsed = parseLocation(resolveLocation(location, env), options.cwd === undefined ? {} : { cwd: options.cwd })
  const printable = formatLocation(parsed)
  const clock = options.clock ?? systemClock
  const retryOptions: RetryOptions = options.retry === false ? { maxAttempts: 1, clock } : { clock, ...options.retry }
  let base: ObjectStore
  let locker: Locker
  let auth = 'none'
  switch (parsed.kind) {
    case 'memory': {
      let repo = memoryRepos.get(parsed.name)
      if (!repo) {
        if (!options.create) {
          throw new StoreError('REPO_NOT_FOUND', `There is no repository at ${printable}.`, { hint: 'Memory repositories live only as long as the process; create one with `kvdr repo init` first.', details: { location: printable } })
        }
        repo = { store: new MemoryStore({ name: parsed.name, clock }), locker: new MemoryLocker(printable, { clock }) }
        memoryRepos.set(parsed.name, repo)
      }
      base = repo.store
      locker = repo.locker
      break
    }
    case 'file': {
      const fsStore = await FsStore.open(parsed.path, { create: options.create ?? false, clock })
      base = fsStore
      locker = new FsLocker(fsStore.root, printable, { clock, ...options.lock })
      break
    }
    case 'azblob': {
      const [{ createContainerClient }, { AzureBlobStore }, { AzureLocker }] = await Promise.all([import('./azure-client.js'), import('./azure-blob.js'), import('./azure-lock.js')])
      const chosen = await azureAuth(options, env)
      auth = chosen.describe
      const client = createContainerClient({
        account: parsed.account,
        container: parsed.container,
        auth: chosen.auth,
        ...(options.blobEndpoint === undefined ? {} : { endpoint: options.blobEndpoint }),
        ...(options.requestTimeoutMs === undefined ? {} : { tryTimeoutMs: options.requestTimeoutMs }),
      })
      const azure = new AzureBlobStore({ client, account: parsed.account, container: parsed.container, prefix: parsed.prefix, ...(options.listPageSize === undefined ? {} : { listPageSize: options.listPageSize }) })
      await new Retrier(retryOptions).run('open', printable, () => azure.init({ create: options.create ?? false }))
      base = azure
      locker = new AzureLocker(client, {
        location: printable,
        account: parsed.account,
        container: parsed.container,
        prefix: parsed.prefix,
        clock,
        ...(options.lock?.leaseSeconds === undefined ? {} : { leaseSeconds: options.lock.leaseSeconds }),
      })
      break
    }
  }
  let store: ObjectStore = options.retry === false ? base : new RetryStore(base, retryOptions)
  if (options.log) store = new LoggingStore(store, options.log, { clock })
  if (options.readOnly) store = new ReadOnlyStore(store)
  return { location: parsed, store, locker, auth }
}
