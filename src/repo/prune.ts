/**
 * `kvdr repo prune`: delete contents no snapshot references, under an exclusive lock. Contents younger than
 * a safety margin are kept (a backup uploads contents before its manifest, and a run whose lock was broken
 * may still commit); contents under a WORM retention the caller names are skipped; refused deletes are
 * reported, never fatal. Nothing is deleted when any manifest or page cannot be read.
 */
import { ExitCode, KvdrError } from '../core/errors.js'
import { StoreRefusedError } from '../store/types.js'
import { mapLimit } from './concurrency.js'
import { IntegrityError } from './errors.js'
import { collectReferences } from './references.js'
import type { Repository } from './repository.js'
import { SNAPSHOTS_PREFIX } from './snapshots.js'
import { contentHexOf, DATA_PREFIX } from './types.js'

export const DEFAULT_SAFETY_MARGIN_MS = 24 * 3600 * 1000

export interface PruneOptions {
  /** Keep unreferenced contents younger than this (default 24 h). */
  safetyMarginMs?: number
  /** The store's immutability period, if any: contents younger than this are skipped, not attempted. */
  retentionMs?: number
  dryRun?: boolean
}

/** Outcome of a prune (also its `--json` shape). Counts on a dry run are what would happen. */
export interface PruneResult {
  dryRun: boolean
  snapshots: number
  contents: { total: number; referenced: number; unreferenced: number }
  deleted: { count: number; bytes: number }
  keptTooRecent: number
  keptRetention: number
  /** Deletes the store refused (e.g. immutable storage), with the reason. */
  refused: Array<{ blob: string; message: string }>
  /** Names under data/ that are not contents; never touched. */
  stray: string[]
  warnings: string[]
}

/**
 * Prune under an exclusive lock. Throws IntegrityError (nothing deleted) when the repository has unreadable
 * manifests or pages, and KvdrError when snapshots appear during the run (a writer ignoring the lock).
 */
export async function pruneRepository(repo: Repository, options: PruneOptions = {}): Promise<PruneResult> {
  const margin = options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS
  return repo.withLock('exclusive', 'repo prune', async () => {
    const refs = await collectReferences(repo)
    if (refs.problems.length > 0) {
      throw new IntegrityError(refs.problems[0]?.blob ?? SNAPSHOTS_PREFIX, `Prune deleted nothing: ${refs.problems.length} manifest(s) or page(s) cannot be read, so it cannot know what is still referenced.`, {
        hint: 'Run `kvdr repo check` and repair the repository first.',
        details: { problems: refs.problems },
      })
    }
    const now = repo.clock.now()
    const result: PruneResult = {
      dryRun: options.dryRun === true,
      snapshots: refs.snapshots.length,
      contents: { total: 0, referenced: 0, unreferenced: 0 },
      deleted: { count: 0, bytes: 0 },
      keptTooRecent: 0,
      keptRetention: 0,
      refused: [],
      stray: [],
      warnings: refs.warnings,
    }
    const candidates: Array<{ name: string; size: number }> = []
    for await (const blob of repo.store.list(DATA_PREFIX)) {
      const hex = contentHexOf(blob.name)
      if (hex === undefined) {
        result.stray.push(blob.name)
        continue
      }
      result.contents.total++
      if (refs.contents.has(hex)) {
        result.contents.referenced++
        continue
      }
      result.contents.unreferenced++
      const age = now - blob.created.getTime()
      if (age < margin) result.keptTooRecent++
      else if (options.retentionMs !== undefined && age < options.retentionMs) result.keptRetention++
      else candidates.push({ name: blob.name, size: blob.size })
    }
    const before = new Set(refs.snapshots.map((s) => `${SNAPSHOTS_PREFIX}${s.id}`))
    for await (const b of repo.store.list(SNAPSHOTS_PREFIX)) {
      if (!before.has(b.name)) {
        throw new KvdrError('REPO_CHANGED', ExitCode.Failure, `Prune deleted nothing: snapshot ${b.name} appeared while it held the exclusive lock.`, {
          hint: 'Another process is writing without honouring locks (was `kvdr repo unlock` used on a live lock?). Retry when it has finished.',
        })
      }
    }
    await mapLimit(candidates, 8, async (c) => {
      try {
        if (!options.dryRun) await repo.store.delete(c.name)
        result.deleted.count++
        result.deleted.bytes += c.size
      } catch (err) {
        if (!(err instanceof StoreRefusedError)) throw err
        result.refused.push({ blob: c.name, message: err.message })
      }
    })
    return result
  })
}
