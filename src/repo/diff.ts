/**
 * `kvdr snapshots diff`: which objects were added, removed or changed between two snapshots, compared by
 * (kind, name). Memory holds one digest per object of the first snapshot, not the objects themselves.
 */
import { sha256 } from '../crypto/mac.js'
import { canonicalJson, utf8 } from './encoding.js'
import type { RepositoryReader } from './repository.js'
import type { Entry, Snapshot } from './types.js'

export interface DiffItem {
  kind: string
  name: string
}

/** Outcome of a diff (also its `--json` shape); lists are sorted by kind, then name. */
export interface DiffResult {
  from: string
  to: string
  added: DiffItem[]
  removed: DiffItem[]
  /** Objects present in both whose contents (`refs`) or metadata (`data`) differ. */
  changed: Array<DiffItem & { contents: boolean; metadata: boolean }>
  unchanged: number
}

const key = (e: Entry): string => `${e.kind}\0${e.name}`
const digest = (v: unknown): string => Buffer.from(sha256(utf8(canonicalJson(v)))).toString('base64')

/** Compare `from` to `to` by streaming both. Throws IntegrityError when either has unreadable pages. */
export async function diffSnapshots(repo: Pick<RepositoryReader, 'entries'>, from: Snapshot, to: Snapshot): Promise<DiffResult> {
  const before = new Map<string, { refs: string; data: string }>()
  for await (const e of repo.entries(from)) before.set(key(e), { refs: digest(e.refs), data: digest(e.data) })
  const result: DiffResult = { from: from.id, to: to.id, added: [], removed: [], changed: [], unchanged: 0 }
  for await (const e of repo.entries(to)) {
    const k = key(e)
    const old = before.get(k)
    if (!old) {
      result.added.push({ kind: e.kind, name: e.name })
      continue
    }
    before.delete(k)
    const contents = old.refs !== digest(e.refs)
    const metadata = old.data !== digest(e.data)
    if (contents || metadata) result.changed.push({ kind: e.kind, name: e.name, contents, metadata })
    else result.unchanged++
  }
  for (const k of before.keys()) {
    const [kind, name] = k.split('\0') as [string, string]
    result.removed.push({ kind, name })
  }
  const order = (a: DiffItem, b: DiffItem): number => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)
  result.added.sort(order)
  result.removed.sort(order)
  result.changed.sort(order)
  return result
}
