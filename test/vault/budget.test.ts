/** The request budget, the adaptive limiter and the retry decisions, driven by an injected clock. */
import { describe, expect, it } from 'vitest'
import type { Clock } from '../../src/core/clock.js'
import { DEFAULT_LIMITS, RateBucket, SubscriptionBudgets, VaultBudget } from '../../src/vault/budget.js'
import { AdaptiveLimiter } from '../../src/vault/limiter.js'
import { backoff, decide, DEFAULT_RETRY, retryAfterMs } from '../../src/vault/retry.js'

/** A clock whose sleep moves time at once (the Clock interface exists for exactly this). */
class StepClock implements Clock {
  t = 1_000_000
  now(): number {
    return this.t
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms
  }
}

/** Largest number of admissions in any window of `windowMs`. */
function busiestWindow(times: number[], windowMs: number): number {
  let max = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= windowMs) j++
    max = Math.max(max, i - j + 1)
  }
  return max
}

describe('RateBucket', () => {
  it('never admits more than the limit in any sliding window, and uses most of it', async () => {
    const clock = new StepClock()
    const bucket = new RateBucket('t', 100, 1000, 0.95, clock)
    const times: number[] = []
    for (let i = 0; i < 1000; i++) {
      await bucket.acquire(1)
      times.push(clock.now())
    }
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(100)
    const elapsed = (times[times.length - 1] as number) - (times[0] as number)
    // 1000 admissions at 95/s take about 10 s; far slower would waste the budget.
    expect(elapsed).toBeLessThan(10_600)
  })

  it('slows down after a 429, pauses until a Retry-After, and recovers with successes', async () => {
    const clock = new StepClock()
    const bucket = new RateBucket('t', 1000, 1000, 0.95, clock)
    const planned = bucket.perSecond
    bucket.throttled()
    expect(bucket.perSecond).toBeCloseTo(planned * 0.7)
    bucket.throttled()
    // A second 429 within the same second is the same signal.
    expect(bucket.perSecond).toBeCloseTo(planned * 0.7)
    bucket.pause(clock.now() + 5000)
    const before = clock.now()
    await bucket.acquire(1)
    expect(clock.now() - before).toBeGreaterThanOrEqual(5000)
    for (let i = 0; i < 100; i++) bucket.succeeded()
    expect(bucket.perSecond).toBeCloseTo(planned)
  })
})

describe('VaultBudget', () => {
  it('puts secrets and certificates in the vault bucket and weights keys by what it learned', () => {
    const b = new VaultBudget(DEFAULT_LIMITS, new StepClock())
    expect(b.costOf('GET', '/secrets/a/1')).toEqual({ bucket: 'vault', class: 'other', units: 1 })
    expect(b.costOf('POST', '/certificates/c/backup')).toEqual({ bucket: 'vault', class: 'other', units: 1 })
    expect(b.costOf('PUT', '/secrets/a')).toEqual({ bucket: 'vault', class: 'create', units: 1 })
    expect(b.costOf('GET', '/keys/k/1')).toEqual({ bucket: 'keys', class: 'other', units: 1 })
    b.learnKey('k', { family: 'RSA-4096', protection: 'hsm' })
    expect(b.costOf('GET', '/keys/K/1').units).toBe(16)
    expect(b.costOf('POST', '/keys/k/create')).toEqual({ bucket: 'keys', class: 'create', units: 2 })
  })

  it('vaults of one subscription share the subscription-wide bucket', async () => {
    const clock = new StepClock()
    const limits = { ...DEFAULT_LIMITS, vault: { create: 10, other: 10 }, windowMs: 1000 }
    const shared = new SubscriptionBudgets(limits, clock)
    const vaults = Array.from({ length: 10 }, () => new VaultBudget(limits, clock, { budgets: shared, subscriptionId: 's' }))
    const times: number[] = []
    for (let round = 0; round < 20; round++) {
      for (const v of vaults) {
        await v.acquire({ bucket: 'vault', class: 'other', units: 1 })
        times.push(clock.now())
      }
    }
    // Each vault alone may do 10/s; together they may do 5 x 10 = 50/s.
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(50)
  })
})

