/**
 * `kvdr repo check`: verify structure, references and MACs (key slots, manifests, pages, forget records),
 * that every referenced content exists, and optionally decrypt all or a random subset of contents and
 * re-derive their ids; report (and with `repair`, remove) leftovers of crashed writers. Collects every
 * problem; never stops at the first.
 */
import { mapLimit } from './concurrency.js'
import { IntegrityError } from './errors.js'
import { verifySlot } from './keyslots.js'
import { collectReferences } from './references.js'
import { readSlots, type Repository } from './repository.js'
import type { BlobProblem } from './snapshots.js'
import { type ContentId, contentBlobName, contentHexOf, DATA_PREFIX, PAGE_TYPE, parseContentId } from './types.js'

/** Leftovers younger than this may belong to a writer that is still running; they are left alone. */
export const LEFTOVER_MIN_AGE_MS = 3_600_000

/**
 * Leftovers of crashed writers that only the storage backend can see: a local directory's temporary files
 * (`.kvdr-tmp-*`). Azure has none (an interrupted upload leaves no blob). Supplied by whoever opened the
 * location; without it, check reports none.
 */
export interface Leftovers {
  /** What they are, for messages, e.g. "Temporary files". */
  readonly what: string
  /** Count leftovers older than `olderThanMs`, removing them when `remove`. Returns how many there were. */
  sweep(options: { olderThanMs: number; remove: boolean }): Promise<number>
}

export interface CheckOptions {
  /** Decrypt contents too: all of them, or a random `percent` (0 < percent <= 100). Default: none. */
  readData?: 'all' | { percent: number }
  /** Source of randomness for the subset (tests pass a seeded one). */
  random?: () => number
  /** The location's leftovers of crashed writers, to report (and remove with `repair`). */
  leftovers?: Leftovers
  /** Remove leftovers older than LEFTOVER_MIN_AGE_MS (the store must be open for writing). */
  repair?: boolean
}

/** Outcome of a check (also its `--json` shape). `ok` is false exactly when `problems` is non-empty (one per blob). */
export interface CheckResult {
  ok: boolean
  problems: BlobProblem[]
  /** Not integrity failures: leftovers and stray names that prune, `--repair` or a person may clean up. */
  warnings: string[]
  /** Leftovers of crashed writers older than an hour: how many were found, and how many `repair` removed. */
  leftovers: { found: number; removed: number }
  stats: {
    keySlots: number
    snapshots: number
    pages: number
    entries: number
    contentsReferenced: number
    contentsStored: number
    contentsUnreferenced: number
    contentsRead: number
    bytesRead: number
  }
}

/** Check the repository under a shared lock (so prune cannot run meanwhile). */
export async function checkRepository(repo: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  return repo.withLock('shared', 'repo check', async () => {
    const problems: BlobProblem[] = []
    const warnings: string[] = []

    const { slots, bad } = await readSlots(repo.store)
    problems.push(...bad)
    let keySlots = 0
    for (const slot of slots) {
      if (slot.repositoryId !== repo.repositoryId) {
        problems.push({ blob: slot.blob, message: 'key slot names another repository: it was altered, or copied here from elsewhere' })
        continue
      }
      keySlots++
      if (!verifySlot(slot, repo.keys)) problems.push({ blob: slot.blob, message: 'key slot metadata does not match its MAC: it was altered' })
    }

    const refs = await collectReferences(repo)
    problems.push(...refs.problems)
    for (const w of refs.warnings) problems.push({ blob: 'snapshots/', message: w })

    const stored = new Map<string, number>()
    for await (const blob of repo.store.list(DATA_PREFIX)) {
      const hex = contentHexOf(blob.name)
      if (hex !== undefined) stored.set(hex, blob.size)
      else warnings.push(`${blob.name}: stray blob under data/ (not a content name)`)
    }
    for (const [hex, ref] of refs.contents) {
      if (!stored.has(hex)) problems.push({ blob: contentBlobName(hex), message: `content ${ref.id} is missing (referenced by snapshot ${ref.snapshot.slice(0, 8)})` })
    }
    let unreferenced = 0
    for (const hex of stored.keys()) if (!refs.contents.has(hex)) unreferenced++

    let toRead: Array<{ id: ContentId; snapshot: string }> = []
    if (options.readData) {
      const present = [...refs.contents.entries()].filter(([hex, r]) => stored.has(hex) && parseContentId(r.id).type !== PAGE_TYPE).map(([, r]) => r)
      toRead = options.readData === 'all' ? present : sample(present, options.readData.percent, options.random ?? Math.random)
    }
    let bytesRead = 0
    await mapLimit(toRead, 8, async (r) => {
      try {
        bytesRead += (await repo.contents.load(r.id)).byteLength
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err
        problems.push({ blob: err.blob, message: `${err.message} (referenced by snapshot ${r.snapshot.slice(0, 8)})` })
      }
    })

    const leftovers = { found: 0, removed: 0 }
    if (options.leftovers) {
      leftovers.found = await options.leftovers.sweep({ olderThanMs: LEFTOVER_MIN_AGE_MS, remove: options.repair === true })
      if (options.repair) leftovers.removed = leftovers.found
      else if (leftovers.found > 0) warnings.push(`${options.leftovers.what} left by interrupted writers: ${leftovers.found} (older than an hour); \`kvdr repo check --repair\` removes them.`)
    }

    const unique = [...new Map(problems.map((p) => [p.blob, p])).values()]
    return {
      ok: unique.length === 0,
      problems: unique,
      warnings,
      leftovers,
      stats: {
        keySlots,
        snapshots: refs.snapshots.length,
        pages: refs.pagesRead,
        entries: refs.entries,
        contentsReferenced: refs.contents.size,
        contentsStored: stored.size,
        contentsUnreferenced: unreferenced,
        contentsRead: toRead.length,
        bytesRead,
      },
    }
  })
}

/** A random `percent` of `items` (at least one when there are any and percent > 0). */
function sample<T>(items: T[], percent: number, random: () => number): T[] {
  if (!(percent > 0 && percent <= 100)) throw new RangeError('the read-data subset must be a percentage in (0, 100]')
  const n = Math.min(items.length, Math.max(1, Math.ceil((items.length * percent) / 100)))
  const pool = [...items]
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[pool[i], pool[j]] = [pool[j] as T, pool[i] as T]
  }
  return pool.slice(0, n)
}
