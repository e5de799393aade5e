/**
 * A backup-like writer in its own process, for the crash and concurrent-writer tests. It opens the
 * repository the way kvdr does (src/cli/location.ts: FsStore + FsLocker, or AzureBlobStore + AzureLocker)
 * and holds a real shared lock while it writes. Arguments (JSON in argv[2]): { location, names, generation,
 * pause }; Azure credentials come from the environment. Saves one content per name (4 at a time), printing
 * `saved <n>` after each; then, with `pause`, prints `ready` and waits for a line `commit` on stdin (forever
 * if none comes: the parent kills it); then writes the snapshot and prints `snapshot <id> <created> <reused>`.
 */
import { createInterface } from 'node:readline'
import { openRepoLocation } from '../../../src/cli/location.js'
import { mapLimit } from '../../../src/repo/concurrency.js'
import { openRepository } from '../../../src/repo/repository.js'
import type { ContentId, Entry } from '../../../src/repo/types.js'
import { emptySummary, PASSPHRASE, valueOf, VAULT } from './data.js'

const args = JSON.parse(process.argv[2] as string) as { location: string; names: string[]; generation: number; pause: boolean }
const { store, locker } = await openRepoLocation(args.location)
const repo = await openRepository(store, { passphrase: PASSPHRASE }, { locker, toolVersion: 'child' })
await repo.withWriter('backup (child)', async (w) => {
  let saved = 0
  const refs = await mapLimit(args.names, 4, async (name) => {
    const id = await w.saveContent('secret-value', new TextEncoder().encode(valueOf(name, args.generation)))
    process.stdout.write(`saved ${++saved}\n`)
    return id
  })
  if (args.pause) {
    process.stdout.write('ready\n')
    for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'commit') break
  }
  const entries: Entry[] = args.names.map((name, i) => ({ kind: 'secret', name, refs: [refs[i] as ContentId], data: { generation: args.generation } }))
  const snap = await w.writeSnapshot({ vault: VAULT }, entries, emptySummary(entries.length))
  process.stdout.write(`snapshot ${snap.id} ${w.stats.contentsCreated} ${w.stats.contentsReused}\n`)
})
await store.close()
