/**
 * Throttling at Key Vault's published limits (scaled by a factor so the test stays small): a burst above the budget
 * gets 429 Throttled before anything is applied, with or without Retry-After; throttled calls consume no budget;
 * the subscription-wide limit is 5x the vault limit; the SDK retries a 429 with Retry-After and not one without.
 */
import { ManualClock } from '../../src/core/clock.js'
import { SECRET_LIMITS, SUBSCRIPTION_LIMIT_FACTOR } from '../../src/core/limits.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SecretClient } from '@azure/keyvault-secrets'
import type { AuditEvent, EmulatorHandle } from '../../src/emulator/index.js'
import { rawRequest, secretClient, startTestEmulator, withApi, type RawResponse } from '../support/emulator.js'

const FACTOR = 0.01
const CREATES = SECRET_LIMITS.create * FACTOR // 3 per vault per 10 s
const S1 = '11111111-1111-4111-8111-111111111111'
const S2 = '22222222-2222-4222-8222-222222222222'
const S3 = '33333333-3333-4333-8333-333333333333'
const THROTTLED = { error: { code: 'Throttled', message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached' } }

let em: EmulatorHandle
beforeAll(async () => {
  em = await startTestEmulator({
    clock: new ManualClock(Date.UTC(2031, 5, 1), { running: false }),
    throttling: { factor: FACTOR },
    vaults: [
      { name: 'kv-burst', subscriptionId: S1 },
      ...[1, 2, 3, 4, 5, 6].map((i) => ({ name: `kv-sub-${i}`, subscriptionId: S2 })),
      { name: 'kv-elsewhere', subscriptionId: S3 },
    ],
  })
})
afterAll(async () => {
  await em?.stop()
})

/** SecretSet attempts on one path (the SDK's unauthenticated first request is logged as Authentication). */
function attemptsOn(h: EmulatorHandle, path: string): AuditEvent[] {
  return h.audit({ operationName: 'SecretSet' }).filter((e) => new URL(e.properties.requestUri).pathname === path)
}

const create = (vault: string, name: string): Promise<RawResponse> => rawRequest(em, vault, 'PUT', withApi(`/secrets/${name}`), { auth: true, body: JSON.stringify({ value: `value of ${name}` }) })

describe('the per-vault budget', () => {
  it('admits the published number of creates per window, answers the rest 429 before applying them, and charges nothing for them', async () => {
    const first = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => create('kv-burst', `burst-${i}`)))
    const statuses = first.map((r) => r.status).sort()
    expect(statuses).toEqual([...Array(CREATES).fill(200), ...Array(6 - CREATES).fill(429)])
    const refused = first.filter((r) => r.status === 429)
    for (const r of refused) {
      expect(r.body).toEqual(THROTTLED)
      expect(r.headers['retry-after']).toBe('10')
    }
    // The refused writes were not applied.
    const applied = await Promise.all([1, 2, 3, 4, 5, 6].map(async (i) => (await rawRequest(em, 'kv-burst', 'GET', withApi(`/secrets/burst-${i}`), { auth: true })).status))
    expect(applied.filter((s) => s === 200)).toHaveLength(CREATES)
    expect(applied.filter((s) => s === 404)).toHaveLength(6 - CREATES)

    // Five seconds on, more attempts are refused (Retry-After counts down) ...
    em.clock.advance(5_000)
    const later = await Promise.all([7, 8, 9, 10, 11].map((i) => create('kv-burst', `burst-${i}`)))
    expect(later.map((r) => [r.status, r.headers['retry-after']])).toEqual(Array(5).fill([429, '5']))
    // ... and once the first creates leave the window the full budget is there: the refused ones charged nothing.
    em.clock.advance(5_001)
    const fresh = await Promise.all([12, 13, 14, 15].map((i) => create('kv-burst', `burst-${i}`)))
    expect(fresh.map((r) => r.status).sort()).toEqual([200, 200, 200, 429])

    const audited = em.audit({ vault: 'kv-burst', operationName: 'SecretSet', throttled: true })
    expect(audited).toHaveLength(6 - CREATES + 5 + 1)
    expect(audited.every((e) => e.properties.httpStatusCode === 429 && e.resultSignature === 'TooManyRequests')).toBe(true)
  })

  it('can leave Retry-After out, as the service sometimes does; the SDK then does not retry', async () => {
    em.clock.advance(10_001)
    em.control.configureThrottling({ retryAfter: false })
    try {
      for (let i = 0; i < CREATES; i++) expect((await create('kv-burst', `noretry-${i}`)).status).toBe(200)
      const bare = await create('kv-burst', 'noretry-raw')
      expect(bare.status).toBe(429)
      expect(bare.headers['retry-after']).toBeUndefined()
      const { vaultUrl, options } = em.clientSetup('kv-burst')
      const sdk = new SecretClient(vaultUrl, em.credential, options) // default retry policy
      await expect(sdk.setSecret('noretry-sdk', 'v')).rejects.toMatchObject({ statusCode: 429, code: 'Throttled' })
      expect(attemptsOn(em, '/secrets/noretry-sdk')).toHaveLength(1)
    } finally {
      em.control.configureThrottling({ retryAfter: true })
    }
  })
})

