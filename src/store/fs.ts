/** Local-directory ObjectStore: atomic, never-overwriting file creation (temp file + fsync + link). */
import { constants } from 'node:fs'
import { type FileHandle, link, lstat, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Clock, systemClock } from '../core/clock.js'
import { StoreError } from './errors.js'
import { checkName, checkPrefix } from './names.js'
import { type BlobInfo, type ObjectStore, StoreNotFoundError } from './types.js'

/** Temporary files start with this; list() skips every name starting with `.`, sweepTemp() removes these. */
export const TEMP_PREFIX = '.kvdr-tmp-'

let tempCounter = 0
function tempName(): string {
  tempCounter += 1
  return `${TEMP_PREFIX}${process.pid}-${tempCounter}-${Math.random().toString(36).slice(2, 10)}`
}

/** Node system error code, if any. */
export function fsCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined
}

/** A Node fs error as a StoreError saying what failed where (paths are not secret; contents never appear). */
export function fsError(err: unknown, what: string, path: string): StoreError {
  const code = fsCode(err)
  const details = { path, errno: code }
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new StoreError('STORE_FORBIDDEN', `Permission denied: cannot ${what} ${path}.`, {
        hint: 'Run kvdr as the user that owns the repository directory (kvdr creates it with mode 0700), or fix its permissions.',
        details,
      })
    case 'ENOSPC':
    case 'EDQUOT':
      return new StoreError('STORE_IO', `No space left to ${what} ${path}.`, { hint: 'Free space or raise the quota on that file system, then run the command again.', details })
    case 'EROFS':
      return new StoreError('STORE_FORBIDDEN', `Cannot ${what} ${path}: the file system is read-only.`, {
        hint: 'Use a writable location, or open the repository read-only (restore and verify do).',
        details,
      })
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
    case 'EBUSY':
    case 'EINTR':
      return new StoreError('STORE_IO', `Cannot ${what} ${path} right now (${code}).`, { transient: true, details })
    default:
      return new StoreError('STORE_IO', `Cannot ${what} ${path}${code ? ` (${code})` : ''}.`, { details, cause: err })
  }
}

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return // directories cannot be opened for fsync there; NTFS journals metadata
  const fh = await open(dir, constants.O_RDONLY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Create the directory `dir` (and missing parents, mode 0700) and make the new entries durable.
 * Throws StoreError on failure.
 */
async function ensureDir(dir: string): Promise<void> {
  let first: string | undefined
  try {
    first = await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw fsError(err, 'create the directory', dir)
  }
  if (first === undefined) return
  // Each newly created directory's entry lives in its parent: fsync from the parent of the first one down.
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d))
    if (d === first || dirname(d) === d) break
  }
}

/**
 * Write `path` with `data` only if it does not exist: temp file in the same directory, fsync, link() to the
 * final name (EEXIST means 'exists'), unlink the temp, fsync the directory. Readers never see a partial file
 * under `path`; a crash leaves at most a `.kvdr-tmp-*` file. Files get mode 0600, new directories 0700.
 * Throws StoreError on I/O failure.
 */
export async function writeFileOnce(path: string, data: Uint8Array): Promise<'created' | 'exists'> {
  const dir = dirname(path)
  await ensureDir(dir)
  const tmp = join(dir, tempName())
  let fh: FileHandle
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  } catch (err) {
    throw fsError(err, 'create a temporary file in', dir)
  }
  let result: 'created' | 'exists' = 'created'
  try {
    try {
      await fh.writeFile(data)
      await fh.sync()
    } catch (err) {
      throw fsError(err, 'write', path)
    } finally {
      await fh.close()
    }
    try {
      await link(tmp, path)
    } catch (err) {
      if (fsCode(err) !== 'EEXIST') throw fsError(err, 'create', path)
      result = 'exists'
    }
  } finally {
    await unlink(tmp).catch(() => {})
  }
  if (result === 'created') {
    try {
      await fsyncDir(dir)
    } catch (err) {
      throw fsError(err, 'sync the directory', dir)
    }
  }
  return result
}

export interface FsStoreOptions {
  /** Create the root directory (mode 0700) if it does not exist. Default false: a missing root is RepoNotFound. */
  create?: boolean
  /** Used by sweepTemp() to judge the age of temporary files. */
  clock?: Clock
}

/**
 * ObjectStore on a local directory. Blob `a/b/c` is the file `<root>/a/b/c`; directories are created on demand.
 * Every create is atomic and never overwrites (see writeFileOnce). Requires a file system with hard links.
 */
export class FsStore implements ObjectStore {
  readonly location: string
  readonly root: string
  private readonly clock: Clock

  private constructor(root: string, clock: Clock) {
    this.root = root
    this.location = pathToFileURL(root).href
    this.clock = clock
  }

