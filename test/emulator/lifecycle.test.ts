/**
 * Soft-delete lifecycles on the emulator clock: being deleted -> deleted -> recovered (all versions) or purged,
 * purge protection, retention expiry, and the 409s a reused name gets in every state.
 */
import type { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { secretClient, startTestEmulator } from '../support/emulator.js'

const DELAY = 5_000
const DAY = 86_400_000
let em: EmulatorHandle
let clock: ManualClock
let client: SecretClient
let guarded: SecretClient
let shortRetention: SecretClient

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2030, 0, 1), { running: false })
  em = await startTestEmulator({
    clock,
    timing: { deleteDelayMs: DELAY, recoverDelayMs: DELAY, purgeDelayMs: DELAY },
    vaults: [
      { name: 'kv-life' },
      { name: 'kv-guarded', purgeProtection: true },
      { name: 'kv-week', softDeleteRetentionDays: 7 },
    ],
  })
  client = secretClient(em, 'kv-life')
  guarded = secretClient(em, 'kv-guarded')
  shortRetention = secretClient(em, 'kv-week')
})
afterAll(async () => {
  await em?.stop()
})

async function failure(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string; details?: unknown }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!(e instanceof Error)) throw new Error('expected the call to fail')
  return e as Error & { statusCode?: number; code?: string }
}

function innerCode(e: { details?: unknown }): string | undefined {
  return (e.details as { error?: { innerError?: { code?: string } } } | undefined)?.error?.innerError?.code
}

describe('delete, recover and purge on the emulator clock', () => {
  it('hides a deleted secret while it is being deleted, then shows it; the name stays blocked', async () => {
    await client.setSecret('cycle', 'v1')
    await client.setSecret('cycle', 'v2')
    await client.beginDeleteSecret('cycle') // first poll: DELETE, then GET deleted -> 404 (still deleting)
    expect((await failure(client.getSecret('cycle'))).statusCode).toBe(404)
    expect((await failure(client.getDeletedSecret('cycle'))).message).toBe('Deleted Secret not found: cycle')

    const reuse = await failure(client.setSecret('cycle', 'new'))
    expect(reuse.statusCode).toBe(409)
    expect(reuse.message).toBe('Secret cycle is currently being deleted and cannot be re-created; retry later.')
    expect(innerCode(reuse)).toBe('ObjectIsBeingDeleted')
    const earlyPurge = await failure(client.purgeDeletedSecret('cycle'))
    expect([earlyPurge.statusCode, earlyPurge.message]).toEqual([409, 'Secret is currently being deleted.'])

    clock.advance(DELAY)
    const deleted = await client.getDeletedSecret('cycle')
    expect(deleted.deletedOn?.getTime()).toBe(clock.now() - DELAY)
    const blocked = await failure(client.setSecret('cycle', 'new'))
    expect(blocked.statusCode).toBe(409)
    expect(blocked.message).toBe(
      'Secret cycle is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.',
    )
    expect(innerCode(blocked)).toBe('ObjectIsDeletedButRecoverable')
  })

  it('recovers every version, keeping the live secret invisible while recovery runs', async () => {
    await client.beginRecoverDeletedSecret('cycle') // GET live (404), POST recover
    expect((await failure(client.getSecret('cycle'))).statusCode).toBe(404)
    const during = await failure(client.setSecret('cycle', 'x'))
    expect([during.statusCode, innerCode(during)]).toEqual([409, 'ObjectIsBeingRecovered'])
    clock.advance(DELAY)
    expect((await client.getSecret('cycle')).value).toBe('v2')
    const versions = []
    for await (const v of client.listPropertiesOfSecretVersions('cycle')) versions.push(v.version)
    expect(versions).toHaveLength(2)
  })

  it('purges: the name stays blocked while the purge runs, then is free', async () => {
    await client.beginDeleteSecret('cycle')
    clock.advance(DELAY)
    await client.purgeDeletedSecret('cycle')
    expect((await failure(client.getDeletedSecret('cycle'))).statusCode).toBe(404)
    const during = await failure(client.setSecret('cycle', 'x'))
    expect([during.statusCode, innerCode(during)]).toEqual([409, 'ObjectIsBeingDeleted'])
    clock.advance(DELAY)
    const fresh = await client.setSecret('cycle', 'fresh')
    const versions = []
    for await (const v of client.listPropertiesOfSecretVersions('cycle')) versions.push(v.version)
    expect(versions).toEqual([fresh.properties.version])
  })

  it('refuses purge under purge protection and purges by itself at the scheduled purge date', async () => {
    const set = await guarded.setSecret('protected', 'v')
    expect(set.properties.recoveryLevel).toBe('Recoverable')
    await guarded.beginDeleteSecret('protected')
    clock.advance(DELAY)
    const refused = await failure(guarded.purgeDeletedSecret('protected'))
    expect(refused.statusCode).toBe(403)
    expect(refused.message).toBe(
      'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: kv-guarded;location=westeurope',
    )
    const deleted = await guarded.getDeletedSecret('protected')
    clock.set(deleted.scheduledPurgeDate?.getTime() as number)
    expect((await failure(guarded.getDeletedSecret('protected'))).statusCode).toBe(404)
    const names = []
    for await (const d of guarded.listDeletedSecrets()) names.push(d.name)
    expect(names).not.toContain('protected')
    expect((await guarded.setSecret('protected', 'again')).value).toBe('again')
  })

  it('applies a custom retention: CustomizedRecoverable+Purgeable, 7 days', async () => {
    const set = await shortRetention.setSecret('weekly', 'v')
    expect(set.properties.recoveryLevel).toBe('CustomizedRecoverable+Purgeable')
    expect(set.properties.recoverableDays).toBe(7)
    await shortRetention.beginDeleteSecret('weekly')
    clock.advance(DELAY)
    const deleted = await shortRetention.getDeletedSecret('weekly')
    expect((deleted.scheduledPurgeDate?.getTime() ?? 0) - (deleted.deletedOn?.getTime() ?? 0)).toBe(7 * DAY)
    clock.advance(7 * DAY - DELAY - 1000)
    expect((await shortRetention.getDeletedSecret('weekly')).name).toBe('weekly')
    clock.advance(1000)
    expect((await failure(shortRetention.getDeletedSecret('weekly'))).statusCode).toBe(404)
  })

  it('answers 404 for recover and purge of names that were never deleted', async () => {
    const recover = await failure(client.beginRecoverDeletedSecret('never-deleted'))
    expect(recover.statusCode).toBe(404)
    expect(recover.message).toMatch(/^A secret with \(name\/id\) never-deleted was not found in this key vault\./)
    expect((await failure(client.purgeDeletedSecret('never-deleted'))).message).toBe('Deleted Secret not found: never-deleted')
  })
})
