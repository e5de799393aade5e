/** `kvdr repo prune`: delete contents that no snapshot references any more. */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { durationFlag, durationMs, repoFlags } from '../../src/cli/flags.js'
import { withRepository } from '../../src/cli/open.js'
import { formatBytes, plural } from '../../src/cli/table.js'
import { ExitCode } from '../../src/core/errors.js'
import { pruneRepository } from '../../src/repo/prune.js'

export default class RepoPrune extends KvdrCommand {
  static override summary = 'Delete unreferenced contents (after `kvdr snapshots forget`).'
  static override description = 'Takes an exclusive lock. Keeps unreferenced contents younger than the safety margin, skips contents still under the storage immutability period given with --retention, and reports deletes the storage refuses. Deletes nothing if any snapshot cannot be read.'
  static override examples = ['<%= config.bin %> repo prune --dry-run', '<%= config.bin %> repo prune --retention 30d']
  static override flags = {
    ...repoFlags,
    'safety-margin': Flags.string({ description: 'Keep unreferenced contents younger than this (e.g. 12h, 2d).', default: '1d' }),
    retention: Flags.string({ description: 'The container\'s immutability (WORM) period, e.g. 30d: younger contents are skipped.' }),
    'dry-run': Flags.boolean({ description: 'Report what would be deleted; delete nothing.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(RepoPrune)
    const safetyMarginMs = durationMs(durationFlag('safety-margin', flags['safety-margin']))
    const retentionMs = flags.retention === undefined ? undefined : durationMs(durationFlag('retention', flags.retention))
    const result = await withRepository(flags, this.repoContext, (repo) =>
      pruneRepository(repo, { safetyMarginMs, dryRun: flags['dry-run'], ...(retentionMs === undefined ? {} : { retentionMs }) }),
    )
    this.warnAll(result.warnings)
    this.output(
      result,
      (r) =>
        [
          `${r.snapshots} snapshots reference ${r.contents.referenced} of ${r.contents.total} contents.`,
          `${r.dryRun ? 'Would delete' : 'Deleted'} ${plural(r.deleted.count, 'unreferenced content')} (${formatBytes(r.deleted.bytes)}).`,
          ...(r.keptTooRecent ? [`Kept ${r.keptTooRecent} younger than the safety margin.`] : []),
          ...(r.keptRetention ? [`Skipped ${r.keptRetention} still under the immutability period.`] : []),
          ...(r.refused.length ? [`The storage refused ${plural(r.refused.length, 'delete')}:`, ...r.refused.map((x) => `  ${x.blob}: ${x.message}`)] : []),
        ].join('\n'),
      result.refused.length ? ExitCode.Partial : ExitCode.Success,
    )
  }
}
