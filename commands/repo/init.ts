/** `kvdr repo init`: create an encrypted repository with a passphrase slot (and optionally an offline recovery key). */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { locationFlags, repoFlags } from '../../src/cli/flags.js'
import { openRepoLocation, type RepoLocation } from '../../src/cli/location.js'
import { clientCache } from '../../src/cli/open.js'
import { readPassphrase, reserveRecoveryKeyFile } from '../../src/cli/secrets.js'
import { UsageError } from '../../src/core/errors.js'
import { initRepository } from '../../src/repo/repository.js'

export default class RepoInit extends KvdrCommand {
  static override summary = 'Create an encrypted kvdr repository.'
  static override description = 'Creates the directory or container when missing. The passphrase comes from --password-file, $KVDR_PASSWORD or a prompt (never a flag value). With --write-recovery-key, an offline recovery key is generated, written to that file (mode 0600) and printed once: keep it in a safe.'
  static override examples = ['KVDR_PASSWORD=... <%= config.bin %> repo init --repo azblob://backupacct/kvdr --write-recovery-key ./kvdr-recovery.txt']
  static override flags = {
    ...locationFlags,
    'password-file': repoFlags['password-file'],
    'write-recovery-key': Flags.string({ description: 'Also create an offline recovery key and write it to this new file.' }),
    'kdf-cost': Flags.integer({ description: 'log2 of the scrypt cost N for passphrase slots.', default: 17, min: 10, max: 22, hidden: true }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(RepoInit)
    const passphrase = await readPassphrase({ envVar: 'KVDR_PASSWORD', prompt: 'New repository passphrase', confirm: true, ...(flags['password-file'] ? { file: flags['password-file'] } : {}) })
    if (passphrase === undefined) {
      throw new UsageError('A new repository needs a passphrase.', { hint: 'Set KVDR_PASSWORD, pass --password-file <file>, or run in a terminal to be prompted.' })
    }
    const file = flags['write-recovery-key'] ? await reserveRecoveryKeyFile(flags['write-recovery-key']) : undefined
    let location: RepoLocation | undefined
    try {
      location = await openRepoLocation(flags.repo, { create: true, blobEndpoint: flags['blob-endpoint'] })
      const kdf = { N: 2 ** flags['kdf-cost'], r: 8, p: 1 }
      const { repo, slots } = await initRepository(location.store, {
        locker: location.locker,
        cache: clientCache(),
        toolVersion: this.config.version,
        kdf,
        slots: [{ type: 'passphrase', passphrase, kdf }, ...(file ? [{ type: 'recovery' as const }] : [])],
      })
      const recovery = slots.find((s) => s.recoveryKey)
      const printed = file && recovery?.recoveryKey
        ? await file.write(recovery.recoveryKey, { repositoryId: repo.repositoryId, slotId: recovery.info.id, location: repo.location, created: recovery.info.created })
        : undefined
      const data = { repositoryId: repo.repositoryId, location: repo.location, slots: slots.map((s) => s.info), ...(file ? { recoveryKeyFile: file.path } : {}) }
      this.output(data, (d) =>
        [
          `Created repository ${d.repositoryId} at ${d.location}.`,
          ...d.slots.map((s) => `  key slot ${s.id} (${s.type})`),
          ...(printed ? ['', 'Offline recovery key (shown once; also written to ' + file?.path + '):', '', `  ${printed}`, '', 'Print it and keep it in a safe. Anyone holding it can read every backup.'] : []),
        ].join('\n'),
      )
    } finally {
      await file?.discard()
      await location?.store.close()
    }
  }
}
