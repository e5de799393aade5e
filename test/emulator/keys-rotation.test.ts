/**
 * Key rotation with the official KeyClient: rotate now, rotation policies (defaults, validation), and policies that
 * act when the emulator clock passes their trigger: new versions dated when they were due, Notify recorded.
 */
import type { KeyClient } from '@azure/keyvault-keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyLifetimeEvents, type EmulatorHandle } from '../../src/emulator/index.js'
import { FAST_POLL, keyClient, startTestEmulator } from '../support/emulator.js'

const DAY = 86_400_000

let em: EmulatorHandle
let client: KeyClient
beforeAll(async () => {
  em = await startTestEmulator({ vaults: [{ name: 'kv-rot', region: 'westeurope' }, { name: 'kv-rot-dr', region: 'northeurope' }] })
  client = keyClient(em, 'kv-rot')
})
afterAll(async () => {
  await em?.stop()
})

async function rejection(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect((err as Error | undefined)?.name).toBe('RestError')
  return err as { statusCode?: number; message: string }
}

async function versionsOf(name: string): Promise<{ version: string; created: number; expires?: number }[]> {
  const out = []
  for await (const p of client.listPropertiesOfKeyVersions(name)) {
    out.push({ version: p.version as string, created: p.createdOn?.getTime() as number, ...(p.expiresOn ? { expires: p.expiresOn.getTime() } : {}) })
  }
  return out.sort((a, b) => a.created - b.created)
}

describe('rotate now', () => {
  it('makes a new version of the same type and curve or size, with the same key_ops and tags', async () => {
    const ec = await client.createEcKey('rot-ec', { curve: 'P-384', tags: { app: 'x' }, keyOps: ['sign'] })
    const rotated = await client.rotateKey('rot-ec')
    expect(rotated.properties.version).not.toBe(ec.properties.version)
    expect([rotated.keyType, rotated.key?.crv, rotated.keyOperations, rotated.properties.tags]).toEqual(['EC', 'P-384', ['sign'], { app: 'x' }])
    expect(rotated.key?.x).not.toEqual(ec.key?.x)
    const rsa = await client.createRsaKey('rot-rsa', { hsm: true })
    const rsaRotated = await client.rotateKey('rot-rsa')
    expect([rsaRotated.keyType, rsaRotated.key?.n?.length]).toEqual(['RSA-HSM', 256])
    expect(rsaRotated.key?.n).not.toEqual(rsa.key?.n)
    expect((await versionsOf('rot-ec')).length).toBe(2)
    expect((await rejection(client.rotateKey('never-was'))).statusCode).toBe(404)
  })
})

describe('rotation policies', () => {
  it('reports the default Notify action for a key that has no policy, and 404 for an unknown key', async () => {
    await client.createKey('rot-default', 'EC')
    const policy = await client.getKeyRotationPolicy('rot-default')
    expect(policy.lifetimeActions).toEqual([{ action: 'Notify', timeBeforeExpiry: 'P30D', timeAfterCreate: undefined }])
    expect([policy.id, policy.createdOn, policy.expiresIn]).toEqual([undefined, undefined, undefined])
    const missing = await rejection(client.getKeyRotationPolicy('no-such-key'))
    expect([missing.statusCode, missing.code]).toEqual([404, 'KeyNotFound'])
  })

  it('stores a policy, adds the default Notify action, keeps created across updates, and refuses invalid policies', async () => {
    await client.createKey('rot-policy', 'EC')
    const set = await client.updateKeyRotationPolicy('rot-policy', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }], expiresIn: 'P1Y' })
    expect(set.id).toBe(`${em.vault('kv-rot').hostUrl}/keys/rot-policy/rotationpolicy`)
    expect(set.lifetimeActions?.map((a) => [a.action, a.timeAfterCreate ?? a.timeBeforeExpiry])).toEqual([['Rotate', 'P90D'], ['Notify', 'P30D']])
    expect(set.expiresIn).toBe('P1Y')
    em.clock.advance(60_000)
    const updated = await client.updateKeyRotationPolicy('rot-policy', { lifetimeActions: [{ action: 'Notify', timeBeforeExpiry: 'P10D' }] })
    expect(updated.lifetimeActions?.map((a) => a.action)).toEqual(['Notify'])
    expect(updated.createdOn?.getTime()).toBe(set.createdOn?.getTime())
    expect((updated.updatedOn?.getTime() ?? 0) - (set.updatedOn?.getTime() ?? 0)).toBeGreaterThanOrEqual(60_000)
    expect((await client.getKeyRotationPolicy('rot-policy')).lifetimeActions).toEqual(updated.lifetimeActions)

    const invalid: [Parameters<KeyClient['updateKeyRotationPolicy']>[1], string][] = [
      [{ expiresIn: 'P7D' }, 'attributes.expiryTime must be at least 28 days.'],
      [{ lifetimeActions: [{ action: 'Notify', timeAfterCreate: 'P30D' }] }, "lifetimeActions[0]: 'timeAfterCreate' applies only to the Rotate action; a Notify action takes 'timeBeforeExpiry'."],
      [{ lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }, { action: 'Rotate', timeAfterCreate: 'P60D' }] }, 'A rotation policy may have at most one Rotate action.'],
      [{ lifetimeActions: [{ action: 'Rotate', timeAfterCreate: '30 days' }] }, 'lifetimeActions[0].trigger.timeAfterCreate must be an ISO 8601 duration such as P90D, P3M or P1Y10D; got "30 days".'],
      [{ lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P2D' }] }, 'lifetimeActions[0].trigger.timeAfterCreate must be at least 7 days.'],
      [{ lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P85D' }], expiresIn: 'P90D' }, 'The Rotate action must rotate at least 7 days after creation and 7 days before expiry (attributes.expiryTime P90D).'],
    ]
    for (const [policy, message] of invalid) {
      const err = await rejection(client.updateKeyRotationPolicy('rot-policy', policy))
      expect([err.statusCode, err.message]).toEqual([400, message])
    }
    expect((await client.getKeyRotationPolicy('rot-policy')).lifetimeActions).toEqual(updated.lifetimeActions)
  })
})