describe('AdaptiveLimiter', () => {
  it('grows while healthy, halves on a 429 once per round trip, stays within [1, max]', async () => {
    const clock = new StepClock()
    const l = new AdaptiveLimiter(16, clock, 2)
    for (let i = 0; i < 40; i++) (await l.acquire()).release({ latencyMs: 10 })
    expect(l.current).toBe(16)
    const held = await Promise.all(Array.from({ length: 16 }, () => l.acquire()))
    clock.t += 10
    for (const p of held) p.release({ throttled: true })
    // Sixteen 429s from one round trip count as one signal.
    expect(l.current).toBe(8)
    for (let i = 0; i < 10; i++) {
      const p = await l.acquire()
      clock.t += 1
      p.release({ throttled: true })
    }
    expect(l.current).toBe(1)
  })

  it('queues beyond the limit and serves waiters in order', async () => {
    const l = new AdaptiveLimiter(2, new StepClock(), 2)
    const a = await l.acquire()
    const b = await l.acquire()
    const order: string[] = []
    const c = l.acquire().then((p) => (order.push('c'), p))
    const d = l.acquire().then((p) => (order.push('d'), p))
    expect(l.active).toBe(2)
    a.release({ latencyMs: 1 })
    ;(await c).release({ latencyMs: 1 })
    b.release({ latencyMs: 1 })
    ;(await d).release({ latencyMs: 1 })
    expect(order).toEqual(['c', 'd'])
    expect(l.active).toBe(0)
  })

  it('a waiter whose signal aborts leaves the queue', async () => {
    const l = new AdaptiveLimiter(1, new StepClock(), 1)
    const held = await l.acquire()
    const ac = new AbortController()
    const waiting = l.acquire(ac.signal)
    ac.abort(new Error('deadline'))
    await expect(waiting).rejects.toThrow('deadline')
    held.release({ latencyMs: 1 })
    expect(l.active).toBe(0)
  })
})

describe('retry decisions', () => {
  it('retries 429 with and without Retry-After, 5xx, resets; never 4xx, DNS or aborts', () => {
    const r = DEFAULT_RETRY
    expect(decide(r, 1, { status: 429, retryAfterMs: 3000 })).toEqual({ retry: true, reason: 'throttled', delayMs: 3000, retryAfterMs: 3000 })
    const noHeader = decide(r, 3, { status: 429 }, () => 1)
    expect(noHeader).toMatchObject({ retry: true, reason: 'throttled', delayMs: 4000 })
    expect(decide(r, 1, { status: 503 })).toMatchObject({ retry: true, reason: 'server' })
    expect(decide(r, 1, { errorCode: 'ECONNRESET' })).toMatchObject({ retry: true, reason: 'network' })
    expect(decide(r, 3, { errorCode: 'ECONNREFUSED' })).toEqual({ retry: false })
    for (const s of [400, 401, 403, 404, 409]) expect(decide(r, 1, { status: s })).toEqual({ retry: false })
    expect(decide(r, 1, { errorCode: 'ENOTFOUND' })).toEqual({ retry: false })
    expect(decide(r, 1, { status: 503, aborted: true })).toEqual({ retry: false })
    expect(decide(r, r.maxAttempts, { status: 429 })).toEqual({ retry: false })
  })

  it('reads Retry-After in seconds, as a date, and the ms headers', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    const h = (o: Record<string, string>) => (n: string) => o[n]
    expect(retryAfterMs(h({ 'retry-after': '2' }), now)).toBe(2000)
    expect(retryAfterMs(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000)
    expect(retryAfterMs(h({ 'x-ms-retry-after-ms': '150', 'retry-after': '9' }), now)).toBe(150)
    expect(retryAfterMs(h({ 'retry-after': 'soon' }), now)).toBeUndefined()
  })

  it('backs off exponentially with jitter inside [ceiling/4, ceiling]', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = Math.min(32_000, 250 * 2 ** (attempt - 1))
      expect(backoff(attempt, 250, 32_000, () => 0)).toBe(Math.round(ceiling / 4))
      expect(backoff(attempt, 250, 32_000, () => 1)).toBe(ceiling)
    }
  })
})
