import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import { StoreError } from '../../src/store/errors.js'
import { FaultyStore } from '../../src/store/faults.js'
import { LoggingStore, type StoreLogEvent } from '../../src/store/logging.js'
import { MemoryStore } from '../../src/store/memory.js'
import { ReadOnlyStore } from '../../src/store/readonly.js'
import { RetryStore } from '../../src/store/retry.js'
import { type ObjectStore, StoreNotFoundError, StoreRefusedError } from '../../src/store/types.js'
import { WormStore } from '../../src/store/worm.js'
import { InstantClock, seededRandom } from './support.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a failure')
}

async function names(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = []
  for await (const b of store.list(prefix)) out.push(b.name)
  return out
}

describe('WORM wrapper', () => {
  it('refuses deleting a blob younger than the retention period and allows it once older (injected clock)', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'), { running: false })
    const inner = new MemoryStore({ clock })
    const worm = new WormStore(inner, { retentionMs: 7 * 86_400_000, clock })
    await worm.putIfAbsent('snapshots/1', bytes('manifest'))
    clock.advance(7 * 86_400_000 - 1)
    const err = await failure(worm.delete('snapshots/1'))
    expect(err).toBeInstanceOf(StoreRefusedError)
    expect((err as StoreRefusedError).message).toContain('2026-01-08T00:00:00.000Z')
    expect((err as StoreRefusedError).exitCode).toBe(23)
    expect(text(await worm.get('snapshots/1'))).toBe('manifest')
    clock.advance(1)
    await worm.delete('snapshots/1')
    expect(await inner.stat('snapshots/1')).toBeUndefined()
  })

  it('never overwrites: a put of an existing name stays "exists" even after the retention period', async () => {
    const clock = new ManualClock(0, { running: false })
    const worm = new WormStore(new MemoryStore({ clock }), { retentionMs: 1000, clock })
    await worm.putIfAbsent('config', bytes('v1'))
    clock.advance(5000)
    expect(await worm.putIfAbsent('config', bytes('v2'))).toBe('exists')
    expect(text(await worm.get('config'))).toBe('v1')
  })
})

describe('read-only wrapper', () => {
  it('passes reads through and refuses writes and deletes without touching the inner store', async () => {
    const inner = new MemoryStore()
    await inner.putIfAbsent('config', bytes('c'))
    const ro = new ReadOnlyStore(inner)
    expect(text(await ro.get('config'))).toBe('c')
    expect((await ro.stat('config'))?.size).toBe(1)
    expect(await names(ro, '')).toEqual(['config'])
    for (const p of [ro.putIfAbsent('new', bytes('x')), ro.delete('config')]) {
      const err = await failure(p)
      expect(err).toBeInstanceOf(StoreRefusedError)
      expect((err as Error).message).toMatch(/read-only/)
    }
    expect(await inner.stat('new')).toBeUndefined()
    expect(await inner.stat('config')).toBeDefined()
  })
})

