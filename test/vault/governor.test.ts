/**
 * The Governor against the emulator's own throttle and fault stages: kvdr stays under a vault's limit, survives
 * 429 storms with and without Retry-After, 5xx, resets and latency, and never multiplies attempts (the SDK's
 * retry is off: every request the emulator saw is one the governor counted).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { DropConnection, KvHttpError, type OperationDescriptor, secretsOf, type StageRequest } from '../../src/emulator/index.js'
import { DEFAULT_LIMITS } from '../../src/vault/budget.js'
import type { VaultConnection } from '../../src/vault/connection.js'
import { VaultReader } from '../../src/vault/reader.js'
import { answered, startVaultFixture, type VaultFixture } from './support.js'

const THROTTLED = 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached'

/** Seed `n` secrets of one version straight into the emulator's model. */
function seed(f: VaultFixture, n: number): void {
  const secrets = secretsOf(f.em.model('kv-primary'))
  for (let i = 0; i < n; i++) secrets.create(`s${String(i).padStart(3, '0')}`, { payload: { value: `value-${i}` } })
}

/** List every secret, then read each one's versions, value and native backup, 8 objects at a time. */
async function readAll(conn: VaultConnection): Promise<{ values: Map<string, string>; backups: number }> {
  const reader = new VaultReader(conn)
  const names: string[] = []
  for await (const page of reader.listActive('secret')) names.push(...page.items.map((o) => o.name))
  const values = new Map<string, string>()
  let backups = 0
  const work = async (name: string): Promise<void> => {
    for await (const page of reader.versions('secret', name)) for (const v of page.items) values.set(name, await reader.secretValue(name, v.version))
    if ((await reader.backup('secret', name)).length > 0) backups++
  }
  for (let i = 0; i < names.length; i += 8) await Promise.all(names.slice(i, i + 8).map(work))
  return { values, backups }
}

/** A sliding-window limiter like Key Vault's: throttled requests do not count. */
function slidingWindow(limit: number, windowMs: number) {
  const admitted: number[] = []
  return {
    admit(_p: unknown, op: OperationDescriptor, req: StageRequest) {
      void op
      void req
      const now = performance.now()
      while (admitted.length > 0 && now - (admitted[0] as number) >= windowMs) admitted.shift()
      if (admitted.length >= limit) throw new KvHttpError(429, 'Throttled', THROTTLED)
      admitted.push(now)
    },
  }
}

let f: VaultFixture | undefined
afterEach(async () => {
  await f?.stop()
  f = undefined
})

describe('Governor against the emulator', () => {
  it('keeps under the vault\'s limit: no 429 while making several windows\' worth of requests', async () => {
    f = await startVaultFixture({ paging: 'full', stages: { throttle: slidingWindow(50, 500) } })
    seed(f, 30)
    const conn = await f.connect('kv-primary', { governor: { limits: { ...DEFAULT_LIMITS, vault: { create: 10, other: 40 }, windowMs: 500 } } })
    const { values, backups } = await readAll(conn)
    conn.close()
    expect(values.size).toBe(30)
    expect(backups).toBe(30)
    expect(conn.governor.stats.throttled).toBe(0)
    expect(answered(f.audit).filter((r) => r.resultSignature === 429)).toHaveLength(0)
    expect(conn.governor.stats.requests).toBeGreaterThan(90)
  })

  it('a 429 storm without Retry-After: every object read, attempts counted once (no SDK retries on top)', async () => {
    let k = 0
    f = await startVaultFixture({
      paging: 'full',
      stages: {
        throttle: {
          admit: () => {
            // Every other request of the first 60 is throttled, without any retry header (as Key Vault does).
            if (++k <= 60 && k % 2 === 1) throw new KvHttpError(429, 'Throttled', THROTTLED)
          },
        },
      },
    })
    seed(f, 20)
    const conn = await f.connect('kv-primary', { governor: { retry: { throttleBaseDelayMs: 50 }, maxConcurrency: 16 } })
    const { values, backups } = await readAll(conn)
    conn.close()
    expect(values.size).toBe(20)
    expect([...values].every(([k, v]) => v === `value-${Number(k.slice(1))}`)).toBe(true)
    expect(backups).toBe(20)
    const seen = answered(f.audit)
    const throttled = seen.filter((r) => r.resultSignature === 429).length
    expect(throttled).toBe(30)
    expect(conn.governor.stats.throttled).toBe(throttled)
    // Every request on the wire is one the governor sent: the emulator saw exactly its count (plus challenges).
    expect(conn.governor.stats.requests).toBe(f.audit.length)
  })

  it('429 with Retry-After: the whole vault waits as told before trying again', async () => {
    let throttledAt: number | undefined
    let stormLeft = 6
    const arrivals: number[] = []
    f = await startVaultFixture({
      paging: 'full',
      stages: {
        throttle: {
          admit: () => {
            arrivals.push(performance.now())
            if (stormLeft > 0 && arrivals.length > 5) {
              stormLeft--
              throttledAt ??= performance.now()
              throw new KvHttpError(429, 'Throttled', THROTTLED, { headers: { 'Retry-After': '1' } })
            }
          },
        },
      },
    })
    seed(f, 10)
    const conn = await f.connect()
    const { values } = await readAll(conn)
    conn.close()
    expect(values.size).toBe(10)
    expect(conn.governor.stats.throttled).toBe(6)
    // After the first 429, nothing but requests already on their way arrives until the Retry-After has passed.
    const start = throttledAt as number
    const early = arrivals.filter((t) => t > start + 300 && t < start + 1000)
    expect(early).toHaveLength(0)
  })

  it('5% server errors, connection resets and latency: every object read, each failure retried once per attempt', async () => {
    let n = 0
    const injected = { errors: 0, drops: 0 }
    f = await startVaultFixture({
      paging: 'full',
      stages: {
        faults: {
          inject: async () => {
            const k = ++n
            await new Promise((r) => setTimeout(r, 2 + (k % 7)))
            if (k % 20 === 7) {
              injected.errors++
              throw new KvHttpError(503, 'ServiceUnavailable', 'The service is temporarily unavailable.')
            }
            if (k % 25 === 11) {
              injected.drops++
              throw new DropConnection()
            }
          },
        },
      },
    })
    seed(f, 30)
    const conn = await f.connect('kv-primary', { governor: { retry: { baseDelayMs: 20 } } })
    const { values, backups } = await readAll(conn)
    conn.close()
    expect(values.size).toBe(30)
    expect(backups).toBe(30)
    expect(injected.errors).toBeGreaterThan(2)
    expect(injected.drops).toBeGreaterThan(2)
    expect(conn.governor.stats.serverErrors).toBe(injected.errors)
    expect(conn.governor.stats.networkErrors).toBe(injected.drops)
    expect(conn.governor.stats.retries).toBe(injected.errors + injected.drops)
  })
})
