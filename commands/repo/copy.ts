/** `kvdr repo copy --to`: replicate snapshots into a second repository without decrypting contents. */
import { Args, Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { repoFlags } from '../../src/cli/flags.js'
import { openLocation } from '../../src/cli/location.js'
import { withRepository } from '../../src/cli/open.js'
import { problemLines } from '../../src/cli/render.js'
import { formatBytes, plural } from '../../src/cli/table.js'
import { ExitCode } from '../../src/core/errors.js'
import { copyRepository } from '../../src/repo/copy.js'

export default class RepoCopy extends KvdrCommand {
  static override summary = 'Copy snapshots to a replica repository (another account or region).'
  static override description = 'Copies sealed blobs as they are; contents are never decrypted. An empty target becomes a replica (same repository id and key slots); a different repository is refused. Snapshots already in the target are skipped.'
  static override examples = ['<%= config.bin %> repo copy --to azblob://drbackupacct/kvdr', '<%= config.bin %> repo copy --to azblob://drbackupacct/kvdr latest']
  static override strict = false
  static override args = { snapshots: Args.string({ description: 'Snapshots to copy (ids, prefixes or "latest"); default all.' }) }
  static override flags = {
    ...repoFlags,
    to: Flags.string({ description: 'The target repository location.', required: true, env: 'KVDR_COPY_TO' }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(RepoCopy)
    const target = await openLocation(flags.to)
    try {
      const result = await withRepository(flags, { toolVersion: this.config.version }, (repo) => copyRepository(repo, target, { snapshots: argv as string[] }))
      this.warnAll(result.warnings)
      this.output(
        result,
        (r) =>
          [
            ...(r.initialized ? [`Initialised ${r.target} as a replica.`] : []),
            `Copied ${plural(r.snapshots.copied.length, 'snapshot')} to ${r.target}; ${r.snapshots.skipped.length} already there.`,
            `Copied ${plural(r.contents.copied, 'content')} (${formatBytes(r.contents.bytes)}); ${r.contents.skipped} already there.`,
            ...problemLines('Not copied (unreadable in the source):', r.problems),
          ].join('\n'),
        result.problems.length ? ExitCode.Integrity : ExitCode.Success,
      )
    } finally {
      await target.store.close()
    }
  }
}
