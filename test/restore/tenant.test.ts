/**
 * Restoring into a vault of another tenant (emulator vault with its own tenantId and subscription, official SDK
 * seeding and checks, kvdr over HTTPS). The identity is a service principal of that tenant (Key Vault Secrets
 * Officer on the target) through @azure/identity's ClientSecretCredential, which takes the tenant from the target's
 * challenge; the snapshot was taken in the default tenant. The plan names both tenants and calls the world
 * different, secrets go by value (read back equal, and a re-run finds every version by keyed fingerprint). A wrong
 * --to-subscription equal to the snapshot's does not make the worlds the same: the tenant alone tells them apart.
 * An identity bound to the snapshot's tenant is refused before anything is written (VAULT_AUTH, exit 20).
 */
import { Agent } from 'node:https'
import { ClientSecretCredential } from '@azure/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import type { RestoreRun } from '../../src/restore/restore.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, newRepo, type TestRepo } from '../backup/support.js'
import { OTHER_SUBSCRIPTION, restore, SUBSCRIPTION, writesIn } from './support.js'

const OTHER_TENANT = '3b9d4f2e-6c1a-4e8b-a5d7-0f2c4e6a8b1d'
const VALUES = ['tenant-db-value-1', 'tenant-db-value-2', 'tenant-api-value-3']

let f: VaultFixture
let t: TestRepo
let homeTenant: string

const noValues = (r: RestoreRun): void => {
  const text = JSON.stringify(r)
  for (const v of VALUES) expect(text).not.toContain(v)
}
/**
 * Every version's value, content type and tags of `name` in `vault` through the official SecretClient, in a fixed
 * order (value restores create versions within one second, so creation times cannot order them), plus the current one.
 */
async function versions(vault: string, name: string): Promise<{ all: string[]; current?: string }> {
  const c = f.secrets(vault)
  const all: string[] = []
  for await (const p of c.listPropertiesOfSecretVersions(name)) {
    const s = await c.getSecret(name, { version: p.version as string })
    all.push(JSON.stringify([s.value, p.contentType ?? null, p.tags ?? {}]))
  }
  const current = (await c.getSecret(name)).value
  return { all: all.sort(), ...(current === undefined ? {} : { current }) }
}
/** A real @azure/identity credential of a configured service principal (client credentials at the emulator). */
function clientSecretCredential(name: string, tenantId?: string): ClientSecretCredential {
  const p = f.em.principal(name)
  return new ClientSecretCredential(tenantId ?? p.tenantId, p.clientId, p.clientSecret as string, { authorityHost: f.em.authorityHost, disableInstanceDiscovery: true, agent: new Agent({ ca: f.em.caPem }) })
}

beforeAll(async () => {
  f = await startVaultFixture({
    principals: [{ name: 'other-tenant-sp', tenantId: OTHER_TENANT }, { name: 'home-sp' }],
    roleAssignments: [
      { principal: 'other-tenant-sp', role: 'Key Vault Secrets Officer', scope: 'kv-tenant-b' },
      { principal: 'home-sp', role: 'Key Vault Secrets Officer', scope: '/' },
    ],
    vaults: [
      { name: 'kv-primary', region: 'westeurope' },
      // Same region and geography as the source: only the tenant (and its subscription) differ.
      { name: 'kv-tenant-b', region: 'westeurope', tenantId: OTHER_TENANT, subscriptionId: OTHER_SUBSCRIPTION },
    ],
  })
  homeTenant = f.em.vault('kv-primary').tenantId
  expect(homeTenant.toLowerCase()).not.toBe(OTHER_TENANT)
  const c = f.secrets()
  await c.setSecret('db-password', VALUES[0] as string, { tags: { v: '1' } })
  f.em.clock.advance(1000)
  await c.setSecret('db-password', VALUES[1] as string, { tags: { v: '2' }, contentType: 'text/plain' })
  await c.setSecret('api-key', VALUES[2] as string)
  f.em.clock.advance(2000)
  t = await newRepo()
  expect((await backup(f, t.repo, { kinds: ['secret'] })).exitCode).toBe(ExitCode.Success)
})
afterAll(() => f?.stop())

