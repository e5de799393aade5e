/**
 * The one place the CLI turns a repository location into a store and a locker: src/store's openLocation()
 * (a directory path, file://, azblob://, memory://), which wraps the store in the RetryStore, made read-only
 * (ReadOnlyStore) for commands that only read, plus the location's leftovers hook for `repo check`.
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { systemClock } from '../core/clock.js'
import type { Leftovers } from '../repo/check.js'
import { StoreError } from '../store/errors.js'
import { fsCode, fsError, FsStore, TEMP_PREFIX } from '../store/fs.js'
import { openLocation, type OpenedLocation } from '../store/location.js'

export interface LocationOptions {
  /** Refuse every write and delete (ReadOnlyStore): for commands that only read. Locks are separate. */
  readOnly?: boolean
  /**
   * Create the directory or container when missing (repo init, a copy's target). An existing one is opened
   * without a create request, so a container-scoped SAS (which may not create containers) works too.
   * Default: missing is exit 10.
   */
  create?: boolean
  /** Azure: the blob service endpoint (`--blob-endpoint`). */
  blobEndpoint?: string | undefined
  /** Where KVDR_REPO and the Azure credentials come from. Default process.env. */
  env?: Record<string, string | undefined>
}

/** An opened location, with the leftovers of crashed writers it can have (local directories only). */
export interface RepoLocation extends OpenedLocation {
  leftovers?: Leftovers
}

/**
 * Open `text` (or KVDR_REPO) for a command. Transient storage failures are retried (6 tries, exponential
 * backoff). Throws UsageError for a malformed location or credentials, StoreError REPO_NOT_FOUND (exit 10)
 * when the directory or container does not exist, and STORE_AUTH / STORE_FORBIDDEN / STORE_UNREACHABLE (exit
 * 20 / 21 / 22) for access problems. Never puts credentials in `store.location`.
 */
export async function openRepoLocation(text: string | undefined, options: LocationOptions = {}): Promise<RepoLocation> {
  const open = (create: boolean) =>
    openLocation(text, {
      create,
      readOnly: options.readOnly === true,
      ...(options.blobEndpoint ? { blobEndpoint: options.blobEndpoint } : {}),
      ...(options.env ? { env: options.env } : {}),
    })
  let opened: OpenedLocation
  try {
    opened = await open(false)
  } catch (err) {
    if (!options.create || !(err instanceof StoreError) || err.code !== 'REPO_NOT_FOUND') throw err
    opened = await open(true)
  }
  return opened.location.kind === 'file' ? { ...opened, leftovers: temporaryFiles(opened.location.path) } : opened
}

/** Variables that give `repo copy`'s target its own credentials (another account) instead of the source's. */
export const COPY_TARGET_ENV = { connectionString: 'KVDR_COPY_TO_CONNECTION_STRING', sasToken: 'KVDR_COPY_TO_SAS_TOKEN' } as const

/**
 * The environment a copy's target is opened with: when KVDR_COPY_TO_CONNECTION_STRING or
 * KVDR_COPY_TO_SAS_TOKEN is set, those replace the source's Azure Storage credentials (and the account key
 * is not inherited); otherwise the target uses the same credentials as the source (e.g. Azure AD).
 */
export function copyTargetEnv(env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  const connectionString = env[COPY_TARGET_ENV.connectionString]?.trim()
  const sasToken = env[COPY_TARGET_ENV.sasToken]?.trim()
  if (!connectionString && !sasToken) return env
  return { ...env, AZURE_STORAGE_CONNECTION_STRING: connectionString, AZURE_STORAGE_SAS_TOKEN: sasToken, AZURE_STORAGE_KEY: undefined }
}

/** A local repository's `.kvdr-tmp-*` files: counted by walking the directory, removed by FsStore.sweepTemp. */
function temporaryFiles(root: string): Leftovers {
  return {
    what: 'Temporary files',
    async sweep({ olderThanMs, remove }) {
      if (remove) return (await FsStore.open(root)).sweepTemp({ olderThanMs })
      return countTemporary(root, systemClock.now() - olderThanMs)
    },
  }
}

/** Temporary files under `dir` last modified before `cutoff`. Throws StoreError when a directory cannot be read. */
async function countTemporary(dir: string, cutoff: number): Promise<number> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if (fsCode(err) === 'ENOENT') return 0
    throw fsError(err, 'list', dir)
  }
  let count = 0
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
      const st = await lstat(path).catch(() => undefined) // removed meanwhile
      if (st && st.mtimeMs < cutoff) count += 1
    } else if (entry.isDirectory() && !entry.name.startsWith('.')) count += await countTemporary(path, cutoff)
  }
  return count
}
