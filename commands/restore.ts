/** `kvdr restore`: plan, then bring back objects from a snapshot into a vault (same vault, DR vault, anywhere values can go). */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../src/cli/base.js'
import { readerFlags } from '../src/cli/flags.js'
import { withReader } from '../src/cli/open.js'
import { budgetFlags, networkFlags } from '../src/cli/vault-flags.js'
import { typedConfirmation } from '../src/recover/confirm.js'
import { restoreOptionsFrom } from '../src/restore/options.js'
import { restoreReport } from '../src/restore/report.js'
import { runRestore } from '../src/restore/restore.js'
import type { RestorePlan } from '../src/restore/types.js'

export default class Restore extends KvdrCommand {
  static override summary = 'Restore objects from a snapshot into a vault, after showing the plan.'
  static override description =
    'Every object gets one planned action with its reason - create, add versions, recover, skip (identical), conflict or impossible - before anything is written (--dry-run stops there). Native restore keeps version ids within the snapshot\'s subscription and geography; value restore recreates versions anywhere (docs/restore.md). Exit 0 done, 3 some objects failed or impossible, 1 nothing done, 23 purge refused.'
  static override examples = [
    '<%= config.bin %> restore --to https://prod-kv.vault.azure.net --dry-run',
    '<%= config.bin %> restore --from https://prod-kv.vault.azure.net --to https://dr-kv.vault.azure.net --to-subscription <id> --mode auto',
    '<%= config.bin %> restore --rollback secret/db-password --as-of 2026-03-01T12:00:00Z --to https://prod-kv.vault.azure.net',
  ]
  static override flags = {
    ...readerFlags,
    to: Flags.string({ description: 'Vault URL to restore into.' }),
    from: Flags.string({ description: 'Vault URL whose snapshots to use (default: the target\'s, else the repository\'s only vault).' }),
    'vault-file': Flags.string({ description: 'YAML or JSON vault file (as for kvdr backup): the target\'s subscription when --to-subscription is not given.' }),
    'to-subscription': Flags.string({ description: 'Subscription id of the target (native blobs restore only within the snapshot\'s subscription and geography).' }),
    snapshot: Flags.string({ description: 'Snapshot id, unique prefix or "latest" (default).' }),
    'as-of': Flags.string({ description: 'Per object, the state current at this ISO 8601 time.' }),
    kind: Flags.string({ multiple: true, options: ['secret', 'key', 'certificate'], description: 'Only these kinds (repeatable).' }),
    name: Flags.string({ multiple: true, description: 'Only names matching this glob (* and ?; repeatable).' }),
    tag: Flags.string({ multiple: true, description: 'Only objects with this tag key=value (repeatable; all must match).' }),
    object: Flags.string({ multiple: true, description: 'One object (secret/name) or version (secret/name/<version>); repeatable.' }),
    rename: Flags.string({ multiple: true, description: 'Restore old under new: old=new (repeatable; value restore).' }),
    prefix: Flags.string({ description: 'Prefix every restored name (value restore).' }),
    rollback: Flags.string({ description: 'secret/<name>: make the value current at --as-of the newest version again.' }),
    mode: Flags.string({ options: ['auto', 'native', 'value'], default: 'auto', description: 'native: Key Vault backups (same world); value: recreate versions (anywhere); auto: native where allowed.' }),
    'on-conflict': Flags.string({ options: ['skip', 'fail', 'new-version'], default: 'skip', description: 'A live object that differs: leave it, stop before writing, or add the snapshot\'s versions.' }),
    'purge-deleted': Flags.boolean({ default: false, description: 'Purge soft-deleted objects that block a restore (asks you to type the vault name; never under purge protection).' }),
    yes: Flags.boolean({ default: false, description: 'Confirm --purge-deleted without asking.' }),
    'dry-run': Flags.boolean({ default: false, description: 'Show the plan; write nothing.' }),
    ...networkFlags,
    ...budgetFlags,
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Restore)
    const options = await restoreOptionsFrom(flags)
    // The same typed confirmation as `kvdr recover` (type the vault's name; --yes without a terminal).
    const confirm = typedConfirmation({ yes: flags.yes })
    const confirmPurge = async (plan: RestorePlan): Promise<boolean> => {
      const objects = plan.objects.filter((o) => o.purgeFirst).map((o) => `${o.kind}/${o.name}`)
      await confirm({ vault: plan.target.url, vaultName: new URL(plan.target.url).hostname.split('.')[0] ?? '', objects })
      return true
    }
    // Progress on stderr every 10 s while objects are written (not with --json).
    let total = 0
    let done = 0
    const timer = setInterval(() => total > 0 && !this.jsonEnabled() && process.stderr.write(`restore: ${done}/${total} objects\n`), 10_000)
    timer.unref()
    try {
      const result = await withReader(flags, this.repoContext, (repo) =>
        repo.withLock('shared', 'restore', () => runRestore(repo, { ...options, confirmPurge, toolVersion: this.config.version, onPlan: (p) => (total = p.objects.length), onOutcome: () => done++ })),
      )
      this.output(result, restoreReport, result.exitCode)
    } finally {
      clearInterval(timer)
    }
  }
}