describe('the subscription-wide budget', () => {
  it('is five times the vault budget across the vaults of a subscription', async () => {
    em.clock.advance(10_001)
    const vaults = [1, 2, 3, 4, 5].map((i) => `kv-sub-${i}`)
    const filled = await Promise.all(vaults.flatMap((v) => Array.from({ length: CREATES }, (_, j) => create(v, `fill-${j}`))))
    expect(filled.every((r) => r.status === 200)).toBe(true)
    expect(filled).toHaveLength(CREATES * SUBSCRIPTION_LIMIT_FACTOR)
    const sixth = await create('kv-sub-6', 'over-the-subscription')
    expect(sixth.status).toBe(429)
    expect((sixth.body as typeof THROTTLED).error.message).toBe('Request was not processed because too many requests were received. Reason: SubscriptionRequestTypeLimitReached')
    // Reads have their own budget, and other subscriptions are not affected.
    expect((await rawRequest(em, 'kv-sub-6', 'GET', withApi('/secrets'), { auth: true })).status).toBe(200)
    expect((await create('kv-elsewhere', 'unaffected')).status).toBe(200)
  })
})

describe('key operations', () => {
  it('are weighted by key type and protection on their own budgets (EC-HSM counts twice a software EC key)', async () => {
    const keys = await startTestEmulator({ clock: new ManualClock(Date.UTC(2031, 5, 2), { running: false }), throttling: { factor: FACTOR }, vaults: [{ name: 'kv-keys-t' }] })
    const req = (method: string, path: string, body?: unknown): Promise<RawResponse> =>
      rawRequest(keys, 'kv-keys-t', method, withApi(path), { auth: true, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    try {
      // CREATE: 20 units per 10 s scaled to 0.2, so one create per window whatever its weight.
      expect((await req('POST', '/keys/hsm/create', { kty: 'EC-HSM', crv: 'P-256' })).status).toBe(200)
      expect((await req('POST', '/keys/soft/create', { kty: 'EC', crv: 'P-256' })).status).toBe(429)
      expect((await req('PUT', '/secrets/not-a-key', { value: 'v' })).status).toBe(200) // secrets have their own budget
      keys.clock.advance(10_001)
      expect((await req('POST', '/keys/soft/create', { kty: 'EC', crv: 'P-256' })).status).toBe(200)
      keys.clock.advance(10_001)

      // Other operations: 4,000 units scaled to 40; an EC-HSM read costs 2 units, a software EC read 1.
      const hsmReads = await Promise.all(Array.from({ length: 21 }, () => req('GET', '/keys/hsm')))
      expect(hsmReads.filter((r) => r.status === 200)).toHaveLength(20)
      expect((await req('GET', '/keys/soft')).status).toBe(429)
      keys.clock.advance(10_001)
      expect((await req('GET', '/keys/hsm')).status).toBe(200)
      const softReads = await Promise.all(Array.from({ length: 39 }, () => req('GET', '/keys/soft')))
      expect(softReads.filter((r) => r.status === 200)).toHaveLength(38)
    } finally {
      await keys.stop()
    }
  })
})

describe('SDK retries', () => {
  it('retry a 429 with Retry-After and succeed once the window moves (running clock)', async () => {
    const running = await startTestEmulator({ throttling: { factor: FACTOR }, vaults: [{ name: 'kv-retry' }] })
    try {
      const admin = secretClient(running, 'kv-retry')
      for (let i = 0; i < CREATES; i++) await admin.setSecret(`fill-${i}`, 'v')
      running.clock.advance(9_500) // the window frees up in half a second of real time
      const { vaultUrl, options } = running.clientSetup('kv-retry')
      const sdk = new SecretClient(vaultUrl, running.credential, options)
      await sdk.setSecret('after-retry', 'v')
      const attempts = attemptsOn(running, '/secrets/after-retry')
      expect(new Set(attempts.map((e) => e.correlationId)).size).toBe(1)
      expect(attempts.map((e) => [e.properties.httpStatusCode, e.throttled])).toEqual([
        [429, true],
        [200, false],
      ])
    } finally {
      await running.stop()
    }
  })
})