describe('policies that act when the clock moves', () => {
  it('rotates after timeAfterCreate, once per missed period, each version dated when it was due with exp from expiryTime', async () => {
    const first = await client.createKey('auto-after', 'EC', { tags: { rotated: 'by-policy' } })
    await client.updateKeyRotationPolicy('auto-after', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P90D' })
    const created = first.properties.createdOn?.getTime() as number
    em.clock.advance(29 * DAY)
    expect((await versionsOf('auto-after')).length).toBe(1)
    em.clock.advance(2 * DAY)
    const afterOne = await versionsOf('auto-after')
    expect(afterOne.map((v) => v.created - created)).toEqual([0, 30 * DAY])
    expect((afterOne[1]?.expires ?? 0) - (afterOne[1]?.created ?? 0)).toBe(90 * DAY)
    const latest = await client.getKey('auto-after')
    expect([latest.properties.version, latest.properties.tags, latest.key?.crv]).toEqual([afterOne[1]?.version, { rotated: 'by-policy' }, 'P-256'])
    expect(latest.key?.x).not.toEqual(first.key?.x)

    em.clock.advance(65 * DAY)
    const [viaGet, viaList] = await Promise.all([client.getKey('auto-after'), versionsOf('auto-after')])
    expect(viaList.map((v) => v.created - created)).toEqual([0, 30 * DAY, 60 * DAY, 90 * DAY])
    expect(viaGet.properties.version).toBe(viaList[3]?.version)
    expect(keyLifetimeEvents(em.model('kv-rot'), 'auto-after').filter((e) => e.action === 'Rotate').map((e) => e.dueAt - created)).toEqual([30 * DAY, 60 * DAY, 90 * DAY])
  })

  it('rotates timeBeforeExpiry before the version expires, and records the Notify action once it is due', async () => {
    const exp = new Date(Math.floor((em.clock.now() + 45 * DAY) / 1000) * 1000)
    const key = await client.createKey('auto-before', 'EC', { expiresOn: exp })
    await client.updateKeyRotationPolicy('auto-before', {
      lifetimeActions: [{ action: 'Rotate', timeBeforeExpiry: 'P10D' }, { action: 'Notify', timeBeforeExpiry: 'P20D' }],
      expiresIn: 'P60D',
    })
    em.clock.advance(26 * DAY)
    expect((await versionsOf('auto-before')).length).toBe(1)
    const notify = keyLifetimeEvents(em.model('kv-rot'), 'auto-before')
    expect(notify).toEqual([{ action: 'Notify', version: key.properties.version, dueAt: exp.getTime() - 20 * DAY }])
    em.clock.advance(10 * DAY)
    const versions = await versionsOf('auto-before')
    expect(versions.length).toBe(2)
    expect(versions[1]?.created).toBe(exp.getTime() - 10 * DAY)
    expect(versions[1]?.expires).toBe(exp.getTime() - 10 * DAY + 60 * DAY)
    expect(keyLifetimeEvents(em.model('kv-rot'), 'auto-before').map((e) => e.action)).toEqual(['Notify', 'Rotate'])
  })

  it('keeps the policy through delete and recover, but a restored backup comes back without it', async () => {
    await client.createKey('policy-kept', 'EC')
    await client.updateKeyRotationPolicy('policy-kept', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P60D' }] })
    await (await client.beginDeleteKey('policy-kept', FAST_POLL)).pollUntilDone()
    await (await client.beginRecoverDeletedKey('policy-kept', FAST_POLL)).pollUntilDone()
    expect((await client.getKeyRotationPolicy('policy-kept')).lifetimeActions?.[0]).toMatchObject({ action: 'Rotate', timeAfterCreate: 'P60D' })
    const blob = (await client.backupKey('policy-kept')) as Uint8Array
    const dr = keyClient(em, 'kv-rot-dr')
    await dr.restoreKeyBackup(blob)
    const restored = await dr.getKeyRotationPolicy('policy-kept')
    expect([restored.id, restored.lifetimeActions?.map((a) => a.action)]).toEqual([undefined, ['Notify']])
    em.clock.advance(61 * DAY)
    let drVersions = 0
    for await (const _ of dr.listPropertiesOfKeyVersions('policy-kept')) drVersions++
    expect(drVersions).toBe(1)
    expect((await versionsOf('policy-kept')).length).toBe(2)
  })
})
