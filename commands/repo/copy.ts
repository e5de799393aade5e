/** `kvdr repo copy --to`: replicate snapshots into a second repository without decrypting contents. */
import { Args, Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { readerFlags } from '../../src/cli/flags.js'
import { copyTargetEnv, openRepoLocation } from '../../src/cli/location.js'
import { withReader } from '../../src/cli/open.js'
import { problemLines } from '../../src/cli/render.js'
import { formatBytes, plural } from '../../src/cli/table.js'
import { ExitCode } from '../../src/core/errors.js'
import { copyRepository } from '../../src/repo/copy.js'

export default class RepoCopy extends KvdrCommand {
  static override summary = 'Copy snapshots to a replica repository (another account or region).'
  static override description = 'Copies sealed blobs as they are; contents are never decrypted. An empty target becomes a replica (same repository id and key slots); a different repository is refused. Snapshots already in the target are skipped. The source is opened read-only. The target uses the same Azure credentials as the source unless KVDR_COPY_TO_CONNECTION_STRING or KVDR_COPY_TO_SAS_TOKEN is set.'
  static override examples = ['<%= config.bin %> repo copy --to azblob://drbackupacct/kvdr', '<%= config.bin %> repo copy --to azblob://drbackupacct/kvdr latest']
  static override strict = false
  static override args = { snapshots: Args.string({ description: 'Snapshots to copy (ids, prefixes or "latest"); default all.' }) }
  static override flags = {
    ...readerFlags,
    to: Flags.string({ description: 'The target repository location (created when missing).', required: true, env: 'KVDR_COPY_TO' }),
    'to-blob-endpoint': Flags.string({ description: 'Blob service endpoint of an azblob:// target (see --blob-endpoint).' }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(RepoCopy)
    const result = await withReader(flags, this.repoContext, async (repo) => {
      const target = await openRepoLocation(flags.to, { create: true, blobEndpoint: flags['to-blob-endpoint'], env: copyTargetEnv() })
      try {
        return await copyRepository(repo, target, { snapshots: argv as string[] })
      } finally {
        await target.store.close()
      }
    })
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
  }
}