describe('restore into another tenant', () => {
  it('plans a different world naming both tenants, and values for every secret (dry run writes nothing)', async () => {
    const mark = f.audit.length
    const r = await restore(f, t.repo, 'kv-tenant-b', { credential: clientSecretCredential('other-tenant-sp'), dryRun: true })
    expect(r.plan.snapshot.world.tenantId?.toLowerCase()).toBe(homeTenant.toLowerCase())
    expect(r.plan.target.world).toMatchObject({ tenantId: OTHER_TENANT, subscriptionId: OTHER_SUBSCRIPTION, geography: 'Europe' })
    expect(r.plan.target.relation).toBe('different')
    for (const o of r.plan.objects) {
      expect(o).toMatchObject({ action: 'create', method: 'value' })
      expect(o.reason).toContain(`target is in tenant ${OTHER_TENANT}, the snapshot's vault in ${r.plan.snapshot.world.tenantId}`)
    }
    expect(r.plan.objects.find((o) => o.name === 'db-password')?.versions).toBe(2)
    expect(writesIn(f.audit, 'kv-tenant-b', mark)).toEqual([])
    noValues(r)
  })

  it('a --to-subscription equal to the snapshot\'s does not hide the other tenant: still different, by value', async () => {
    const r = await restore(f, t.repo, 'kv-tenant-b', { credential: clientSecretCredential('other-tenant-sp'), targetSubscription: SUBSCRIPTION, dryRun: true })
    expect(r.plan.target.relation).toBe('different')
    expect(r.plan.objects.every((o) => o.method === 'value' && o.reason.includes(`target is in tenant ${OTHER_TENANT}`))).toBe(true)
    expect(r.plan.objects.every((o) => !o.reason.includes('target is in subscription'))).toBe(true)
  })

  it('restores every version by value as the other tenant\'s identity; read back equal, a re-run skips by fingerprint', async () => {
    const credential = clientSecretCredential('other-tenant-sp')
    const r = await restore(f, t.repo, 'kv-tenant-b', { credential })
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.outcomes?.map((o) => [o.name, o.method, o.status]).sort()).toEqual([['api-key', 'value', 'done'], ['db-password', 'value', 'done']])
    for (const name of ['db-password', 'api-key']) expect(await versions('kv-tenant-b', name)).toEqual(await versions('kv-primary', name))
    expect((await versions('kv-tenant-b', 'db-password')).current).toBe(VALUES[1])
    // The writes were made in the other tenant, as its service principal.
    const sp = f.em.principal('other-tenant-sp')
    const sets = writesIn(f.audit, 'kv-tenant-b').filter((w) => w.operationName === 'SecretSet')
    expect(sets).toHaveLength(3)
    expect(sets.every((w) => w.resultSignature === 200 && w.principalId === sp.objectId)).toBe(true)
    const again = await restore(f, t.repo, 'kv-tenant-b', { credential })
    expect(again.exitCode).toBe(ExitCode.Success)
    expect(again.outcomes?.map((o) => [o.name, o.action, o.status]).sort()).toEqual([['api-key', 'skip', 'skipped'], ['db-password', 'skip', 'skipped']])
    noValues(r)
    noValues(again)
  })

  it('an identity bound to the snapshot\'s tenant cannot authenticate there: the run stops with VAULT_AUTH (exit 20)', async () => {
    const mark = f.audit.length
    const err = await restore(f, t.repo, 'kv-tenant-b', { credential: clientSecretCredential('home-sp', homeTenant) }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; exitCode?: number; message?: string },
    )
    expect(err).toMatchObject({ code: 'VAULT_AUTH', exitCode: ExitCode.Auth })
    expect(err?.message).toContain(`not configured to acquire tokens for tenant ${OTHER_TENANT}`)
    expect(writesIn(f.audit, 'kv-tenant-b', mark)).toEqual([])
  })
})
