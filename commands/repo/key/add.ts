/** `kvdr repo key add`: add a key slot (another passphrase, an offline recovery key, or a Key Vault key). */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../../../src/cli/base.js'
import { repoFlags } from '../../../src/cli/flags.js'
import { requireKeyWrapperFactory } from '../../../src/cli/kek.js'
import { withRepository } from '../../../src/cli/open.js'
import { readPassphrase, reserveRecoveryKeyFile } from '../../../src/cli/secrets.js'
import { UsageError } from '../../../src/core/errors.js'
import { addKeySlot } from '../../../src/repo/key-admin.js'
import type { NewSlot } from '../../../src/repo/keyslots.js'
import type { ScryptParams } from '../../../src/crypto/kdf.js'

export default class RepoKeyAdd extends KvdrCommand {
  static override summary = 'Add a key slot.'
  static override description = 'A new passphrase comes from --new-password-file, $KVDR_NEW_PASSWORD or a prompt. A recovery key is written to --write-recovery-key (mode 0600) and printed once. A Key Vault key (--key-id, versioned) wraps the repository key with RSA-OAEP-256; rotate it with --replace <old slot>, which re-wraps only.'
  static override examples = ['<%= config.bin %> repo key add --type recovery --write-recovery-key ./kvdr-recovery-2.txt']
  static override flags = {
    ...repoFlags,
    type: Flags.string({ options: ['passphrase', 'recovery', 'kek'], default: 'passphrase', description: 'Kind of key slot.' }),
    label: Flags.string({ description: 'A note shown by `repo key list` (who holds this key).' }),
    'new-password-file': Flags.string({ description: 'Read the new passphrase from this file.' }),
    'write-recovery-key': Flags.string({ description: 'New file to write the recovery key to (for --type recovery).' }),
    'key-id': Flags.string({ description: 'Versioned Key Vault key id (for --type kek).' }),
    replace: Flags.string({ description: 'Remove this slot after adding the new one (key rotation).' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(RepoKeyAdd)
    const label = flags.label === undefined ? {} : { label: flags.label }
    let spec: (kdf: ScryptParams) => NewSlot
    if (flags.type === 'recovery' && !flags['write-recovery-key']) throw new UsageError('--type recovery needs --write-recovery-key <new file>.')
    if (flags.type === 'kek') {
      if (!flags['key-id']) throw new UsageError('--type kek needs --key-id https://<vault>.vault.azure.net/keys/<name>/<version>.')
      const wrapper = requireKeyWrapperFactory()(flags['key-id'])
      spec = () => ({ type: 'kek', wrapper, ...label })
    } else if (flags.type === 'recovery') spec = () => ({ type: 'recovery', ...label })
    else {
      const passphrase = await readPassphrase({ envVar: 'KVDR_NEW_PASSWORD', prompt: 'New passphrase', confirm: true, ...(flags['new-password-file'] ? { file: flags['new-password-file'] } : {}) })
      if (passphrase === undefined) throw new UsageError('No new passphrase was given.', { hint: 'Pass --new-password-file <file>, set KVDR_NEW_PASSWORD, or run in a terminal to be prompted.' })
      spec = (kdf) => ({ type: 'passphrase', passphrase, kdf, ...label })
    }
    const file = flags['write-recovery-key'] && flags.type === 'recovery' ? await reserveRecoveryKeyFile(flags['write-recovery-key']) : undefined
    try {
      const result = await withRepository(flags, this.repoContext, async (repo) => {
        const { added, removed } = await addKeySlot(repo, spec(repo.config.kdf), flags.replace === undefined ? {} : { replace: flags.replace })
        const printed = file && added.recoveryKey ? await file.write(added.recoveryKey, { repositoryId: repo.repositoryId, slotId: added.info.id, location: repo.location, created: added.info.created }) : undefined
        return { data: { added: added.info, ...(removed ? { removed } : {}), ...(file ? { recoveryKeyFile: file.path } : {}) }, printed }
      })
      this.output(result.data, (d) =>
        [
          `Added key slot ${d.added.id} (${d.added.type}${d.added.keyId ? `, ${d.added.keyId}` : ''}).`,
          ...(d.removed ? [`Removed key slot ${d.removed}.`] : []),
          ...(result.printed ? ['', `Offline recovery key (shown once; also written to ${d.recoveryKeyFile}):`, '', `  ${result.printed}`, '', 'Print it and keep it in a safe.'] : []),
        ].join('\n'),
      )
    } finally {
      await file?.discard()
    }
  }
}
