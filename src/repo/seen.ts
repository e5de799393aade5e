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

/** A snapshot as the client remembers it. */
export interface SeenSnapshot {
  id: string
  seq: number
  time: string
}

/** What a client remembers about one repository at one location. Holds no secrets. */
export interface SeenRecord {
  repositoryId: string
  location: string
  keyFingerprint: string
  /** The highest-sequence snapshot seen. */
  newest?: SeenSnapshot
  /** Snapshots seen that later vanished without a forget record; kept until a person deletes the file. */
  missing?: SeenSnapshot[]
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

/** The outcome of comparing the repository with the client's memory. */
export interface RollbackAssessment {
  warnings: string[]
  /** The snapshot to remember as newest, and the snapshots to keep reporting as missing. */
  newest?: SeenSnapshot
  missing: SeenSnapshot[]
  changed: boolean
}

/**
 * Compare what is in the repository with what this client saw. A snapshot it saw (the newest, or one already
 * reported) that is gone without a forget record is a rollback: reported now and on every later run until a
 * person deletes the cache file. The remembered newest only moves forward.
 */
export function assessRollback(seen: SeenRecord | undefined, present: Snapshot[], forgotten: Set<string>, cacheFile: string): RollbackAssessment {
  const ids = new Set(present.map((s) => s.id as string))
  const candidates = new Map<string, SeenSnapshot>()
  for (const s of [...(seen?.missing ?? []), ...(seen?.newest ? [seen.newest] : [])]) candidates.set(s.id, s)
  const missing = [...candidates.values()].filter((s) => !ids.has(s.id) && !forgotten.has(s.id)).sort((a, b) => a.seq - b.seq)
  const top = present.reduce<Snapshot | undefined>((m, s) => (!m || s.seq > m.seq ? s : m), undefined)
  let newest = seen?.newest
  if (top && (!newest || top.seq > newest.seq)) newest = { id: top.id, seq: top.seq, time: top.time }
  const highest = top?.seq ?? 0
  const warnings = missing.map(
    (m) =>
      `The repository went backwards: snapshot ${m.id.slice(0, 8)} (sequence ${m.seq}, ${m.time}) that this machine saw is gone, ` +
      `no forget record explains it, and the highest sequence now present is ${highest}. Someone may have deleted the newest snapshots. ` +
      `Investigate before relying on "latest"; once resolved (or if the repository was restored from an older copy on purpose), delete ${cacheFile}.`,
  )
  const changed = !seen || newest?.id !== seen.newest?.id || missing.length !== (seen.missing ?? []).length
  return { warnings, ...(newest ? { newest } : {}), missing, changed }
}
