/** `kvdr repo unlock`: remove stale locks left by processes that died. */
import { Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { locationFlags } from '../../src/cli/flags.js'
import { openRepoLocation } from '../../src/cli/location.js'
import { formatTime, plural, renderTable } from '../../src/cli/table.js'
import { unlockRepository } from '../../src/repo/locks.js'

export default class RepoUnlock extends KvdrCommand {
  static override summary = 'Remove stale repository locks.'
  static override description = 'Removes locks whose holder died or stopped refreshing. --all removes every lock: only do that when no kvdr process is using the repository. Needs no repository key.'
  static override flags = {
    ...locationFlags,
    all: Flags.boolean({ description: 'Remove every lock, not only stale ones.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(RepoUnlock)
    const location = await openRepoLocation(flags.repo, { blobEndpoint: flags['blob-endpoint'] })
    try {
      const result = await unlockRepository(location.store, location.locker, { all: flags.all })
      this.output(result, (r) => {
        const table = renderTable(
          [
            { header: 'Mode', get: (l: (typeof r.remaining)[number]) => l.mode },
            { header: 'Command', get: (l) => l.command },
            { header: 'Host', get: (l) => `${l.host} (pid ${l.pid})` },
            { header: 'Since (UTC)', get: (l) => formatTime(l.acquiredAt) },
            { header: 'Stale', get: (l) => (l.stale ? 'yes' : 'no') },
          ],
          r.remaining,
        )
        return [`Removed ${plural(r.removed, 'lock')}.`, ...(table ? ['Locks still held:', table] : [])].join('\n')
      })
    } finally {
      await location.store.close()
    }
  }
}
