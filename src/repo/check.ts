/**
 * `kvdr repo check`: verify structure, references and MACs (key slots, manifests, pages, forget records),
 * that every referenced content exists, and optionally decrypt all or a random subset of contents and
 * re-derive their ids. Collects every problem; never stops at the first.
 */
import { mapLimit } from './concurrency.js'
import { IntegrityError } from './errors.js'
import { verifySlot } from './keyslots.js'
import { collectReferences } from './references.js'
import { readSlots, type Repository } from './repository.js'
import type { BlobProblem } from './snapshots.js'
import { type ContentId, contentBlobName, PAGE_TYPE, parseContentId } from './types.js'

const DATA_RE = /^data\/([0-9a-f]{2})\/([0-9a-f]{64})$/

export interface CheckOptions {
  /** Decrypt contents too: all of them, or a random `percent` (0 < percent <= 100). Default: none. */
  readData?: 'all' | { percent: number }
  /** Source of randomness for the subset (tests pass a seeded one). */
  random?: () => number
}

/** Outcome of a check (also its `--json` shape). `ok` is false exactly when `problems` is non-empty (one per blob). */
export interface CheckResult {
  ok: boolean
  problems: BlobProblem[]
  /** Not integrity failures: leftovers and stray names that prune or a person may clean up. */
  warnings: string[]
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
    for await (const blob of repo.store.list('data/')) {
      const m = DATA_RE.exec(blob.name)
      if (m && m[1] === (m[2] as string).slice(0, 2)) stored.set(m[2] as string, blob.size)
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

    const unique = [...new Map(problems.map((p) => [p.blob, p])).values()]
    return {
      ok: unique.length === 0,
      problems: unique,
      warnings,
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
