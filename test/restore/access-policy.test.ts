/**
 * Restoring into a vault on the access-policy permission model (emulator `permissionModel: accessPolicy`, official
 * SDK seeding and checks, kvdr over HTTPS): an identity whose policy lacks `secrets: set` gets one error per object
 * naming the access-policy permission (and the data action and role), nothing is written and the run exits 1
 * (nothing could be done); an identity whose policy has it restores every value. No value in any result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import type { RestoreRun } from '../../src/restore/restore.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, newRepo, type TestRepo } from '../backup/support.js'
import { rejection } from '../recover/support.js'
import { restore, writesIn } from './support.js'

const VALUES = { 'db-password': 'policy-db-value-1', 'api-token': 'policy-api-value-2' } as const
const NAMES = Object.keys(VALUES) as Array<keyof typeof VALUES>

let f: VaultFixture
let t: TestRepo

const noValues = (r: RestoreRun): void => {
  const text = JSON.stringify(r)
  for (const v of Object.values(VALUES)) expect(text).not.toContain(v)
}

beforeAll(async () => {
  f = await startVaultFixture({
    principals: [{ name: 'policy-reader' }, { name: 'policy-writer' }],
    vaults: [
      { name: 'kv-primary', region: 'westeurope' },
      // Another geography, so secrets go by value (setSecret), on the legacy permission model.
      {
        name: 'kv-legacy',
        region: 'eastus',
        permissionModel: 'accessPolicy',
        accessPolicies: [
          { principal: 'policy-reader', permissions: { secrets: ['get', 'list'] } },
          { principal: 'policy-writer', permissions: { secrets: ['get', 'list', 'set'] } },
        ],
      },
    ],
  })
  for (const name of NAMES) await f.secrets().setSecret(name, VALUES[name], { tags: { app: 'billing' } })
  f.em.clock.advance(2000)
  t = await newRepo()
  expect((await backup(f, t.repo, { kinds: ['secret'] })).exitCode).toBe(ExitCode.Success)
})
afterAll(() => f?.stop())

describe('restore into an access-policy vault', () => {
  it('without "secrets: set": each object fails naming the access-policy permission; nothing written; exit 1', async () => {
    const mark = f.audit.length
    const r = await restore(f, t.repo, 'kv-legacy', { credential: f.em.credentialFor('policy-reader') })
    expect(r.plan.target.relation).toBe('different')
    expect(r.plan.permissions).toEqual([expect.objectContaining({ kind: 'secret', readable: true, writeNeeds: expect.arrayContaining(['Microsoft.KeyVault/vaults/secrets/setSecret/action']) })])
    expect(r.plan.objects.map((o) => [o.name, o.action, o.method]).sort()).toEqual([['api-token', 'create', 'value'], ['db-password', 'create', 'value']])
    expect(r.outcomes).toHaveLength(2)
    for (const o of r.outcomes ?? []) {
      expect(o).toMatchObject({ status: 'error', code: 'VAULT_FORBIDDEN', written: 0 })
      expect(o.message).toContain(`Permission denied: secrets.set on secret/${o.name}`)
      expect(o.message).toContain('on access-policy vaults: secrets: set')
      expect(o.message).toContain('Microsoft.KeyVault/vaults/secrets/setSecret/action')
      expect(o.message).toContain('Key Vault Secrets Officer')
    }
    expect(r.summary).toMatchObject({ done: 0, errors: 2 })
    expect(r.exitCode).toBe(ExitCode.Failure)
    // Key Vault's access-policy check refused each write; none went through.
    const writes = writesIn(f.audit, 'kv-legacy', mark)
    expect(writes.length).toBeGreaterThanOrEqual(2)
    expect(writes.every((w) => w.operationName === 'SecretSet' && w.resultSignature === 403 && w.innerErrorCode === 'ForbiddenByPolicy')).toBe(true)
    for (const name of NAMES) expect((await rejection(f.secrets('kv-legacy').getSecret(name))).statusCode).toBe(404)
    noValues(r)
  })

  it('with "secrets: set": every value restored (read back through the SDK), and a re-run finds them identical', async () => {
    const writer = f.em.credentialFor('policy-writer')
    const r = await restore(f, t.repo, 'kv-legacy', { credential: writer })
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.outcomes?.map((o) => [o.name, o.status]).sort()).toEqual([['api-token', 'done'], ['db-password', 'done']])
    for (const name of NAMES) {
      const s = await f.secrets('kv-legacy').getSecret(name)
      expect(s.value).toBe(VALUES[name])
      expect(s.properties.tags).toEqual({ app: 'billing' })
    }
    const again = await restore(f, t.repo, 'kv-legacy', { credential: writer })
    expect(again.exitCode).toBe(ExitCode.Success)
    expect(again.outcomes?.map((o) => o.status)).toEqual(['skipped', 'skipped'])
    noValues(r)
    noValues(again)
  })
})
