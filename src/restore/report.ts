/** The human report of `kvdr restore`: the plan as a table (what happens to each object and why), then the outcome. */
import { formatTime, renderTable } from '../cli/table.js'
import type { ObjectOutcome, PlannedObject, RestorePlan, RestoreResult } from './types.js'

const ACTION: Record<PlannedObject['action'], string> = {
  create: 'create',
  'add-versions': 'add versions',
  recover: 'recover',
  skip: 'skip',
  conflict: 'CONFLICT',
  impossible: 'IMPOSSIBLE',
}

function objectName(p: PlannedObject): string {
  const from = p.source.split('/').slice(0, 2).join('/')
  const to = `${p.kind}/${p.name}`
  return from.toLowerCase() === to.toLowerCase() ? p.source : `${p.source} -> ${p.name}`
}

function header(plan: RestorePlan): string[] {
  const t = plan.target
  const w = t.world
  const lines = [
    `Snapshot ${plan.snapshot.id.slice(0, 8)} of ${plan.snapshot.vault} (${formatTime(plan.snapshot.time)})${plan.asOf ? `, state as of ${formatTime(plan.asOf)}` : ''}`,
    `Target ${t.url}: subscription ${w.subscriptionId ?? 'unknown'}, region ${w.region ?? 'unknown'}${w.geography ? ` (${w.geography})` : ''}, tenant ${w.tenantId ?? 'unknown'} - ${t.relation === 'same' ? 'same world as the snapshot (native restore possible)' : t.relation === 'different' ? 'another world (native blobs cannot go there)' : 'world unknown'}`,
    ...t.assumptions.map((a) => `  assumed: ${a}`),
  ]
  const d = t.deletion
  if (d?.recoveryLevel) lines.push(`  soft delete: ${d.recoveryLevel}${d.recoverableDays ? `, ${d.recoverableDays} days` : ''}; purge protection ${d.purgeProtection ? 'ON' : 'off'}`)
  for (const p of plan.permissions) {
    if (!p.readable && p.missing) lines.push(`  cannot read ${p.kind}s: missing ${p.missing.dataAction} (role "${p.missing.role}"; access policy "${p.missing.accessPolicy}")`)
  }
  lines.push(`Mode ${plan.mode}, on conflict ${plan.onConflict}.`)
  return lines
}

/** The plan table (one row per object). */
export function planTable(objects: readonly PlannedObject[]): string {
  return renderTable<PlannedObject>(
    [
      { header: 'ACTION', get: (p) => ACTION[p.action] },
      { header: 'OBJECT', get: objectName },
      { header: 'METHOD', get: (p) => p.method ?? '-' },
      { header: 'VERSIONS', get: (p) => (p.versions > 0 ? String(p.versions) : '-'), align: 'right' },
      { header: 'REASON', get: (p) => [p.reason, ...p.notes].join('; ') },
    ],
    objects,
  )
}

function outcomeTable(outcomes: readonly ObjectOutcome[]): string {
  return renderTable<ObjectOutcome>(
    [
      { header: 'RESULT', get: (o) => o.status },
      { header: 'ACTION', get: (o) => ACTION[o.action] },
      { header: 'OBJECT', get: objectName },
      { header: 'WHAT HAPPENED', get: (o) => o.message },
    ],
    outcomes,
  )
}

/** Human text for a restore result (dry run: the plan only). */
export function restoreReport(r: RestoreResult): string {
  const c = r.plan.counts
  const counts = `${c.create} create, ${c['add-versions']} add versions, ${c.recover} recover, ${c.skip} skip, ${c.conflict} conflict, ${c.impossible} impossible`
  const lines = [...header(r.plan), '', planTable(r.plan.objects) || '(nothing selected)', '', `Plan: ${counts}.`]
  if (r.dryRun) {
    lines.push('Dry run: nothing was written.')
    return lines.join('\n')
  }
  const s = r.summary
  lines.push('', outcomeTable(r.outcomes ?? []), '', `Restore: ${s.done} done, ${s.skipped} skipped, ${s.warnings} with warnings, ${s.errors} failed${s.refused ? ` (${s.refused} refused)` : ''}.`)
  return lines.join('\n')
}
