/** Human renderings of `kvdr recover`: the table of soft-deleted objects and the per-object result. */
import { formatTime, plural, renderTable } from '../cli/table.js'
import type { DeletedItem, RecoverResult } from './recover.js'

/** The soft-deleted objects as a table: kind, name, deletion and purge dates, days left, notes. */
export function deletedTable(items: readonly DeletedItem[]): string {
  return renderTable(
    [
      { header: 'Kind', get: (d: DeletedItem) => d.kind },
      { header: 'Name', get: (d) => d.name },
      { header: 'Deleted (UTC)', get: (d) => (d.deletedOn ? formatTime(d.deletedOn) : '?') },
      { header: 'Purge on (UTC)', get: (d) => (d.scheduledPurgeDate ? formatTime(d.scheduledPurgeDate) : '?') },
      { header: 'Days left', get: (d) => (d.daysLeft === undefined ? '?' : String(d.daysLeft)), align: 'right' },
      { header: 'Note', get: (d) => (d.managedBy ? `comes back with ${d.managedBy}` : '') },
    ],
    items,
  )
}

function settingsLine(r: RecoverResult): string {
  const s = r.settings
  if (s.recoveryLevel === undefined) return 'Purge protection: unknown'
  return `Recovery level ${s.recoveryLevel}: purge protection ${s.purgeProtection ? 'ON (only Key Vault purges, at the scheduled date)' : 'off'}`
}

/** The whole human report of a run. */
export function recoverReport(r: RecoverResult): string {
  if (r.action === 'list') {
    if (r.deleted.length === 0) return `No soft-deleted objects in ${r.vault}.`
    return [`Soft-deleted objects in ${r.vault} (${plural(r.deleted.length, 'object')}):`, deletedTable(r.deleted), '', settingsLine(r)].join('\n')
  }
  const lines = [`${r.dryRun ? 'Dry run: ' : ''}${r.action} in ${r.vault}`]
  if (r.action === 'purge') lines.push(settingsLine(r))
  for (const o of r.objects) {
    lines.push(`  ${o.status.padEnd(8)} ${o.object}: ${o.message}`)
    if (o.hint && o.status !== 'done' && o.status !== 'planned') lines.push(`           Try this: ${o.hint}`)
  }
  const s = r.summary
  lines.push(r.dryRun ? `Nothing was changed (${plural(r.objects.filter((o) => o.status === 'planned').length, 'object')} would be ${r.action === 'purge' ? 'purged' : 'recovered'}).` : `${s.done} done, ${s.warnings} warnings, ${s.errors} errors${s.refused ? `, ${s.refused} refused` : ''}.`)
  return lines.join('\n')
}
