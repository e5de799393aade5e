/**
 * Walk every snapshot's manifest and pages to collect the contents they reference. Shared by check (which
 * reports what it cannot read) and prune (which refuses to delete anything when it cannot read everything).
 */
import { mapLimit } from './concurrency.js'
import { IntegrityError } from './errors.js'
import type { Repository } from './repository.js'
import type { BlobProblem } from './snapshots.js'
import { type ContentId, contentBlobName, parseContentId, type Snapshot } from './types.js'

export interface References {
  snapshots: Snapshot[]
  /** hex id -> the content id (with its type) and the first snapshot that references it. */
  contents: Map<string, { id: ContentId; snapshot: string }>
  pagesRead: number
  entries: number
  problems: BlobProblem[]
  warnings: string[]
}

/**
 * Read every manifest and every page (each distinct page once). Memory grows with the number of distinct
 * contents in the repository (one map entry each), not with their sizes.
 */
export async function collectReferences(repo: Repository): Promise<References> {
  const { snapshots, problems, warnings } = await repo.listSnapshots()
  const contents = new Map<string, { id: ContentId; snapshot: string }>()
  const pages = new Map<string, { id: ContentId; snapshot: Snapshot }>()
  for (const s of snapshots) {
    for (const p of s.pages) {
      const { hex } = parseContentId(p)
      if (!pages.has(hex)) pages.set(hex, { id: p, snapshot: s })
      if (!contents.has(hex)) contents.set(hex, { id: p, snapshot: s.id })
    }
  }
  let entries = 0
  const pageEntries = new Map<string, number>()
  await mapLimit([...pages.values()], 8, async ({ id, snapshot }) => {
    try {
      const list = await repo.snapshots.loadPage(id, snapshot.id)
      pageEntries.set(id, list.length)
      for (const e of list) {
        entries++
        for (const ref of e.refs) {
          const { hex } = parseContentId(ref)
          if (!contents.has(hex)) contents.set(hex, { id: ref, snapshot: snapshot.id })
        }
      }
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err
      problems.push({ blob: contentBlobName(parseContentId(id).hex), message: `${err.message} (page of snapshot ${snapshot.id.slice(0, 8)})` })
    }
  })
  for (const s of snapshots) {
    const counts = s.pages.map((p) => pageEntries.get(p))
    if (counts.every((c) => c !== undefined)) {
      const total = (counts as number[]).reduce((a, b) => a + b, 0)
      if (total !== s.entryCount) problems.push({ blob: `snapshots/${s.id}`, message: `snapshot lists ${s.entryCount} entries but its pages hold ${total}` })
    }
  }
  return { snapshots, contents, pagesRead: pages.size, entries, problems, warnings }
}
