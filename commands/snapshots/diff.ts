/** `kvdr snapshots diff`: objects added, removed and changed between two snapshots. */
import { Args } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { readerFlags } from '../../src/cli/flags.js'
import { withReader } from '../../src/cli/open.js'
import { diffSnapshots } from '../../src/repo/diff.js'

export default class SnapshotsDiff extends KvdrCommand {
  static override summary = 'Compare two snapshots.'
  static override description = 'Objects are matched by kind and name; "changed" says whether the stored values (contents) or the metadata differ.'
  static override args = {
    from: Args.string({ description: 'Older snapshot (id, prefix or "latest").', required: true }),
    to: Args.string({ description: 'Newer snapshot (id, prefix or "latest").', required: true }),
  }
  static override flags = { ...readerFlags }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotsDiff)
    const result = await withReader(flags, this.repoContext, (repo) =>
      repo.withLock('shared', 'snapshots diff', async () => diffSnapshots(repo, await repo.resolveSnapshot(args.from), await repo.resolveSnapshot(args.to))),
    )
    this.output(result, (r) =>
      [
        `Comparing ${r.from.slice(0, 8)} -> ${r.to.slice(0, 8)}:`,
        ...r.added.map((e) => `+ ${e.kind}/${e.name}`),
        ...r.removed.map((e) => `- ${e.kind}/${e.name}`),
        ...r.changed.map((e) => `M ${e.kind}/${e.name} (${[e.contents && 'value', e.metadata && 'metadata'].filter(Boolean).join(', ')})`),
        `${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed, ${r.unchanged} unchanged.`,
      ].join('\n'),
    )
  }
}
