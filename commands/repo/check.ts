/** `kvdr repo check`: verify the repository's structure, references and MACs, and optionally its data. */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { readerFlags } from '../../src/cli/flags.js'
import { withReader, withRepository } from '../../src/cli/open.js'
import { problemLines } from '../../src/cli/render.js'
import { formatBytes, plural } from '../../src/cli/table.js'
import { ExitCode, UsageError } from '../../src/core/errors.js'
import { type CheckOptions, checkRepository } from '../../src/repo/check.js'

export default class RepoCheck extends KvdrCommand {
  static override summary = 'Check the repository for damage and tampering.'
  static override description = 'Verifies key slots, the config, every snapshot manifest and entry page, and that every referenced content exists. --read-data also decrypts contents and re-derives their ids. Reports every problem and exits 13 when there is any. Opens the repository read-only, except with --repair, which removes temporary files that crashed writers left in a local repository (older than an hour).'
  static override examples = ['<%= config.bin %> repo check --read-data-subset 10%', '<%= config.bin %> repo check --repair']
  static override flags = {
    ...readerFlags,
    'read-data': Flags.boolean({ description: 'Decrypt and verify every content.', exclusive: ['read-data-subset'] }),
    repair: Flags.boolean({ description: 'Remove temporary files left by crashed writers (needs write access and a lock).', exclusive: ['no-lock'] }),
    'read-data-subset': Flags.string({ description: 'Decrypt and verify a random share of the contents, e.g. 10%.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(RepoCheck)
    const options: CheckOptions = flags['read-data'] ? { readData: 'all' } : {}
    const subset = flags['read-data-subset']
    if (subset !== undefined) {
      const m = /^(\d+(?:\.\d+)?)%$/.exec(subset)
      if (!m || Number(m[1]) <= 0 || Number(m[1]) > 100) throw new UsageError(`--read-data-subset must be a percentage such as 10%, not "${subset}".`)
      options.readData = { percent: Number(m[1]) }
    }
    const open = flags.repair ? withRepository : withReader
    const result = await open(flags, this.repoContext, (repo, location) => checkRepository(repo, { ...options, ...(location.leftovers ? { leftovers: location.leftovers } : {}), repair: flags.repair }))
    this.warnAll(result.warnings)
    const s = result.stats
    this.output(
      result,
      (r) =>
        [
          `Checked ${plural(s.keySlots, 'key slot')}, ${plural(s.snapshots, 'snapshot')}, ${plural(s.pages, 'entry page')} (${plural(s.entries, 'entry')}), ${plural(s.contentsReferenced, 'referenced content')}.`,
          ...(s.contentsRead ? [`Read and verified ${plural(s.contentsRead, 'content')} (${formatBytes(s.bytesRead)}).`] : []),
          ...(s.contentsUnreferenced ? [`${plural(s.contentsUnreferenced, 'unreferenced content')} (removed by \`kvdr repo prune\`).`] : []),
          ...(r.leftovers.removed ? [`Removed ${plural(r.leftovers.removed, 'temporary file')} left by interrupted writers.`] : []),
          ...problemLines(`${plural(r.problems.length, 'problem')} found:`, r.problems),
          ...(r.ok ? ['No problems found.'] : []),
        ].join('\n'),
      result.ok ? ExitCode.Success : ExitCode.Integrity,
    )
  }
}
