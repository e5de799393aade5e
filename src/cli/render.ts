/** Human renderings of repository results shared by several commands, and the JSON form of a listed snapshot. */
import type { ForgetResult } from '../repo/forget.js'
import type { Snapshot } from '../repo/types.js'
import { formatTime, renderTable } from './table.js'

/** What `snapshots list --json` shows per snapshot (the manifest without its page list and problem details). */
export interface SnapshotListItem {
  id: string
  seq: number
  parent: string | null
  time: string
  vault: Snapshot['vault']
  tags: string[]
  description?: string
  tool: Snapshot['tool']
  entryCount: number
  summary: { done: number; warnings: number; errors: number }
}

export function listItem(s: Snapshot): SnapshotListItem {
  const { done, warnings, errors } = s.summary
  return {
    id: s.id,
    seq: s.seq,
    parent: s.parent,
    time: s.time,
    vault: s.vault,
    tags: s.tags,
    ...(s.description === undefined ? {} : { description: s.description }),
    tool: s.tool,
    entryCount: s.entryCount,
    summary: { done, warnings, errors },
  }
}

/** The snapshot table: ID, time, vault, tags, objects, warnings/errors. */
export function snapshotTable(snapshots: readonly Snapshot[]): string {
  return renderTable(
    [
      { header: 'ID', get: (s: Snapshot) => s.id.slice(0, 8) },
      { header: 'Time (UTC)', get: (s) => formatTime(s.time) },
      { header: 'Vault', get: (s) => s.vault.url },
      { header: 'Tags', get: (s) => s.tags.join(',') },
      { header: 'Objects', get: (s) => String(s.entryCount), align: 'right' },
      { header: 'Warn', get: (s) => String(s.summary.warnings), align: 'right' },
      { header: 'Err', get: (s) => String(s.summary.errors), align: 'right' },
    ],
    snapshots,
  )
}

/** `blob: message` lines under a heading, or nothing. */
export function problemLines(heading: string, problems: ReadonlyArray<{ blob: string; message: string }>): string[] {
  return problems.length ? [heading, ...problems.map((p) => `  ${p.blob}: ${p.message}`)] : []
}

/** The human report of a forget: per vault, what is kept (and why) and what is removed. */
export function forgetLines(r: ForgetResult): string[] {
  const lines: string[] = []
  for (const g of r.groups) {
    lines.push(`Vault ${g.vault}: keep ${g.keep.length}, ${r.dryRun ? 'would remove' : 'remove'} ${g.remove.length}`)
    const rows = [...g.keep.map((k) => ({ ...k, action: 'keep' })), ...g.remove.map((k) => ({ ...k, action: r.dryRun ? 'would remove' : 'remove' }))]
    lines.push(
      renderTable(
        [
          { header: 'ID', get: (x: (typeof rows)[number]) => x.id.slice(0, 8) },
          { header: 'Time (UTC)', get: (x) => formatTime(x.time) },
          { header: 'Tags', get: (x) => x.tags.join(',') },
          { header: 'Action', get: (x) => x.action },
          { header: 'Reasons', get: (x) => x.reasons.join(', ') },
        ],
        rows,
      ),
      '',
    )
  }
  if (!r.dryRun) lines.push(`Forgot ${r.removed.length} snapshot(s). Run \`kvdr repo prune\` to delete the data only they used.`)
  for (const x of r.refused) lines.push(`The storage refused to delete ${x.id.slice(0, 8)}: ${x.message}`)
  lines.push(...problemLines('Unreadable (neither kept nor removed):', r.problems))
  return lines
}
