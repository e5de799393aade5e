/**
 * The client's memory of each repository (a small local cache, never in the repository): the key
 * fingerprint and the newest snapshot it has seen. It is what makes a rollback - someone deleting the newest
 * snapshots - or a substituted repository visible, since storage alone cannot prove what is missing.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '../crypto/mac.js'
import { isRecord, utf8 } from './encoding.js'
import type { Snapshot } from './types.js'

/** What a client remembers about one repository at one location. Holds no secrets. */
export interface SeenRecord {
  repositoryId: string
  location: string
  keyFingerprint: string
  newest?: { id: string; seq: number; time: string }
  updated: string
}

export interface SeenCache {
  /** Where a person can delete the record to accept a change on purpose (for messages). */
  describe(repositoryId: string, location: string): string
  read(repositoryId: string, location: string): Promise<SeenRecord | undefined>
  write(record: SeenRecord): Promise<void>
}

/** The cache directory: KVDR_CACHE_DIR, else $XDG_CACHE_HOME/kvdr, else ~/.cache/kvdr. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KVDR_CACHE_DIR) return env.KVDR_CACHE_DIR
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kvdr')
}

/** One JSON file per (repository, location) under `<dir>/repos/`, written atomically with mode 0600. */
export class DirectorySeenCache implements SeenCache {
  constructor(private readonly dir: string) {}

  private file(repositoryId: string, location: string): string {
    const loc = Buffer.from(sha256(utf8(location))).toString('hex').slice(0, 16)
    return join(this.dir, 'repos', `${repositoryId}-${loc}.json`)
  }

  describe(repositoryId: string, location: string): string {
    return this.file(repositoryId, location)
  }

  /** The record, or undefined when there is none or it is unreadable (an unreadable cache is not fatal). */
  async read(repositoryId: string, location: string): Promise<SeenRecord | undefined> {
    try {
      const r: unknown = JSON.parse(await readFile(this.file(repositoryId, location), 'utf8'))
      if (!isRecord(r) || r.repositoryId !== repositoryId || r.location !== location || typeof r.keyFingerprint !== 'string') return undefined
      return r as unknown as SeenRecord
    } catch {
      return undefined
    }
  }

  async write(record: SeenRecord): Promise<void> {
    const file = this.file(record.repositoryId, record.location)
    await mkdir(join(this.dir, 'repos'), { recursive: true, mode: 0o700 })
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
    await writeFile(tmp, JSON.stringify(record, null, 2), { mode: 0o600 })
    await rename(tmp, file)
  }
}

/**
 * Compare what is in the repository with what this client saw. Returns a warning when the newest snapshot
 * it saw is gone and no forget record names it (a rollback), else undefined.
 */
export function rollbackWarning(seen: SeenRecord | undefined, present: Snapshot[], forgotten: Set<string>, cacheFile: string): string | undefined {
  const newest = seen?.newest
  if (!newest) return undefined
  if (present.some((s) => s.id === newest.id) || forgotten.has(newest.id)) return undefined
  const highest = present.reduce((m, s) => Math.max(m, s.seq), 0)
  return (
    `The repository went backwards: snapshot ${newest.id.slice(0, 8)} (sequence ${newest.seq}, ${newest.time}) that this machine saw is gone, ` +
    `no forget record explains it, and the highest sequence now present is ${highest}. Someone may have deleted the newest snapshots. ` +
    `Investigate before relying on "latest"; if the repository was restored from an older copy on purpose, delete ${cacheFile}.`
  )
}
