/**
 * Restoring secrets end to end (official SDK seeding, kvdr's vault layer over HTTPS, the emulator): the plan and
 * --dry-run (the audit log shows no write), native restore into the same vault and into another vault of the same
 * world (original version ids), value restore into another geography and another subscription (values, attributes,
 * tags and content types equal to the source's; disabled versions reported), re-runs that skip identical objects,
 * and no value in any result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsOf } from '../../src/emulator/index.js'
import { ExitCode } from '../../src/core/errors.js'
import type { RestoreRun } from '../../src/restore/restore.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, newRepo, type TestRepo } from '../backup/support.js'
import { addOtherSubscriptionVault, restore, writesIn } from './support.js'

const VALUES = ['db-pw-1-value', 'db-pw-2-value', 'db-pw-3-value', 'token-old-value', 'token-new-value', 'plain-value-x']

let f: VaultFixture
let t: TestRepo
let otherSub: string

/** Every version of `name` in `vault` as the emulator holds it (oldest first), without ids and times. */
function content(vault: string, name: string): Array<Record<string, unknown>> {
  return ordered(secretsOf(f.em.model(vault)).listVersions(name))
    .map((v) => ({ value: v.payload.value, contentType: v.payload.contentType, enabled: v.attributes.enabled, nbf: v.attributes.nbf, exp: v.attributes.exp, tags: v.tags ?? {} }))
}
/** Versions in creation order: by time, and within a second by the previousVersion chain. */
function ordered<V extends { version: string; previousVersion?: string; attributes: { created: number } }>(versions: V[]): V[] {
  const rank = new Map<string, number>()
  const depth = (v: V): number => {
    const known = rank.get(v.version)
    if (known !== undefined) return known
    const prev = versions.find((p) => p.version === v.previousVersion)
    const d = prev ? depth(prev) + 1 : 0
    rank.set(v.version, d)
    return d
  }
  return [...versions].sort((a, b) => a.attributes.created - b.attributes.created || depth(a) - depth(b))
}
const ids = (vault: string, name: string): string[] => secretsOf(f.em.model(vault)).listVersions(name).map((v) => v.version).sort()
const noValues = (r: RestoreRun): void => {
  const text = JSON.stringify(r)
  for (const v of VALUES) expect(text).not.toContain(v)
}

beforeAll(async () => {
  f = await startVaultFixture()
  const c = f.secrets()
  await c.setSecret('db-password', VALUES[0] as string, { tags: { env: 'prod' } })
  f.em.clock.advance(1000)
  await c.setSecret('db-password', VALUES[1] as string, { tags: { env: 'prod', rotated: 'yes' }, contentType: 'text/plain' })
  f.em.clock.advance(1000)
  await c.setSecret('db-password', VALUES[2] as string, { tags: { env: 'prod' }, notBefore: new Date('2030-01-01T00:00:00Z'), expiresOn: new Date('2031-01-01T00:00:00Z') })
  const old = await c.setSecret('api-token', VALUES[3] as string)
  f.em.clock.advance(1000)
  await c.setSecret('api-token', VALUES[4] as string, { contentType: 'application/json' })
  await c.updateSecretProperties('api-token', old.properties.version as string, { enabled: false })
  await c.setSecret('plain', VALUES[5] as string)
  f.em.clock.advance(2000)
  t = await newRepo()
  expect((await backup(f, t.repo, { kinds: ['secret'] })).exitCode).toBe(ExitCode.Success)
  otherSub = await addOtherSubscriptionVault(f)
})
afterAll(() => f.stop())

