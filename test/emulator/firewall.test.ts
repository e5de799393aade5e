/**
 * Network rules: a vault with defaultAction Deny lets through only its IP rules (addresses and CIDR ranges).
 * Clients bind to other loopback addresses (all of 127.0.0.0/8 is loopback on Linux) to be "elsewhere", and get
 * Key Vault's 403 ForbiddenByFirewall naming the client address, the caller and the vault.
 */
import { Agent } from 'node:https'
import { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorLookup, type EmulatorHandle } from '../../src/emulator/index.js'
import { startTestEmulator } from '../support/emulator.js'

let em: EmulatorHandle
const agents: Agent[] = []

beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [
      { name: 'kv-fenced', networkAcls: { defaultAction: 'Deny', ipRules: ['127.0.0.1', '127.0.1.0/24'] } },
      { name: 'kv-open-net' },
    ],
  })
})
afterAll(async () => {
  for (const a of agents) a.destroy()
  await em?.stop()
})

/** A SecretClient whose connections come from `localAddress`. */
function clientFrom(vault: string, localAddress: string): SecretClient {
  const agent = new Agent({ ca: em.caPem, lookup: emulatorLookup('127.0.0.1'), localAddress })
  agents.push(agent)
  return new SecretClient(em.vault(vault).hostUrl, em.credential, { agent, retryOptions: { maxRetries: 0 } })
}

describe('network rules', () => {
  it('let the listed address and range through', async () => {
    await clientFrom('kv-fenced', '127.0.0.1').setSecret('inside', 'v')
    expect((await clientFrom('kv-fenced', '127.0.1.77').getSecret('inside')).value).toBe('v')
  })

  it('refuse other addresses with ForbiddenByFirewall, naming the client address, the caller and the vault', async () => {
    const err = await clientFrom('kv-fenced', '127.0.0.2').setSecret('outside', 'v').then(
      () => undefined,
      (e: unknown) => e as { statusCode?: number; code?: string; message: string; details?: unknown },
    )
    expect(err?.statusCode).toBe(403)
    expect(err?.code).toBe('Forbidden')
    const admin = em.principal('kvdr-emulator-admin')
    expect(err?.message).toBe(
      `Client address is not authorized and caller is not a trusted service.\r\nClient address: 127.0.0.2\r\nCaller: appid=${admin.clientId};oid=${admin.objectId};iss=https://sts.windows.net/${admin.tenantId}/\r\nVault: kv-fenced;location=westeurope`,
    )
    expect((err?.details as { error?: { innerError?: { code?: string } } })?.error?.innerError?.code).toBe('ForbiddenByFirewall')
    // Refused before anything was done; the audit log says who and why.
    await expect(clientFrom('kv-fenced', '127.0.0.1').getSecret('outside')).rejects.toMatchObject({ statusCode: 404 })
    const denied = em.audit({ vault: 'kv-fenced', denied: true })
    expect(denied.at(-1)).toMatchObject({ callerIpAddress: '127.0.0.2', denied: 'firewall', operationName: 'SecretSet', properties: { httpStatusCode: 403 } })
  })

  it('leave vaults without rules open to every address', async () => {
    await clientFrom('kv-open-net', '127.0.0.9').setSecret('anywhere', 'v')
    expect((await clientFrom('kv-open-net', '127.0.0.10').getSecret('anywhere')).value).toBe('v')
  })
})
