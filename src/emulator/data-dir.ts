/**
 * The emulator's data directory: files created once and then reused (CA, server key, world secret). Creation is
 * atomic (write a temporary file, then hard-link it into place), so emulators starting at the same time agree on
 * one file. Files are private to the user (0600).
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ExitCode, KvdrError } from '../core/errors.js'

/** Create `dir` (and parents) if missing. */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
}

/**
 * The content of `path`, creating it with `make()` when absent. When several processes race, exactly one
 * content wins and every caller returns it.
 */
export async function readOrCreate(path: string, make: () => Promise<string> | string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const content = await make()
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, content, { mode: 0o600 })
  try {
    await link(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  } finally {
    await rm(tmp, { force: true })
  }
  return readFile(path, 'utf8')
}

/** Replace `path` with `content` atomically enough for identical contents written concurrently. */
export async function writeShared(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, content, { mode: 0o644 })
  await rename(tmp, path)
}

/**
 * The world secret backups are sealed with: kept in `<dataDir>/world-secret` so blobs stay valid across restarts,
 * as real Azure backups do. Created (32 random bytes) on first use.
 */
export async function loadWorldSecret(dataDir: string): Promise<Buffer> {
  const hex = await readOrCreate(join(dataDir, 'world-secret'), () => `${randomBytes(32).toString('hex')}\n`)
  const secret = Buffer.from(hex.trim(), 'hex')
  if (secret.length < 16) {
    throw new KvdrError('EMULATOR_DATA', ExitCode.Failure, `${join(dataDir, 'world-secret')} is damaged.`, {
      hint: 'Delete the file to start a new emulator world (backups taken before become unusable), or point --data-dir elsewhere.',
    })
  }
  return secret
}