describe('restore of secrets', () => {
  it('plans an unchanged vault as all identical and a dry run writes nothing (audit log)', async () => {
    const mark = f.audit.length
    const r = await restore(f, t.repo, 'kv-primary', { dryRun: true })
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.plan.target.relation).toBe('same')
    expect(r.plan.objects.map((o) => [o.name, o.action]).sort()).toEqual([['api-token', 'skip'], ['db-password', 'skip'], ['plain', 'skip']])
    expect(writesIn(f.audit, 'kv-primary', mark)).toEqual([])
    noValues(r)
  })

  it('plans native into the same world and values into another geography, with reasons, and writes nothing', async () => {
    const mark = f.audit.length
    const dr = await restore(f, t.repo, 'kv-dr', { dryRun: true })
    expect(dr.plan.target.world).toMatchObject({ region: 'northeurope', geography: 'Europe' })
    expect(dr.plan.objects.every((o) => o.action === 'create' && o.method === 'native')).toBe(true)
    const us = await restore(f, t.repo, 'kv-us', { dryRun: true })
    expect(us.plan.target.relation).toBe('different')
    const db = us.plan.objects.find((o) => o.name === 'db-password')
    expect(db).toMatchObject({ action: 'create', method: 'value', versions: 3 })
    expect(db?.reason).toContain('native blob bound to subscription')
    expect(db?.reason).toContain('geography United States')
    const token = us.plan.objects.find((o) => o.name === 'api-token')
    expect(token).toMatchObject({ action: 'create', method: 'value', versions: 1 })
    expect(token?.notes.join(' ')).toContain('only a native restore brings it back')
    const native = await restore(f, t.repo, 'kv-us', { dryRun: true, mode: 'native' })
    expect(native.plan.objects.every((o) => o.action === 'impossible')).toBe(true)
    expect(native.exitCode).toBe(ExitCode.Failure)
    expect(writesIn(f.audit, 'kv-dr', mark)).toEqual([])
    expect(writesIn(f.audit, 'kv-us', mark)).toEqual([])
  })

  it('restores natively into the same vault after a purge: original version ids, every field equal', async () => {
    const before = { content: content('kv-primary', 'plain'), ids: ids('kv-primary', 'plain') }
    const c = f.secrets()
    await (await c.beginDeleteSecret('plain', FAST_POLL)).pollUntilDone()
    await c.purgeDeletedSecret('plain')
    const r = await restore(f, t.repo, 'kv-primary')
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.outcomes?.find((o) => o.name === 'plain')).toMatchObject({ action: 'create', method: 'native', status: 'done' })
    expect(r.outcomes?.filter((o) => o.status === 'skipped').map((o) => o.name).sort()).toEqual(['api-token', 'db-password'])
    expect(ids('kv-primary', 'plain')).toEqual(before.ids)
    expect(content('kv-primary', 'plain')).toEqual(before.content)
    noValues(r)
  })

  it('restores natively into another vault of the same world with the original version ids', async () => {
    const r = await restore(f, t.repo, 'kv-dr')
    expect(r.exitCode).toBe(ExitCode.Success)
    for (const name of ['db-password', 'api-token', 'plain']) {
      expect(ids('kv-dr', name)).toEqual(ids('kv-primary', name))
      expect(content('kv-dr', name)).toEqual(content('kv-primary', name))
    }
    const again = await restore(f, t.repo, 'kv-dr')
    expect(again.outcomes?.every((o) => o.status === 'skipped')).toBe(true)
  })

  it('restores by value into another geography and another subscription: every readable version, oldest first', async () => {
    for (const vault of ['kv-us', otherSub]) {
      const r = await restore(f, t.repo, vault)
      expect(r.plan.target.relation).toBe('different')
      expect(r.exitCode).toBe(ExitCode.Success)
      expect(content(vault, 'db-password')).toEqual(content('kv-primary', 'db-password'))
      expect(content(vault, 'plain')).toEqual(content('kv-primary', 'plain'))
      // The disabled version cannot be read, so only the enabled one comes back (and the plan said so).
      expect(content(vault, 'api-token')).toEqual(content('kv-primary', 'api-token').filter((v) => v.enabled))
      expect(r.outcomes?.find((o) => o.name === 'api-token')?.status).toBe('warning')
      noValues(r)
      const again = await restore(f, t.repo, vault)
      expect(again.outcomes?.map((o) => o.action)).toEqual(['skip', 'skip', 'skip'])
      expect(secretsOf(f.em.model(vault)).listVersions('db-password')).toHaveLength(3)
    }
  })

  it('into an unknown world: auto tries native and falls back to values when Key Vault cannot decrypt the blob', async () => {
    const vault = await addOtherSubscriptionVault(f, 'kv-unknownsub')
    const native = await restore(f, t.repo, vault, { targetSubscription: undefined, mode: 'native', dryRun: true })
    expect(native.plan.target.relation).toBe('unknown')
    expect(native.plan.target.assumptions.join(' ')).toContain('pass --to-subscription')
    expect(native.plan.objects.every((o) => o.action === 'impossible')).toBe(true)
    const r = await restore(f, t.repo, vault, { targetSubscription: undefined })
    const db = r.outcomes?.find((o) => o.name === 'db-password')
    expect(db).toMatchObject({ action: 'create', method: 'native', fallback: 'value', status: 'warning' })
    expect(db?.message).toContain('could not decrypt the native blob here')
    expect(content(vault, 'db-password')).toEqual(content('kv-primary', 'db-password'))
    expect(r.exitCode).toBe(ExitCode.Success)
    noValues(r)
  })
})