describe('retry wrapper', () => {
  it('retries transient failures with exponential backoff and jitter, then succeeds', async () => {
    const clock = new InstantClock()
    const faulty = new FaultyStore(new MemoryStore())
    const store = new RetryStore(faulty, { clock, baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 6, random: seededRandom(7) })
    faulty.failNext('putIfAbsent', 5)
    expect(await store.putIfAbsent('a', bytes('x'))).toBe('created')
    expect(faulty.injected.putIfAbsent).toBe(5)
    expect(clock.sleeps).toHaveLength(5)
    // Try n waits in [cap/2, cap] with cap = min(1000, 100 * 2^(n-1)).
    clock.sleeps.forEach((ms, i) => {
      const cap = Math.min(1000, 100 * 2 ** i)
      expect(ms).toBeGreaterThanOrEqual(cap / 2)
      expect(ms).toBeLessThanOrEqual(cap)
    })
    expect(new Set(clock.sleeps.map((ms, i) => ms / Math.min(1000, 100 * 2 ** i))).size).toBeGreaterThan(1) // jittered
  })

  it('gives up after maxAttempts with the last error', async () => {
    const clock = new InstantClock()
    const faulty = new FaultyStore(new MemoryStore())
    const store = new RetryStore(faulty, { clock, maxAttempts: 3 })
    faulty.failNext('get', 10)
    const err = await failure(store.get('a'))
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).transient).toBe(true)
    expect(faulty.injected.get).toBe(3)
  })

  it('never retries refusals, not-found, auth or other final errors', async () => {
    const finals: Array<() => Error> = [
      () => new StoreRefusedError('x', 'no'),
      () => new StoreNotFoundError('x', 'memory://t'),
      () => new StoreError('STORE_AUTH', 'bad key'),
      () => new StoreError('STORE_FAILED', '400 InvalidHeaderValue'),
      () => new TypeError('bug'),
    ]
    for (const make of finals) {
      const clock = new InstantClock()
      const faulty = new FaultyStore(new MemoryStore())
      const store = new RetryStore(faulty, { clock })
      faulty.failNext('*', 1, make)
      expect(await failure(store.stat('x'))).toBeInstanceOf(make().constructor)
      expect(clock.sleeps).toEqual([])
      expect(faulty.injected.stat).toBe(1)
    }
  })

  it('restarts a failed listing without yielding any name twice', async () => {
    const inner = new MemoryStore()
    const all = Array.from({ length: 30 }, (_, i) => `l/${String(i).padStart(2, '0')}`)
    for (const n of all) await inner.putIfAbsent(n, bytes(n))
    const faulty = new FaultyStore(inner, { random: seededRandom(3) })
    const store = new RetryStore(faulty, { clock: new InstantClock(), maxAttempts: 3 })
    faulty.failNext('list', 2)
    const listed = await names(store, 'l/')
    expect(faulty.injected.list).toBe(2)
    expect(listed.sort()).toEqual(all)
  })

  it('a listing that makes progress between failures gets maxAttempts afresh; one that does not gives up', async () => {
    const inner = new MemoryStore()
    const all = Array.from({ length: 30 }, (_, i) => `l/${String(i).padStart(2, '0')}`)
    for (const n of all) await inner.putIfAbsent(n, bytes(n))
    const faulty = new FaultyStore(inner)
    const store = new RetryStore(faulty, { clock: new InstantClock(), maxAttempts: 2 })
    for (const after of [5, 10, 15, 20]) faulty.failNext('list', 1, undefined, { afterEntries: after })
    expect((await names(store, 'l/')).sort()).toEqual(all)
    expect(faulty.injected.list).toBe(4)

    faulty.failNext('list', 2, undefined, { afterEntries: 3 })
    const err = await failure(names(store, 'l/'))
    expect((err as StoreError).transient).toBe(true)
    expect(faulty.injected.list).toBe(6)
  })

  it('reports each retry to onRetry', async () => {
    const faulty = new FaultyStore(new MemoryStore())
    const seen: string[] = []
    const store = new RetryStore(faulty, { clock: new InstantClock(), onRetry: (e) => seen.push(`${e.op}:${e.name}:${e.attempt}`) })
    faulty.failNext('delete', 2)
    await store.delete('gone')
    expect(seen).toEqual(['delete:gone:1', 'delete:gone:2'])
  })
})

