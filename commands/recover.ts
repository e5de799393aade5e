/** `kvdr recover`: list a vault's soft-deleted objects, recover them, or purge them behind a typed confirmation. */
import { Args, Flags } from '@oclif/core'
import { KvdrCommand } from '../src/cli/base.js'
import { networkFlags } from '../src/cli/vault-flags.js'
import { typedConfirmation } from '../src/recover/confirm.js'
import { recoverOptionsFrom } from '../src/recover/options.js'
import { runRecover, withVaultConnection } from '../src/recover/recover.js'
import { recoverReport } from '../src/recover/report.js'

export default class Recover extends KvdrCommand {
  static override summary = 'List, recover or purge soft-deleted secrets, keys and certificates of a vault.'
  static override description =
    'Without objects: lists what is soft-deleted, with deletion and purge dates and days left. With objects (kind/name, a name with --kind, a glob) or --all: recovers them and waits until each is usable; a certificate brings back its key and secret. --purge deletes them for good after you type the vault name (--yes without a terminal); always refused under purge protection. Exit 0 done, 3 partial, 1 nothing done, 23 purge refused, 20/21/22 vault failures (docs/recover.md).'
  static override examples = [
    '<%= config.bin %> recover --vault https://prod-kv.vault.azure.net',
    '<%= config.bin %> recover --vault https://prod-kv.vault.azure.net secret/db-password \'app-*\' --kind secret',
    '<%= config.bin %> recover --vault https://prod-kv.vault.azure.net --all --dry-run',
    '<%= config.bin %> recover --vault https://prod-kv.vault.azure.net --purge secret/old-token --yes',
  ]
  static override strict = false
  static override args = { objects: Args.string({ description: 'Objects: secret/name, key/name, certificate/name, a name with --kind, or a glob (quote it).' }) }
  static override flags = {
    vault: Flags.string({ description: 'Vault URL.', required: true }),
    kind: Flags.string({ multiple: true, multipleNonGreedy: true, options: ['secret', 'key', 'certificate'], description: 'Only these object kinds (repeatable; default all).' }),
    all: Flags.boolean({ default: false, description: 'Every soft-deleted object (of --kind).' }),
    purge: Flags.boolean({ default: false, description: 'Purge (delete for good) instead of recovering. Needs a typed confirmation or --yes.' }),
    yes: Flags.boolean({ default: false, description: 'Confirm --purge without a prompt (scripts).' }),
    'dry-run': Flags.boolean({ default: false, description: 'Show what would be done; change nothing.' }),
    timeout: Flags.integer({ min: 1, default: 120, description: 'Seconds to wait for each object to become usable (or purged).' }),
    ...networkFlags,
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Recover)
    const o = recoverOptionsFrom(flags, argv as string[])
    const result = await withVaultConnection(o.url, { transport: o.transport, toolVersion: this.config.version }, (conn) =>
      runRecover(conn, { selection: o.selection, purge: flags.purge, dryRun: flags['dry-run'], confirm: typedConfirmation({ yes: flags.yes }), timeoutMs: flags.timeout * 1000 }),
    )
    this.output(result, recoverReport, result.exitCode)
  }
}