  /**
   * Open the store rooted at `root` (resolved to an absolute path). Throws StoreError REPO_NOT_FOUND when the
   * directory is missing and `create` is false, or when `root` is not a directory.
   */
  static async open(root: string, options: FsStoreOptions = {}): Promise<FsStore> {
    const abs = resolve(root)
    const store = new FsStore(abs, options.clock ?? systemClock)
    let isDir: boolean
    try {
      isDir = (await stat(abs)).isDirectory() // the root itself may be a symlink to the real directory
    } catch (err) {
      if (fsCode(err) !== 'ENOENT') throw fsError(err, 'open', abs)
      if (!options.create) {
        throw new StoreError('REPO_NOT_FOUND', `There is no repository directory at ${abs}.`, {
          hint: 'Check the path, or run `kvdr repo init` to create a repository there.',
          details: { location: store.location },
        })
      }
      await ensureDir(abs)
      isDir = true
    }
    if (!isDir) {
      throw new StoreError('REPO_NOT_FOUND', `${abs} is not a directory.`, { hint: 'Give the path of a repository directory.', details: { location: store.location } })
    }
    return store
  }

  private pathOf(name: string): string {
    return join(this.root, ...name.split('/'))
  }

  /** See ObjectStore.putIfAbsent. Throws StoreError on I/O failure. */
  async putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    checkName(name)
    const path = this.pathOf(name)
    try {
      await lstat(path)
      return 'exists'
    } catch (err) {
      const code = fsCode(err)
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(err, 'check', path)
    }
    return writeFileOnce(path, data)
  }

  async get(name: string): Promise<Uint8Array> {
    checkName(name)
    const path = this.pathOf(name)
    try {
      const buf = await readFile(path)
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    } catch (err) {
      const code = fsCode(err)
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw new StoreNotFoundError(name, this.location)
      throw fsError(err, 'read', path)
    }
  }

  async stat(name: string): Promise<BlobInfo | undefined> {
    checkName(name)
    const path = this.pathOf(name)
    try {
      const st = await lstat(path)
      return st.isFile() ? { name, size: st.size, created: st.mtime } : undefined
    } catch (err) {
      const code = fsCode(err)
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
      throw fsError(err, 'inspect', path)
    }
  }

  /** Regular files under the root whose name starts with `prefix`; skips names starting with `.` and symlinks. */
  async *list(prefix: string): AsyncIterable<BlobInfo> {
    checkPrefix(prefix)
    const cut = prefix.lastIndexOf('/')
    const start = cut < 0 ? '' : prefix.slice(0, cut)
    for await (const entry of this.walk(start, (rel) => `${rel}/`.startsWith(prefix) || prefix.startsWith(`${rel}/`))) {
      if (entry.name.startsWith(prefix) && !entry.temp) yield { name: entry.name, size: entry.size, created: entry.created }
    }
  }

  async delete(name: string): Promise<void> {
    checkName(name)
    const path = this.pathOf(name)
    try {
      await unlink(path)
    } catch (err) {
      const code = fsCode(err)
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return
      if (code === 'EPERM' && (await lstat(path).catch(() => undefined))?.isDirectory()) return
      throw fsError(err, 'delete', path)
    }
    await fsyncDir(dirname(path)).catch(() => {})
  }

  async close(): Promise<void> {}

  /**
   * Remove temporary files (left by crashed writers) older than `olderThanMs` (default one hour, so files of
   * writers still running are left alone). Returns how many were removed. Throws StoreError on I/O failure.
   */
  async sweepTemp(options: { olderThanMs?: number } = {}): Promise<number> {
    const cutoff = this.clock.now() - (options.olderThanMs ?? 3_600_000)
    let removed = 0
    for await (const entry of this.walk('', () => true)) {
      if (!entry.temp || entry.created.getTime() > cutoff) continue
      const path = this.pathOf(entry.name)
      try {
        await unlink(path)
        removed += 1
      } catch (err) {
        if (fsCode(err) !== 'ENOENT') throw fsError(err, 'remove the temporary file', path)
      }
    }
    return removed
  }

  /** Files under `<root>/<rel>` (recursively, into directories `descend` accepts), temp files flagged. */
  private async *walk(rel: string, descend: (rel: string) => boolean): AsyncGenerator<BlobInfo & { temp: boolean }> {
    const dir = rel === '' ? this.root : this.pathOf(rel)
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      const code = fsCode(err)
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      throw fsError(err, 'list', dir)
    }
    for (const entry of entries) {
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`
      const temp = entry.name.startsWith(TEMP_PREFIX)
      if (entry.name.startsWith('.') && !temp) continue
      if (entry.isDirectory() && !temp) {
        if (descend(name)) yield* this.walk(name, descend)
      } else if (entry.isFile()) {
        const path = dir + sep + entry.name
        const st = await lstat(path).catch((err: unknown) => {
          if (fsCode(err) === 'ENOENT') return undefined // deleted while listing
          throw fsError(err, 'inspect', path)
        })
        if (st) yield { name, size: st.size, created: st.mtime, temp }
      }
    }
  }
}
