/**
 * Managed identities: `new DefaultAzureCredential()` in a child process whose environment holds ONLY the variables
 * the emulator documents (IMDS form: AZURE_POD_IDENTITY_AUTHORITY_HOST; App Service form: IDENTITY_ENDPOINT +
 * IDENTITY_HEADER; AZURE_CLIENT_ID for a user-assigned identity; NODE_EXTRA_CA_CERTS) gets tokens from the emulator
 * and the official SecretClient works with them. The endpoints refuse what Azure's refuse.
 */
import { execFile } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { secretClient, startTestEmulator } from '../support/emulator.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHILD_DIR = join(ROOT, '.tmp', `dac-${process.pid}`)
const CHILD = join(CHILD_DIR, 'dac-child.mjs')

// Runs in the child: DefaultAzureCredential from the environment, the localhost vault URL, one SDK call.
const CHILD_SOURCE = `
import { DefaultAzureCredential } from '@azure/identity'
import { SecretClient } from '@azure/keyvault-secrets'
const [url, action, name] = process.argv.slice(2)
const client = new SecretClient(url, new DefaultAzureCredential(), { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } })
if (action === 'set') await client.setSecret(name, 'written by a managed identity')
const got = await client.getSecret(name)
console.log(JSON.stringify({ value: got.value }))
`

let em: EmulatorHandle

beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [{ name: 'kv-mi' }],
    principals: [
      { name: 'vm-identity', type: 'managedIdentity', systemAssigned: true },
      { name: 'job-identity', type: 'managedIdentity' },
    ],
    roleAssignments: [
      { principal: 'vm-identity', role: 'Key Vault Secrets Officer', scope: 'kv-mi' },
      { principal: 'job-identity', role: 'Key Vault Secrets User', scope: 'kv-mi' },
    ],
  })
  await mkdir(CHILD_DIR, { recursive: true })
  await writeFile(CHILD, CHILD_SOURCE)
})
afterAll(async () => {
  await em?.stop()
  await rm(CHILD_DIR, { recursive: true, force: true })
})

async function runChild(env: Record<string, string>, action: 'set' | 'get', name: string): Promise<{ value?: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, em.vault('kv-mi').url, action, name], { cwd: ROOT, env, timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as { value?: string }
}

function getPlain(url: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let t = ''
      res.on('data', (c: Buffer) => (t += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(t) as Record<string, unknown> }))
    })
      .on('error', reject)
      .end()
  })
}

describe('DefaultAzureCredential with only the documented variables', () => {
  it('works as the system-assigned identity through the IMDS form and as a user-assigned one through the App Service form', async () => {
    await secretClient(em, 'kv-mi').setSecret('for-the-job', 'read by a user-assigned identity')
    const imdsEnv = em.managedIdentityEnv('imds')
    const appServiceEnv = em.managedIdentityEnv('appService', 'job-identity')
    expect(Object.keys(imdsEnv).sort()).toEqual(['AZURE_POD_IDENTITY_AUTHORITY_HOST', 'NODE_EXTRA_CA_CERTS'])
    expect(Object.keys(appServiceEnv).sort()).toEqual(['AZURE_CLIENT_ID', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'NODE_EXTRA_CA_CERTS'])

    const [vm, job] = await Promise.all([runChild(imdsEnv, 'set', 'from-the-vm'), runChild(appServiceEnv, 'get', 'for-the-job')])
    expect(vm.value).toBe('written by a managed identity')
    expect(job.value).toBe('read by a user-assigned identity')

    const oid = (operation: string, status: number): (string | undefined)[] => em.audit({ vault: 'kv-mi', operationName: operation, status }).map((e) => e.identity?.claim.oid)
    expect(oid('SecretSet', 200)).toContain(em.principal('vm-identity').objectId)
    expect(oid('SecretGet', 200)).toEqual(expect.arrayContaining([em.principal('vm-identity').objectId, em.principal('job-identity').objectId]))
  })
})

describe('the managed-identity endpoints', () => {
  it('answer IMDS token requests only with the Metadata header, for a configured identity, and name the caller in the token', async () => {
    const base = `${em.managedIdentity.imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent('https://vault.azure.net')}`
    expect((await getPlain(base, {})).body).toEqual({ error: 'invalid_request', error_description: 'Required metadata header not specified' })
    const unknown = await getPlain(`${base}&client_id=00000000-0000-4000-8000-000000000000`, { Metadata: 'true' })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error_description).toMatch(/^Identity not found/)
    const ok = await getPlain(`${base}&client_id=${em.principal('job-identity').clientId}`, { Metadata: 'true' })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ token_type: 'Bearer', resource: 'https://vault.azure.net', client_id: em.principal('job-identity').clientId })
    const claims = JSON.parse(Buffer.from((ok.body.access_token as string).split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>
    expect(claims).toMatchObject({ oid: em.principal('job-identity').objectId, appidacr: '2', aud: 'https://vault.azure.net' })
  })

  it('refuse App Service requests without the right X-IDENTITY-HEADER', async () => {
    const url = `${em.managedIdentity.appService}?api-version=2019-08-01&resource=${encodeURIComponent('https://vault.azure.net')}`
    expect((await getPlain(url, { 'X-IDENTITY-HEADER': 'wrong' })).status).toBe(401)
    expect((await getPlain(url, {})).status).toBe(401)
  })
})
