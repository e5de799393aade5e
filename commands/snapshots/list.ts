/** `kvdr snapshots list`: the repository's snapshots, oldest first. */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { readerFlags } from '../../src/cli/flags.js'
import { withReader } from '../../src/cli/open.js'
import { listItem, problemLines, snapshotTable } from '../../src/cli/render.js'
import { plural } from '../../src/cli/table.js'
import { ExitCode } from '../../src/core/errors.js'

export default class SnapshotsList extends KvdrCommand {
  static override summary = 'List snapshots.'
  static override description = 'Warns when snapshots this machine saw have disappeared without `snapshots forget` (a possible rollback). Exits 13 when a manifest cannot be read.'
  static override flags = {
    ...readerFlags,
    vault: Flags.string({ description: 'Only snapshots of this vault URL.' }),
    tag: Flags.string({ description: 'Only snapshots with this tag (repeatable: all must match).', multiple: true }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SnapshotsList)
    const listing = await withReader(flags, this.repoContext, (repo) => repo.withLock('shared', 'snapshots list', () => repo.listSnapshots()))
    const tags = flags.tag ?? []
    const shown = listing.snapshots.filter((s) => (!flags.vault || s.vault.url === flags.vault) && tags.every((t) => s.tags.includes(t)))
    this.warnAll(listing.warnings)
    this.output(
      { snapshots: shown.map(listItem), problems: listing.problems, warnings: listing.warnings },
      (d) => [snapshotTable(shown), `${plural(d.snapshots.length, 'snapshot')}.`, ...problemLines('Unreadable:', d.problems)].filter(Boolean).join('\n'),
      listing.problems.length ? ExitCode.Integrity : ExitCode.Success,
    )
  }
}
