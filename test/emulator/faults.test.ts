/**
 * Faults and latency as the official SDK sees them: 503s and resets retried by the SDK (every attempt visible in
 * the audit log), a 500 without retries, a hung request cut by the client's abort, "after" faults that apply the
 * write and lose the answer, latency per operation, and switching all of it at run time from the handle and from
 * the HTTP control API.
 */
import { request } from 'node:https'
import { Agent } from 'node:https'
import { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEvent, EmulatorHandle } from '../../src/emulator/index.js'
import { secretClient, startTestEmulator } from '../support/emulator.js'

let em: EmulatorHandle
let controlAgent: Agent

beforeAll(async () => {
  em = await startTestEmulator({ vaults: [{ name: 'kv-faults' }, { name: 'kv-calm' }] })
  controlAgent = new Agent({ ca: em.caPem })
})
afterAll(async () => {
  controlAgent?.destroy()
  await em?.stop()
})

/** A SecretClient that retries quickly (the SDK's policies, short delays). */
function retryingClient(vault = 'kv-faults'): SecretClient {
  const { vaultUrl, options } = em.clientSetup(vault)
  return new SecretClient(vaultUrl, em.credential, { ...options, retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 20 } })
}

function attempts(operation: string, name: string): AuditEvent[] {
  return em.audit({ operationName: operation }).filter((e) => new URL(e.properties.requestUri).pathname.startsWith(`/secrets/${name}`))
}

