/** The human report of `kvdr backup` (and of `--dry-run`): per vault what was written, read, reused and what went wrong. */
import { formatBytes as bytes } from '../cli/table.js'
import type { BackupResult, DryRunResult, VaultResult } from './backup.js'

const SHOWN_PROBLEMS = 20

function vaultLines(v: VaultResult): string[] {
  if (!v.snapshot) {
    return [`${v.vault}: FAILED - ${v.error?.message ?? 'unknown error'}`, ...(v.error?.hint ? [`  Try this: ${v.error.hint}`] : [])]
  }
  const c = v.counts
  const w = v.world ?? {}
  const lines = [`${v.vault}: snapshot ${v.snapshot.id.slice(0, 8)} (${v.snapshot.entryCount} entries)${v.status === 'ok' ? '' : ` - ${v.status.toUpperCase()}`}`]
  if (c) {
    const extra = [c.carried ? `${c.carried} kept from the previous snapshot (unreadable now)` : '', c.missing ? `${c.missing} not backed up` : '', c.vanished ? `${c.vanished} deleted during the run` : ''].filter(Boolean)
    lines.push(`  objects: ${c.listed} listed - ${c.captured} fetched, ${c.reused} unchanged, ${c.deleted} soft-deleted${extra.length ? `; ${extra.join(', ')}` : ''}${c.vaultSettings ? `; ${c.vaultSettings} issuer/contact record(s)` : ''}`)
  }
  lines.push(`  world: subscription ${w.subscriptionId ?? 'unknown (pass --subscription)'}, region ${w.region ?? 'unknown'}${w.geography ? ` (${w.geography})` : ''}, tenant ${w.tenantId ?? 'unknown'}`)
  if (v.requests) lines.push(`  requests: ${v.requests.requests} (${v.requests.throttled} throttled, ${v.requests.retries} retried) in ${v.seconds}s`)
  const s = v.summary
  if (s && (s.errors > 0 || s.warnings > 0)) {
    lines.push(`  problems: ${s.errors} error(s), ${s.warnings} warning(s)`)
    for (const p of v.problems.slice(0, SHOWN_PROBLEMS)) lines.push(`    ${p.severity === 'error' ? 'error  ' : 'warning'} ${p.kind}/${p.name}: ${p.message}`)
    if (v.problems.length > SHOWN_PROBLEMS) lines.push(`    ... ${v.problems.length - SHOWN_PROBLEMS} more (all of them with --json, or \`kvdr snapshots show ${v.snapshot.id.slice(0, 8)}\`)`)
  }
  return lines
}

/** Human text for a backup result. */
export function backupReport(r: BackupResult): string {
  const ok = r.vaults.filter((v) => v.snapshot).length
  return [
    ...r.vaults.flatMap(vaultLines),
    '',
    `${ok} of ${r.vaults.length} vault(s) backed up. Stored ${r.contents.uploaded} new content(s) (${bytes(r.contents.bytesUploaded)}); ${r.contents.reused} were already in the repository.`,
  ].join('\n')
}

/** Human text for a dry run. */
export function dryRunReport(r: DryRunResult): string {
  const lines: string[] = ['Dry run: nothing was fetched or written.']
  for (const v of r.vaults) {
    if (!v.plan) {
      lines.push(`${v.vault}: FAILED - ${v.error?.message ?? 'unknown error'}`)
      continue
    }
    const p = v.plan
    lines.push(
      `${v.vault}: ${p.listed} object(s); would fetch ${p.fetch}, reuse ${p.unchanged} unchanged, record ${p.deleted} soft-deleted; ${p.dropped} gone since the previous snapshot${p.previousSnapshot ? ` (${p.previousSnapshot.slice(0, 8)})` : ' (no previous snapshot)'}`,
    )
    for (const [kind, k] of Object.entries(p.byKind)) lines.push(`  ${kind}: fetch ${k.fetch}, unchanged ${k.unchanged}, soft-deleted ${k.deleted}`)
  }
  return lines.join('\n')
}
