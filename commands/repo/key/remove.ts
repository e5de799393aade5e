/** `kvdr repo key remove`: delete a key slot (never the last one). */
import { Args } from '@oclif/core'
import { KvdrCommand } from '../../../src/cli/base.js'
import { repoFlags } from '../../../src/cli/flags.js'
import { withRepository } from '../../../src/cli/open.js'
import { removeKeySlot } from '../../../src/repo/key-admin.js'

export default class RepoKeyRemove extends KvdrCommand {
  static override summary = 'Remove a key slot.'
  static override description = 'Whoever holds only that key can no longer open the repository. The last key slot cannot be removed.'
  static override args = { slot: Args.string({ description: 'Slot id (or a unique prefix), from `repo key list`.', required: true }) }
  static override flags = { ...repoFlags }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RepoKeyRemove)
    const removed = await withRepository(flags, this.repoContext, (repo) => removeKeySlot(repo, args.slot))
    this.output({ removed }, (d) => `Removed key slot ${d.removed.id} (${d.removed.type}, ${d.removed.label}).`)
  }
}
