/** `--dry-run`: list a vault and compare it with its previous snapshot - what a backup would fetch, reuse and drop. */
import { OBJECT_KINDS, type ObjectKind } from '../core/types.js'
import type { RepositoryReader } from '../repo/repository.js'
import type { VaultReader } from '../vault/reader.js'
import { indexSnapshot, previousSnapshot, reusable } from './previous.js'
import { entryKey, signatureOf } from './records.js'

/** What a backup of one vault would do. Counts objects (managed key/secret pairs of certificates excluded). */
export interface VaultPlan {
  previousSnapshot: string | null
  listed: number
  /** Objects that would be fetched (new or changed, or everything with --full). */
  fetch: number
  /** Objects whose previous capture would be reused without a request. */
  unchanged: number
  /** Soft-deleted objects (recorded as state). */
  deleted: number
  /** Objects in the previous snapshot that are gone (purged or removed) and would drop out. */
  dropped: number
  byKind: Record<string, { fetch: number; unchanged: number; deleted: number }>
}

/** Plan a backup of the vault `reader` reads. Throws VaultError when the vault cannot be listed. */
export async function planVault(repo: Pick<RepositoryReader, 'listSnapshots' | 'entries'>, reader: VaultReader, full: boolean, kinds: readonly ObjectKind[] = OBJECT_KINDS): Promise<VaultPlan> {
  const previous = await previousSnapshot(repo, reader.url)
  const index = previous ? await indexSnapshot(repo, previous) : new Map()
  const plan: VaultPlan = { previousSnapshot: previous?.id ?? null, listed: 0, fetch: 0, unchanged: 0, deleted: 0, dropped: 0, byKind: {} }
  const present = new Set<string>()
  for (const kind of kinds) {
    const k = (plan.byKind[kind] = { fetch: 0, unchanged: 0, deleted: 0 })
    for await (const page of reader.listActive(kind)) {
      for (const item of page.items) {
        if (item.managed) continue
        const key = entryKey(kind, item.name)
        present.add(key)
        plan.listed++
        if (!full && reusable(index.get(key), signatureOf(item, 'active'))) {
          plan.unchanged++
          k.unchanged++
        } else {
          plan.fetch++
          k.fetch++
        }
      }
    }
    for await (const page of reader.listDeleted(kind)) {
      for (const item of page.items) {
        if (item.managed || present.has(entryKey(kind, item.name))) continue
        present.add(entryKey(kind, item.name))
        plan.listed++
        plan.deleted++
        k.deleted++
      }
    }
  }
  for (const key of index.keys()) if (!present.has(key) && kinds.some((k) => key.startsWith(`${k}\0`))) plan.dropped++
  return plan
}
