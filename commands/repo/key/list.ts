/** `kvdr repo key list`: show the repository's key slots (never any key material). */
import { KvdrCommand } from '../../../src/cli/base.js'
import { readerFlags } from '../../../src/cli/flags.js'
import { withReader } from '../../../src/cli/open.js'
import { problemLines } from '../../../src/cli/render.js'
import { formatTime, renderTable } from '../../../src/cli/table.js'
import { ExitCode } from '../../../src/core/errors.js'
import { type ListedSlot, listKeySlots } from '../../../src/repo/key-admin.js'

export default class RepoKeyList extends KvdrCommand {
  static override summary = 'List key slots.'
  static override flags = { ...readerFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(RepoKeyList)
    const result = await withReader(flags, this.repoContext, (repo) => listKeySlots(repo))
    const bad = result.unusable.length + result.slots.filter((s) => !s.valid).length
    this.output(
      result,
      (r) =>
        [
          renderTable(
            [
              { header: ' ', get: (s: ListedSlot) => (s.current ? '*' : '') },
              { header: 'ID', get: (s) => s.id },
              { header: 'Type', get: (s) => s.type },
              { header: 'Label', get: (s) => s.label },
              { header: 'Created (UTC)', get: (s) => formatTime(s.created) },
              { header: 'Key Vault key', get: (s) => s.keyId ?? '' },
              { header: 'Valid', get: (s) => (s.valid ? 'yes' : 'ALTERED') },
            ],
            r.slots,
          ),
          ...problemLines('Unusable key slot blobs:', r.unusable),
        ].join('\n'),
      bad ? ExitCode.Integrity : ExitCode.Success,
    )
  }
}
