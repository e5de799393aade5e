import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import { FaultyStore } from '../../src/store/faults.js'
import { FsStore } from '../../src/store/fs.js'
import { MemoryStore } from '../../src/store/memory.js'
import { RetryStore } from '../../src/store/retry.js'
import { WormStore } from '../../src/store/worm.js'
import { type StoreUnderTest, storeContract } from './contract.js'
import { InstantClock, seededRandom, tempDir } from './support.js'

storeContract('memory', async () => ({ store: new MemoryStore({ name: 'contract' }) }))

storeContract('fs (temp dir)', async () => {
  const tmp = await tempDir('contract-fs')
  return { store: await FsStore.open(`${tmp.dir}/repo`, { create: true }), cleanup: tmp.remove }
})

storeContract(
  'WORM wrapper over memory (1 day retention)',
  async () => {
    const clock = new ManualClock()
    return { store: new WormStore(new MemoryStore({ clock }), { retentionMs: 86_400_000, clock }) }
  },
  { deletes: 'refused' },
)

describe('fault injection underneath retry', () => {
  const faulty: FaultyStore[] = []
  const clocks: InstantClock[] = []
  /** retry(faults(inner)) with a seeded fault pattern and a clock whose backoff sleeps are instant. */
  const stack = (inner: () => Promise<StoreUnderTest>, seed: number, probability: number) => async (): Promise<StoreUnderTest> => {
    const base = await inner()
    const clock = new InstantClock()
    const f = new FaultyStore(base.store, { rules: { '*': { probability } }, random: seededRandom(seed) })
    faulty.push(f)
    clocks.push(clock)
    return { store: new RetryStore(f, { clock, maxAttempts: 12, random: seededRandom(seed + 1) }), ...(base.cleanup ? { cleanup: base.cleanup } : {}) }
  }

  storeContract('retry(faults 20%(memory))', stack(async () => ({ store: new MemoryStore() }), 1, 0.2))
  storeContract(
    'retry(faults 5%(fs))',
    stack(async () => {
      const tmp = await tempDir('contract-faults')
      return { store: await FsStore.open(tmp.dir), cleanup: tmp.remove }
    }, 2, 0.05),
  )

  it('faults were injected into every operation and retried away', () => {
    expect(faulty).toHaveLength(2)
    const total = { putIfAbsent: 0, get: 0, stat: 0, list: 0, delete: 0 }
    for (const f of faulty) for (const [op, n] of Object.entries(f.injected)) total[op as keyof typeof total] += n
    for (const n of Object.values(total)) expect(n).toBeGreaterThan(0)
    expect(clocks.every((c) => c.sleeps.length > 0)).toBe(true)
  })
})
