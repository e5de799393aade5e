/**
 * `kvdr repo copy --to`: replicate snapshots into a second repository (another account or region) by copying
 * sealed blobs byte for byte - contents are never decrypted. The target is a replica: same repository id
 * and keys. An empty target is initialised with the source's key slots and config; a different repository
 * is refused. Contents first, manifest last, so an interrupted copy leaves no partial snapshot in the target.
 */
import { UsageError } from '../core/errors.js'
import type { Locker, ObjectStore } from '../store/types.js'
import { collect, mapLimit } from './concurrency.js'
import { CONFIG_BLOB, parseConfig, verifyConfig } from './config.js'
import { KEYS_PREFIX } from './keyslots.js'
import { readSlots, Repository } from './repository.js'
import type { BlobProblem } from './snapshots.js'
import { SNAPSHOTS_PREFIX } from './snapshots.js'
import { contentBlobName, DATA_PREFIX, parseContentId, type Snapshot, snapshotBlobName } from './types.js'

export interface CopyTarget {
  store: ObjectStore
  locker: Locker
}

export interface CopyOptions {
  /** Only these snapshots (ids, prefixes or `latest`); default all. */
  snapshots?: string[]
}

/** Outcome of a copy (also its `--json` shape). */
export interface CopyResult {
  target: string
  /** True when the target was empty and has been made a replica. */
  initialized: boolean
  snapshots: { copied: string[]; skipped: string[] }
  contents: { copied: number; skipped: number; bytes: number }
  /** Source snapshots that could not be read (not copied). */
  problems: BlobProblem[]
  /** Rollback warnings about the source (see listSnapshots). */
  warnings: string[]
}

/**
 * Copy under a shared lock on each side. Throws UsageError when the target is another repository or holds
 * unrelated data, and IntegrityError when the target's config does not verify under the source's keys.
 */
export async function copyRepository(source: Repository, target: CopyTarget, options: CopyOptions = {}): Promise<CopyResult> {
  return source.withLock('shared', 'repo copy', async () => {
    const initialized = await prepareTarget(source, target.store)
    const replica = new Repository(target.store, source.config, source.keys, source.openedWith, { locker: target.locker, clock: source.clock })
    return replica.withLock('shared', 'repo copy', async () => {
      const result: CopyResult = { target: target.store.location, initialized, snapshots: { copied: [], skipped: [] }, contents: { copied: 0, skipped: 0, bytes: 0 }, problems: [], warnings: [] }
      let chosen: Snapshot[]
      if (options.snapshots && options.snapshots.length > 0) {
        chosen = []
        for (const ref of options.snapshots) chosen.push(await source.resolveSnapshot(ref))
      } else {
        const listing = await source.listSnapshots()
        chosen = listing.snapshots
        result.problems.push(...listing.problems)
        result.warnings.push(...listing.warnings)
      }
      const present = new Set(await replica.snapshots.names())
      const stored = new Set((await collect(target.store.list(DATA_PREFIX))).map((b) => b.name))
      const copyBlob = async (name: string): Promise<void> => {
        if (stored.has(name)) {
          result.contents.skipped++
          return
        }
        const bytes = await source.store.get(name)
        if ((await target.store.putIfAbsent(name, bytes)) === 'created') {
          result.contents.copied++
          result.contents.bytes += bytes.byteLength
        } else result.contents.skipped++
        stored.add(name)
      }
      for (const snap of chosen) {
        const manifest = snapshotBlobName(snap.id)
        if (present.has(manifest)) {
          result.snapshots.skipped.push(snap.id)
          continue
        }
        for (const page of snap.pages) {
          await copyBlob(contentBlobName(parseContentId(page).hex))
          const entries = await source.snapshots.loadPage(page, snap.id)
          const names = [...new Set(entries.flatMap((e) => e.refs.map((r) => contentBlobName(parseContentId(r).hex))))]
          await mapLimit(names, 8, copyBlob)
        }
        const bytes = await source.store.get(manifest)
        source.snapshots.openManifest(snap.id, bytes) // the bytes copied are the bytes verified
        await target.store.putIfAbsent(manifest, bytes)
        result.snapshots.copied.push(snap.id)
      }
      return result
    })
  })
}

/** Make an empty target a replica (key slots, then config), or confirm an existing target is one. */
async function prepareTarget(source: Repository, store: ObjectStore): Promise<boolean> {
  const existing = await store.stat(CONFIG_BLOB)
  if (existing) {
    const unverified = parseConfig(await store.get(CONFIG_BLOB), store.location)
    if (unverified.config.repositoryId !== source.repositoryId) {
      throw new UsageError(`${store.location} is a different kvdr repository (id ${unverified.config.repositoryId}, not ${source.repositoryId}); refusing to copy into it.`, {
        hint: 'Copy into an empty location (it becomes a replica of this repository) or into an existing replica of it.',
      })
    }
    verifyConfig(unverified, source.keys.idKey, store.location)
    return false
  }
  const notEmpty = (name: string): UsageError =>
    new UsageError(`${store.location} is not empty (${name}) but has no repository config; refusing to copy into it.`, {
      hint: 'Copy into an empty location or an existing replica.',
    })
  for (const prefix of [SNAPSHOTS_PREFIX, DATA_PREFIX]) {
    for await (const b of store.list(prefix)) throw notEmpty(b.name)
  }
  for await (const b of store.list(KEYS_PREFIX)) {
    // Left by an interrupted copy: fine only if it is byte-identical to the source's slot.
    const mine = await source.store.get(b.name).catch(() => undefined)
    const theirs = await store.get(b.name)
    if (!mine || Buffer.compare(Buffer.from(mine), Buffer.from(theirs)) !== 0) throw notEmpty(b.name)
  }
  const { slots } = await readSlots(source.store)
  for (const slot of slots.filter((s) => s.repositoryId === source.repositoryId)) {
    await store.putIfAbsent(slot.blob, await source.store.get(slot.blob))
  }
  await store.putIfAbsent(CONFIG_BLOB, await source.store.get(CONFIG_BLOB))
  return true
}
