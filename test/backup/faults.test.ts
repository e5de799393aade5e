/**
 * A backup under a hostile service: the emulator's own throttling at Key Vault's limits (without Retry-After, as
 * the service often answers), its fault rules (5% 500s, resets) and latency; 429 storms with and without
 * Retry-After - every object still captured, byte for byte, and no attempt multiplied. And the run's deadline:
 * objects not reached keep their earlier capture (carried, marked), the run reports it and exits 3.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { SecretRecord } from '../../src/backup/records.js'
import { ExitCode } from '../../src/core/errors.js'
import { DropConnection, KvHttpError, secretsOf } from '../../src/emulator/index.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo, text } from './support.js'

const THROTTLED = 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached'

let f: VaultFixture | undefined
afterEach(async () => {
  await f?.stop()
  f = undefined
})

function seed(fx: VaultFixture, n: number): void {
  const secrets = secretsOf(fx.em.model('kv-primary'))
  for (let i = 0; i < n; i++) {
    secrets.create(`s${i}`, { payload: { value: `first-${i}` }, tags: { n: String(i) } })
    secrets.create(`s${i}`, { payload: { value: `second-${i}` }, tags: { n: String(i) } })
  }
  fx.em.clock.advance(2000)
}

describe('backup under faults', () => {
  it('the emulator\'s throttling (no Retry-After), 5% 500s, resets and latency: every object captured, attempts counted once', async () => {
    f = await startVaultFixture({ paging: 'full', throttling: { enabled: true, factor: 0.02, retryAfter: false } })
    seed(f, 25)
    f.em.control.addFault({ action: 500, probability: 0.05 })
    f.em.control.addFault({ action: 'reset', probability: 0.03 })
    f.em.control.setLatency([{ fixedMs: 2, jitterMs: 8 }])
    const { repo } = await newRepo()
    // Throttling windows run on the emulator clock: run it 20x faster so the test stays short.
    const fx = f
    const tick = setInterval(() => fx.em.clock.advance(1900), 100)
    let result
    try {
      result = await backup(fx, repo, { kinds: ['secret'] })
    } finally {
      clearInterval(tick)
    }
    expect(result.exitCode).toBe(ExitCode.Success)
    const v = result.vaults[0]
    expect(v?.counts).toMatchObject({ listed: 25, captured: 25 })
    const seen = fx.audit
    const count = (p: (r: (typeof seen)[number]) => boolean): number => seen.filter(p).length
    expect(count((r) => r.resultSignature === 429)).toBeGreaterThan(0)
    expect(v?.requests?.throttled).toBe(count((r) => r.resultSignature === 429))
    expect(v?.requests?.serverErrors).toBe(count((r) => r.resultSignature === 500))
    expect(v?.requests?.networkErrors).toBe(count((r) => r.dropped === true))
    // Every attempt the emulator saw is one kvdr counted (the SDK's retry is off).
    expect(v?.requests?.requests).toBe(seen.length)
    const entries = await entriesByName(repo, v?.snapshot as { id: string })
    for (let i = 0; i < 25; i++) {
      const rec = entries.get(`secret/s${i}`)?.data as unknown as SecretRecord
      expect(await text(repo, rec.versions[1]?.value as string)).toBe(`second-${i}`)
      expect(rec.native).not.toBeNull()
    }
  })

  it('429 storms with and without Retry-After (a throttle stage), 5xx, resets and latency: every object captured', async () => {
    let k = 0
    const injected = { throttled: 0, errors: 0, drops: 0 }
    f = await startVaultFixture({
      paging: 'full',
      stages: {
        faults: {
          inject: async () => {
            const i = ++k
            await new Promise((r) => setTimeout(r, i % 5))
            if (i % 9 === 0) {
              injected.throttled++
              throw new KvHttpError(429, 'Throttled', THROTTLED, { headers: i % 18 === 0 ? { 'Retry-After': '0' } : {} })
            }
            if (i % 20 === 3) {
              injected.errors++
              throw new KvHttpError(500, 'InternalServerError', 'Something went wrong.')
            }
            if (i % 25 === 4) {
              injected.drops++
              throw new DropConnection()
            }
          },
        },
      },
    })
    seed(f, 25)
    const { repo } = await newRepo()
    const result = await backup(f, repo, { kinds: ['secret'] })
    expect(result.exitCode).toBe(ExitCode.Success)
    const v = result.vaults[0]
    expect(v?.counts).toMatchObject({ listed: 25, captured: 25 })
    expect(v?.requests).toMatchObject({ throttled: injected.throttled, serverErrors: injected.errors, networkErrors: injected.drops })
    expect(injected.throttled + injected.errors + injected.drops).toBeGreaterThan(10)
    const entries = await entriesByName(repo, v?.snapshot as { id: string })
    for (let i = 0; i < 25; i++) {
      const rec = entries.get(`secret/s${i}`)?.data as unknown as SecretRecord
      expect(rec.versions.map((x) => x.capture)).toEqual(['value', 'value'])
      expect(await text(repo, rec.versions[1]?.value as string)).toBe(`second-${i}`)
      expect(rec.native).not.toBeNull()
    }
  })

  it('the deadline: what was not reached keeps its earlier capture, marked; the run says so and exits 3', async () => {
    let slow = false
    f = await startVaultFixture({
      paging: 'full',
      stages: {
        faults: {
          inject: async (_op, req) => {
            if (slow && req.url.startsWith('/secrets/s3/')) await new Promise((r) => setTimeout(r, 4000))
          },
        },
      },
    })
    seed(f, 6)
    const { repo } = await newRepo()
    const first = await backup(f, repo, { kinds: ['secret'] })
    expect(first.exitCode).toBe(ExitCode.Success)
    secretsOf(f.em.model('kv-primary')).create('s3', { payload: { value: 'third-3' } })
    secretsOf(f.em.model('kv-primary')).create('s4', { payload: { value: 'third-4' } })
    f.em.clock.advance(2000)
    slow = true
    const second = await backup(f, repo, { kinds: ['secret'], deadlineMs: 1500 })
    expect(second.exitCode).toBe(ExitCode.Partial)
    const v = second.vaults[0]
    expect(v?.problems.some((p) => p.message.includes('deadline'))).toBe(true)
    const entries = await entriesByName(repo, v?.snapshot as { id: string })
    const s3 = entries.get('secret/s3')?.data as unknown as SecretRecord & { carried?: { reason: string } }
    expect(s3.carried?.reason).toContain('deadline')
    expect(s3.versions).toHaveLength(2)
    const s4 = entries.get('secret/s4')?.data as unknown as SecretRecord
    expect(s4.versions).toHaveLength(3)
    expect(entries.size).toBe(6)
  })
})
