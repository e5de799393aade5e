/**
 * The audit log: one accurate AuditEvent-shaped record per request (operation, result, caller claims, address,
 * object id, correlation id, request URI, TLS version), denials and throttling marked, the same records as JSON lines
 * in a file, filters, and per-operation counters; never a secret value or a token.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import type { AuditEvent, EmulatorHandle } from '../../src/emulator/index.js'
import { adminToken, rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

const T0 = Date.UTC(2032, 2, 3, 4, 5, 6)
const VALUE = 's3cret-audit-value'
let em: EmulatorHandle
let dir: string
let file: string
let stopped = false

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvdr-audit-'))
  file = join(dir, 'audit.jsonl')
  em = await startTestEmulator({
    clock: new ManualClock(T0, { running: false }),
    audit: { file },
    throttling: { factor: 0.01 },
    vaults: [{ name: 'kv-audit', resourceGroup: 'rg-audit' }],
    principals: [{ name: 'auditor' }],
    roleAssignments: [{ principal: 'auditor', role: 'Key Vault Secrets User', scope: 'kv-audit' }],
  })
})
afterAll(async () => {
  if (!stopped) await em?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('audit records', () => {
  let set: AuditEvent | undefined
  let returnedId: string | undefined

  it('describe a request the way Key Vault AuditEvent logs do', async () => {
    const res = await rawRequest(em, 'kv-audit', 'PUT', withApi('/secrets/audited'), {
      auth: true,
      body: JSON.stringify({ value: VALUE }),
      headers: { 'x-ms-client-request-id': '2a9f4c3e-0000-4000-8000-00000000c0de', 'User-Agent': 'kvdr-test/1.0' },
    })
    expect(res.status).toBe(200)
    returnedId = (res.body as { id: string }).id
    const records = em.audit({ correlationId: '2a9f4c3e-0000-4000-8000-00000000c0de' })
    expect(records).toHaveLength(1)
    set = records[0]
    const admin = em.principal('kvdr-emulator-admin')
    const v = em.vault('kv-audit')
    expect(set).toEqual({
      time: new Date(T0).toISOString(),
      resourceId: `/SUBSCRIPTIONS/${v.subscriptionId}/RESOURCEGROUPS/RG-AUDIT/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-AUDIT`.toUpperCase(),
      operationName: 'SecretSet',
      operationVersion: '2025-07-01',
      category: 'AuditEvent',
      resultType: 'Success',
      resultSignature: 'OK',
      resultDescription: '',
      durationMs: expect.any(Number),
      callerIpAddress: '127.0.0.1',
      correlationId: '2a9f4c3e-0000-4000-8000-00000000c0de',
      identity: { claim: { oid: admin.objectId, 'http://schemas.microsoft.com/identity/claims/objectidentifier': admin.objectId, appid: admin.clientId } },
      properties: {
        id: returnedId,
        requestUri: `${v.hostUrl}/secrets/audited?api-version=2025-07-01`,
        httpStatusCode: 200,
        clientInfo: 'kvdr-test/1.0',
        tlsVersion: expect.stringMatching(/^TLS1_[23]$/),
        isRbacAuthorized: true,
      },
      vault: 'kv-audit',
      throttled: false,
    })
  })

  it('record the SDK challenge, denials and throttling, one record per request', async () => {
    em.control.resetCounters()
    const before = em.audit().length
    const { vaultUrl, options } = em.clientSetup('kv-audit')
    const auditor = new SecretClient(vaultUrl, em.credentialFor('auditor'), { ...options, retryOptions: { maxRetries: 0 } })
    expect((await auditor.getSecret('audited')).value).toBe(VALUE) // challenge + get
    await expect(auditor.setSecret('not-allowed', 'x')).rejects.toMatchObject({ statusCode: 403 })
    const admin = secretClient(em, 'kv-audit')
    await admin.setSecret('second', 'x') // challenge + set (2 of 3 creates used, with the first test's)
    await admin.setSecret('third', 'x')
    await expect(admin.setSecret('fourth', 'x')).rejects.toMatchObject({ statusCode: 429 })

    const mine = em.audit().slice(before)
    expect(mine.map((e) => [e.operationName, e.properties.httpStatusCode])).toEqual([
      ['Authentication', 401],
      ['SecretGet', 200],
      ['SecretSet', 403],
      ['Authentication', 401],
      ['SecretSet', 200],
      ['SecretSet', 200],
      ['SecretSet', 429],
    ])
    expect(mine[0]).toMatchObject({ challenge: true, resultType: 'Failure', resultSignature: 'Unauthorized' })
    expect(mine[0]?.denied).toBeUndefined()
    expect(mine[2]).toMatchObject({ denied: 'rbac', resultDescription: 'Forbidden/ForbiddenByRbac', properties: { isRbacAuthorized: false }, identity: { claim: { oid: em.principal('auditor').objectId } } })
    expect(mine[6]).toMatchObject({ throttled: true, resultSignature: 'TooManyRequests', resultDescription: 'Throttled' })

    expect(em.counters()).toEqual({
      Authentication: { total: 2, byStatus: { '401': 2 } },
      SecretGet: { total: 1, byStatus: { '200': 1 } },
      SecretSet: { total: 4, byStatus: { '200': 2, '403': 1, '429': 1 } },
    })
    expect(em.audit({ principalId: em.principal('auditor').objectId }).map((e) => e.operationName)).toEqual(['SecretGet', 'SecretSet'])
    expect(em.audit({ throttled: true })).toHaveLength(1)
    expect(em.audit({ denied: true }).map((e) => e.denied)).toEqual(['rbac'])
    em.control.resetCounters()
    expect(em.counters()).toEqual({})
  })

  it('writes the same records as JSON lines, with no secret values, tokens or client secrets', async () => {
    const token = await adminToken(em)
    const inMemory = em.audit()
    await em.stop()
    stopped = true
    const text = await readFile(file, 'utf8')
    const lines = text.trimEnd().split('\n')
    expect(lines).toHaveLength(inMemory.length)
    expect(lines.map((l) => JSON.parse(l) as AuditEvent)).toEqual(inMemory)
    expect(text).not.toContain(VALUE)
    expect(text).not.toContain(token)
    expect(text).not.toContain('eyJ')
    expect(text).not.toContain(em.principal('auditor').clientSecret as string)
  })
})