function control(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${em.controlUrl}${path}`, { method, agent: controlAgent, headers: { Authorization: `Bearer ${em.controlToken}`, 'Content-Type': 'application/json' } }, (res) => {
      let t = ''
      res.on('data', (c: Buffer) => (t += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t === '' ? undefined : (JSON.parse(t) as unknown) }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

describe('faults before the handler', () => {
  it('503 for the next two reads: the SDK retries and succeeds; every attempt is in the audit log', async () => {
    await secretClient(em, 'kv-faults').setSecret('flaky-read', 'v')
    em.control.addFault({ action: 503, count: 2, operations: ['SecretGet'], vaults: ['kv-faults'] })
    expect((await retryingClient().getSecret('flaky-read')).value).toBe('v')
    const seen = attempts('SecretGet', 'flaky-read')
    expect(seen.map((e) => [e.properties.httpStatusCode, e.fault ?? false])).toEqual([
      [503, true],
      [503, true],
      [200, false],
    ])
    expect(new Set(seen.map((e) => e.correlationId)).size).toBe(1)
    expect(em.control.faults()).toEqual([]) // spent
  })

  it('a 500 with probability 1 reaches a client without retries, and only the filtered vault is hit', async () => {
    const rule = em.control.addFault({ action: 500, probability: 1, operations: ['Microsoft.KeyVault/vaults/secrets/*'], vaults: ['kv-faults'] })
    try {
      await expect(secretClient(em, 'kv-faults').setSecret('never', 'v')).rejects.toMatchObject({ statusCode: 500, code: 'InternalServerError' })
      await secretClient(em, 'kv-calm').setSecret('calm', 'v')
    } finally {
      em.control.clearFaults(rule.id)
    }
    await expect(secretClient(em, 'kv-faults').getSecret('never')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('a connection reset is retried by the SDK; the dropped attempt is logged without a status', async () => {
    em.control.addFault({ action: 'reset', count: 1, operations: ['SecretSet'] })
    await retryingClient().setSecret('after-reset', 'v')
    const seen = attempts('SecretSet', 'after-reset')
    expect(seen.map((e) => [e.properties.httpStatusCode, e.dropped ?? false, e.resultSignature])).toEqual([
      [0, true, 'ConnectionDropped'],
      [200, false, 'OK'],
    ])
    const versions = []
    for await (const v of secretClient(em, 'kv-faults').listPropertiesOfSecretVersions('after-reset')) versions.push(v)
    expect(versions).toHaveLength(1) // the reset attempt applied nothing
  })

  it('a hung request never answers; the client gives up with its abort signal and the attempt is logged', async () => {
    await secretClient(em, 'kv-faults').setSecret('hanging', 'v')
    em.control.addFault({ action: 'hang', count: 1, operations: ['SecretGet'] })
    const client = secretClient(em, 'kv-faults')
    await expect(client.getSecret('hanging', { abortSignal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'AbortError' })
    await expect.poll(() => attempts('SecretGet', 'hanging').map((e) => e.dropped)).toEqual([true])
    expect((await client.getSecret('hanging')).value).toBe('v')
  })

  it('a hung request ends when the emulator stops', async () => {
    const brief = await startTestEmulator({ vaults: [{ name: 'kv-brief' }], faults: [{ action: 'hang', count: 1, operations: ['SecretList'] }] })
    const listing = (async () => {
      for await (const _ of secretClient(brief, 'kv-brief').listPropertiesOfSecrets());
    })()
    await expect.poll(() => brief.control.faults().length).toBe(0) // the rule struck: the listing is hanging
    await brief.stop()
    await expect(listing).rejects.toThrow()
  })
})

describe('faults after the handler', () => {
  it('apply the write and lose the answer: a retried create makes a second version', async () => {
    em.control.addFault({ action: 503, count: 1, when: 'after', operations: ['SecretSet'] })
    await expect(secretClient(em, 'kv-faults').setSecret('applied-anyway', 'v1')).rejects.toMatchObject({ statusCode: 503 })
    expect((await secretClient(em, 'kv-faults').getSecret('applied-anyway')).value).toBe('v1')

    em.control.addFault({ action: 'reset', count: 1, when: 'after', operations: ['SecretSet'] })
    await retryingClient().setSecret('twice', 'v')
    const versions = []
    for await (const v of secretClient(em, 'kv-faults').listPropertiesOfSecretVersions('twice')) versions.push(v)
    expect(versions).toHaveLength(2)
  })
})

describe('latency and run-time control', () => {
  it('delays only the matching operations by at least the fixed latency', async () => {
    const client = secretClient(em, 'kv-faults')
    await client.setSecret('slow', 'v')
    em.control.setLatency({ fixedMs: 200, jitterMs: 50, operations: ['SecretGet'] })
    try {
      const started = performance.now()
      await client.getSecret('slow')
      expect(performance.now() - started).toBeGreaterThanOrEqual(200)
      expect(attempts('SecretGet', 'slow').at(-1)?.durationMs).toBeGreaterThanOrEqual(200)
    } finally {
      em.control.setLatency([])
    }
  })

  it('switches faults, latency, throttling and the clock through the HTTP control API, authenticated by the control token', async () => {
    const denied = await new Promise<number>((resolve, reject) => {
      request(`${em.controlUrl}/faults`, { agent: controlAgent }, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end()
    })
    expect(denied).toBe(401)
    const added = await control('POST', '/faults', { action: 503, count: 1, operations: ['SecretList'] })
    expect(added.status).toBe(201)
    const listed = (await control('GET', '/faults')).body as { id: string }[]
    expect(listed.map((f) => f.id)).toEqual([(added.body as { id: string }).id])
    const client = secretClient(em, 'kv-faults')
    await expect((async () => {
      for await (const _ of client.listPropertiesOfSecrets());
    })()).rejects.toMatchObject({ statusCode: 503 })
    expect((await control('GET', '/faults')).body).toEqual([])

    expect((await control('POST', '/faults', { action: 418, count: 1 })).status).toBe(400)
    expect((await control('PUT', '/latency', { fixedMs: 5 })).body).toEqual([{ fixedMs: 5, jitterMs: 0 }])
    expect((await control('PUT', '/latency', [])).body).toEqual([])
    expect((await control('PATCH', '/throttling', { enabled: true, factor: 0.5, retryAfter: false })).body).toEqual({ enabled: true, factor: 0.5, retryAfter: false })
    expect(em.control.throttling()).toEqual({ enabled: true, factor: 0.5, retryAfter: false })
    await control('PATCH', '/throttling', { enabled: false, factor: 1, retryAfter: true })
    const before = em.clock.now()
    const moved = (await control('POST', '/clock', { advanceMs: 86_400_000 })).body as { epochMs: number }
    expect(moved.epochMs - before).toBeGreaterThanOrEqual(86_400_000)
    expect(em.clock.now()).toBeGreaterThanOrEqual(moved.epochMs)
    const counters = (await control('GET', '/counters')).body as Record<string, { byStatus: Record<string, number> }>
    expect(counters.SecretList?.byStatus['503']).toBe(1)
  })
})
