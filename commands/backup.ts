/** `kvdr backup`: back up whole vaults (every object, version, policy) into the repository, incrementally. */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../src/cli/base.js'
import { repoFlags } from '../src/cli/flags.js'
import { withRepository } from '../src/cli/open.js'
import { budgetFlags, networkFlags } from '../src/cli/vault-flags.js'
import { planBackup, runBackup } from '../src/backup/backup.js'
import { backupOptionsFrom } from '../src/backup/options.js'
import { printProgress, ProgressTracker } from '../src/backup/progress.js'
import { backupReport, dryRunReport } from '../src/backup/report.js'
import { systemClock } from '../src/core/clock.js'

export default class Backup extends KvdrCommand {
  static override summary = 'Back up Key Vault vaults into the repository.'
  static override description =
    'Each vault becomes one snapshot: every secret, key and certificate with all versions, policies, issuers and contacts, native backups and values (docs/backup.md). Only objects changed since the vault\'s previous snapshot are fetched; --full reads everything. Exit 0 success, 3 some objects failed, 1 nothing useful done, 20/21/22 when every vault failed to authenticate, was forbidden or unreachable.'
  static override examples = ['<%= config.bin %> backup --vault https://prod-kv.vault.azure.net --subscription <id> --repo azblob://acct/backups', '<%= config.bin %> backup --vault-file vaults.yaml --tag nightly --json']
  static override flags = {
    ...repoFlags,
    vault: Flags.string({ multiple: true, description: 'Vault URL (repeatable).' }),
    'vault-file': Flags.string({ description: 'YAML or JSON file listing vaults: url, subscription, tags.' }),
    subscription: Flags.string({ description: 'Subscription id of the --vault vaults (recorded; native backups restore only within it). Unknown if not given.' }),
    tag: Flags.string({ multiple: true, description: 'Tag for the snapshots (repeatable).' }),
    description: Flags.string({ description: 'Free text stored with the snapshots.' }),
    full: Flags.boolean({ default: false, description: 'Read every object, not only those whose listing changed (run one periodically).' }),
    'dry-run': Flags.boolean({ default: false, description: 'List and compare only: show what would be fetched; write nothing.' }),
    capture: Flags.string({ options: ['both', 'native', 'value'], default: 'both', description: 'native: Key Vault backups (same subscription and geography); value: values (restorable anywhere).' }),
    kind: Flags.string({ multiple: true, options: ['secret', 'key', 'certificate'], description: 'Only these object kinds (repeatable; default all).' }),
    ...networkFlags,
    ...budgetFlags,
    deadline: Flags.string({ description: 'Stop reading after this long (e.g. 90min, 2h); unread objects keep their previous capture.', helpGroup: 'BUDGET' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Backup)
    const options = await backupOptionsFrom(flags)
    const tracker = new ProgressTracker(systemClock)
    const stop = this.jsonEnabled() || options.dryRun ? () => {} : printProgress(tracker, process.stderr)
    const ctx = this.repoContext
    try {
      if (options.dryRun) {
        const plan = await withRepository(flags, ctx, (repo) => planBackup(repo, { ...options, toolVersion: ctx.toolVersion }))
        this.output(plan, dryRunReport, plan.exitCode)
        return
      }
      const result = await withRepository(flags, ctx, (repo) => runBackup(repo, { ...options, progress: tracker, toolVersion: ctx.toolVersion }))
      stop()
      this.warnAll(result.warnings)
      this.output(result, backupReport, result.exitCode)
    } finally {
      stop()
    }
  }
}
