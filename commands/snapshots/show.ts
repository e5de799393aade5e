/** `kvdr snapshots show`: one snapshot's details, problems and objects. */
import { Args, Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { readerFlags } from '../../src/cli/flags.js'
import { withReader } from '../../src/cli/open.js'
import { formatTime, renderTable } from '../../src/cli/table.js'
import type { Entry } from '../../src/repo/types.js'

export default class SnapshotsShow extends KvdrCommand {
  static override summary = 'Show a snapshot and the objects in it.'
  static override args = { snapshot: Args.string({ description: 'Snapshot id, unique prefix, or "latest".', required: true }) }
  static override flags = {
    ...readerFlags,
    vault: Flags.string({ description: 'With "latest": the latest snapshot of this vault URL.' }),
    'no-entries': Flags.boolean({ description: 'Show only the snapshot, not its objects.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotsShow)
    const { snapshot, entries } = await withReader(flags, this.repoContext, (repo) =>
      repo.withLock('shared', 'snapshots show', async () => {
        const snapshot = await repo.resolveSnapshot(args.snapshot, flags.vault ? { vault: flags.vault } : {})
        const entries: Entry[] = []
        if (!flags['no-entries']) for await (const e of repo.entries(snapshot)) entries.push(e)
        return { snapshot, entries }
      }),
    )
    const { pages: _pages, ...shown } = snapshot
    this.output({ snapshot: shown, ...(flags['no-entries'] ? {} : { entries }) }, () => {
      const s = snapshot
      const lines = [
        `Snapshot ${s.id}`,
        `  time      ${formatTime(s.time)} UTC (sequence ${s.seq}${s.parent ? `, parent ${s.parent.slice(0, 8)}` : ''})`,
        `  vault     ${s.vault.url}${s.vault.region ? ` (${s.vault.region})` : ''}`,
        `  tags      ${s.tags.join(', ') || '-'}`,
        `  tool      ${s.tool.name} ${s.tool.version}`,
        `  objects   ${s.entryCount} (done ${s.summary.done}, warnings ${s.summary.warnings}, errors ${s.summary.errors})`,
        ...s.summary.problems.map((p) => `  ${p.severity.padEnd(8)}${p.kind}/${p.name}: ${p.message}`),
      ]
      if (!flags['no-entries'] && entries.length) {
        lines.push('', renderTable([{ header: 'Kind', get: (e: Entry) => e.kind }, { header: 'Name', get: (e) => e.name }, { header: 'Contents', get: (e) => String(e.refs.length), align: 'right' }], entries))
      }
      return lines.join('\n')
    })
  }
}
