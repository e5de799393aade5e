/**
 * A backup-like writer in its own process, for the crash and concurrent-writer tests. Arguments (JSON in
 * argv[2]): { dir, names, generation, hold }. Saves one content per name (4 at a time), printing `saved <n>`
 * after each; then, unless `hold`, writes the snapshot and prints `snapshot <id> <created> <reused>`. With
 * `hold` it waits forever before the commit (the parent kills it).
 */
import { MemoryLocker } from '../../../src/cli/location.js'
import { openRepository } from '../../../src/repo/repository.js'
import { mapLimit } from '../../../src/repo/concurrency.js'
import type { ContentId, Entry } from '../../../src/repo/types.js'
import { TestDirStore } from './fs-store.js'
import { emptySummary, PASSPHRASE, valueOf, VAULT } from './data.js'

const args = JSON.parse(process.argv[2] as string) as { dir: string; names: string[]; generation: number; hold: boolean }
const repo = await openRepository(new TestDirStore(args.dir), { passphrase: PASSPHRASE }, { locker: new MemoryLocker(), toolVersion: 'child' })
await repo.withWriter('backup (child)', async (w) => {
  let saved = 0
  const refs = await mapLimit(args.names, 4, async (name) => {
    const id = await w.saveContent('secret-value', new TextEncoder().encode(valueOf(name, args.generation)))
    process.stdout.write(`saved ${++saved}\n`)
    return id
  })
  if (args.hold) await new Promise(() => {})
  const entries: Entry[] = args.names.map((name, i) => ({ kind: 'secret', name, refs: [refs[i] as ContentId], data: { generation: args.generation } }))
  const snap = await w.writeSnapshot({ vault: VAULT }, entries, emptySummary(entries.length))
  process.stdout.write(`snapshot ${snap.id} ${w.stats.contentsCreated} ${w.stats.contentsReused}\n`)
})
