/** `kvdr snapshots forget`: remove snapshots by retention policy (per vault) or by id. */
import { Args, Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { durationFlag, keepCount, repoFlags } from '../../src/cli/flags.js'
import { withRepository } from '../../src/cli/open.js'
import { forgetLines } from '../../src/cli/render.js'
import { ExitCode } from '../../src/core/errors.js'
import { forgetSnapshots } from '../../src/repo/forget.js'

const count = (description: string) => Flags.string({ description: `${description} ("unlimited" for all).` })

export default class SnapshotsForget extends KvdrCommand {
  static override summary = 'Forget snapshots by policy or id (then run `kvdr repo prune`).'
  static override description = 'restic semantics: snapshots are grouped per vault, each --keep-* rule keeps the newest snapshot of each of the last n hours/days/weeks/months/years (UTC) that have one, and a snapshot is kept if any rule keeps it. Refuses an empty policy and a policy that would remove every snapshot of a vault. Takes an exclusive lock.'
  static override examples = ['<%= config.bin %> snapshots forget --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run']
  static override strict = false
  static override args = { snapshots: Args.string({ description: 'Snapshots to forget regardless of policy (ids or prefixes).' }) }
  static override flags = {
    ...repoFlags,
    'keep-last': count('Keep the n most recent snapshots'),
    'keep-hourly': count('Keep the newest snapshot of each of the last n hours'),
    'keep-daily': count('Keep the newest snapshot of each of the last n days'),
    'keep-weekly': count('Keep the newest snapshot of each of the last n ISO weeks'),
    'keep-monthly': count('Keep the newest snapshot of each of the last n months'),
    'keep-yearly': count('Keep the newest snapshot of each of the last n years'),
    'keep-within': Flags.string({ description: 'Keep snapshots newer than this duration before the newest one (e.g. 30d, 1y6m).' }),
    'keep-tag': Flags.string({ description: 'Keep snapshots with all these comma-separated tags (repeatable).', multiple: true }),
    vault: Flags.string({ description: 'Only consider snapshots of this vault URL.' }),
    'dry-run': Flags.boolean({ description: 'Show what would be forgotten; change nothing.' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SnapshotsForget)
    const n = (k: 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly') => keepCount(`keep-${k}`, flags[`keep-${k}`])
    const policy = {
      last: n('last'), hourly: n('hourly'), daily: n('daily'), weekly: n('weekly'), monthly: n('monthly'), yearly: n('yearly'),
      ...(flags['keep-within'] ? { within: durationFlag('keep-within', flags['keep-within']) } : {}),
      ...(flags['keep-tag'] ? { tags: flags['keep-tag'].map((t) => t.split(',').filter(Boolean)) } : {}),
    }
    const result = await withRepository(flags, this.repoContext, (repo) =>
      forgetSnapshots(repo, { policy, ids: argv as string[], dryRun: flags['dry-run'], ...(flags.vault ? { vault: flags.vault } : {}) }),
    )
    this.warnAll(result.warnings)
    this.output(result, (r) => forgetLines(r).join('\n'), result.refused.length ? ExitCode.Partial : result.problems.length ? ExitCode.Integrity : ExitCode.Success)
  }
}