describe('fault-injection wrapper', () => {
  it('fails at the configured rate per operation, before the inner store is touched', async () => {
    const inner = new MemoryStore()
    const faulty = new FaultyStore(inner, { rules: { putIfAbsent: { probability: 0.5 } }, random: seededRandom(11) })
    let failed = 0
    for (let i = 0; i < 200; i++) {
      const r = await faulty.putIfAbsent(`p/${i}`, bytes('x')).catch(() => 'failed')
      if (r === 'failed') {
        failed += 1
        expect(await inner.stat(`p/${i}`)).toBeUndefined()
      }
    }
    expect(failed).toBe(faulty.injected.putIfAbsent)
    expect(failed).toBeGreaterThan(60)
    expect(failed).toBeLessThan(140)
    expect(faulty.injected.get).toBe(0)
  })

  it('adds latency (fixed plus jitter) through the injected clock', async () => {
    const clock = new InstantClock()
    const faulty = new FaultyStore(new MemoryStore(), { rules: { '*': { latencyMs: 50, jitterMs: 20 } }, clock, random: seededRandom(5) })
    await faulty.stat('a')
    await faulty.stat('b')
    expect(clock.sleeps).toHaveLength(2)
    for (const ms of clock.sleeps) {
      expect(ms).toBeGreaterThanOrEqual(50)
      expect(ms).toBeLessThan(70)
    }
  })

  it('fails exactly the next N calls of an operation with the given error', async () => {
    const faulty = new FaultyStore(new MemoryStore())
    faulty.failNext('stat', 2, () => new StoreError('STORE_FAILED', 'boom'))
    await expect(faulty.stat('a')).rejects.toThrow('boom')
    await expect(faulty.stat('a')).rejects.toThrow('boom')
    await expect(faulty.stat('a')).resolves.toBeUndefined()
  })
})

describe('logging wrapper', () => {
  it('logs operation, name, size, duration and outcome of every call, and never contents', async () => {
    const clock = new ManualClock(0, { running: false })
    const events: StoreLogEvent[] = []
    const store = new LoggingStore(new MemoryStore(), (e) => events.push(e), { clock })
    await store.putIfAbsent('keys/1', bytes('PRIVATE KEY MATERIAL'))
    await store.putIfAbsent('keys/1', bytes('PRIVATE KEY MATERIAL'))
    await store.get('keys/1')
    await store.stat('keys/1')
    await store.stat('keys/2')
    await failure(store.get('keys/2'))
    await names(store, 'keys/')
    await failure(store.get('bad name'))
    await store.delete('keys/1')
    expect(events).toEqual([
      { op: 'putIfAbsent', name: 'keys/1', size: 20, durationMs: 0, outcome: 'created' },
      { op: 'putIfAbsent', name: 'keys/1', size: 20, durationMs: 0, outcome: 'exists' },
      { op: 'get', name: 'keys/1', size: 20, durationMs: 0, outcome: 'ok' },
      { op: 'stat', name: 'keys/1', size: 20, durationMs: 0, outcome: 'ok' },
      { op: 'stat', name: 'keys/2', durationMs: 0, outcome: 'absent' },
      { op: 'get', name: 'keys/2', durationMs: 0, outcome: 'not-found' },
      { op: 'list', name: 'keys/', size: 1, durationMs: 0, outcome: 'ok' },
      { op: 'get', name: 'bad name', durationMs: 0, outcome: 'error', error: 'STORE_INVALID_NAME' },
      { op: 'delete', name: 'keys/1', durationMs: 0, outcome: 'ok' },
    ])
    expect(JSON.stringify(events)).not.toContain('PRIVATE')
  })

  it('measures duration with the injected clock and logs a failed listing', async () => {
    const clock = new InstantClock(0, { running: false })
    const events: StoreLogEvent[] = []
    const faulty = new FaultyStore(new MemoryStore(), { rules: { get: { latencyMs: 250 } }, clock })
    const store = new LoggingStore(faulty, (e) => events.push(e), { clock })
    await failure(store.get('x'))
    faulty.failNext('list', 1)
    await failure(names(store, ''))
    expect(events).toEqual([
      { op: 'get', name: 'x', durationMs: 250, outcome: 'not-found' },
      { op: 'list', name: '', size: 0, durationMs: 0, outcome: 'error', error: 'STORE_SERVER' },
    ])
  })
})
