/**
 * The previous snapshot of a vault, as an incremental run needs it: a compact index (one digest per object: the
 * listing signature it was captured under and when) built by streaming the entries once. Memory holds ~100
 * bytes per object, never the entries themselves; reused entries are streamed again when the new snapshot is
 * written.
 */
import { sha256 } from '../crypto/mac.js'
import { canonicalJson, utf8 } from '../repo/encoding.js'
import type { RepositoryReader } from '../repo/repository.js'
import type { Snapshot } from '../repo/types.js'
import { entryKey, type IndexedEntry, isObjectRecord, type ListingSignature } from './records.js'

/** Digest of a listing signature (what is compared between runs). */
export function signatureDigest(sig: ListingSignature): string {
  return Buffer.from(sha256(utf8(canonicalJson(sig)))).toString('base64').slice(0, 22)
}

/** The newest snapshot of `vaultUrl` in the repository, if any. */
export async function previousSnapshot(repo: Pick<RepositoryReader, 'listSnapshots'>, vaultUrl: string): Promise<Snapshot | undefined> {
  const { snapshots } = await repo.listSnapshots()
  return snapshots.filter((s) => s.vault.url === vaultUrl).at(-1)
}

/** Index the object entries of `snapshot` by kind and name. Throws IntegrityError for unreadable pages. */
export async function indexSnapshot(repo: Pick<RepositoryReader, 'entries'>, snapshot: Snapshot): Promise<Map<string, IndexedEntry>> {
  const index = new Map<string, IndexedEntry>()
  for await (const e of repo.entries(snapshot)) {
    if (!isObjectRecord(e.data)) continue
    const d = e.data
    index.set(entryKey(e.kind, e.name), { signature: signatureDigest(d.listing), listedAt: d.listedAt, reusable: d.carried === undefined })
  }
  return index
}

/**
 * May the previous capture stand in for the object as listed now? Only when the listing shows exactly what it
 * showed then, the capture was not itself carried forward, and the object was last changed before the vault's
 * clock at that earlier listing (a change within that second might have been missed).
 */
export function reusable(prev: IndexedEntry | undefined, sig: ListingSignature): boolean {
  if (!prev || !prev.reusable || prev.listedAt === null) return false
  if (prev.signature !== signatureDigest(sig)) return false
  const changed = sig.updatedOn ?? sig.deletedOn
  return changed === undefined || Date.parse(changed) < prev.listedAt
}
