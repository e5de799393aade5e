/**
 * Native backup and restore world rules: restore works in the same vault (original version ids) and in another
 * vault of the same subscription and geography, fails across geographies and subscriptions, survives an emulator
 * restart, and refuses malformed blobs, names in use and objects with more than 500 versions.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsOf, type EmulatorHandle } from '../../src/emulator/index.js'
import { FAST_POLL, FAST_TIMING, secretClient, startTestEmulator } from '../support/emulator.js'

const SUB_A = '11111111-1111-4111-8111-111111111111'
const SUB_B = '22222222-2222-4222-8222-222222222222'
const VAULTS = [
  { name: 'kv-source', region: 'westeurope', subscriptionId: SUB_A },
  { name: 'kv-same-geo', region: 'northeurope', subscriptionId: SUB_A },
  { name: 'kv-other-geo', region: 'eastus', subscriptionId: SUB_A },
  { name: 'kv-other-sub', region: 'westeurope', subscriptionId: SUB_B },
]

let dataDir: string
let em: EmulatorHandle
let blob: Uint8Array
let versions: string[]

beforeAll(async () => {
  // A data directory of its own, so the world secret belongs to this test.
  dataDir = await mkdtemp(join(tmpdir(), 'kvdr-emu-backup-'))
  em = await startTestEmulator({ dataDir, vaults: VAULTS })
  const src = secretClient(em, 'kv-source')
  versions = []
  versions.push((await src.setSecret('payroll', 'one', { tags: { owner: 'hr' }, contentType: 'text/plain' })).properties.version as string)
  versions.push((await src.setSecret('payroll', 'two')).properties.version as string)
  await src.updateSecretProperties('payroll', versions[0] as string, { enabled: false })
  blob = await src.backupSecret('payroll') as Uint8Array
})
afterAll(async () => {
  await em?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

async function failure(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!(e instanceof Error)) throw new Error('expected the call to fail')
  return e as Error & { statusCode?: number; code?: string }
}

describe('native backup world rules', () => {
  it('restores into the same vault after purge with the original version ids, attributes and tags', async () => {
    const src = secretClient(em, 'kv-source')
    await (await src.beginDeleteSecret('payroll', FAST_POLL)).pollUntilDone()
    await src.purgeDeletedSecret('payroll')
    em.clock.advance(FAST_TIMING.purgeDelayMs) // the name is blocked until the purge completes
    const restored = await src.restoreSecretBackup(blob)
    expect(restored.version).toBe(versions[1])
    const all = []
    for await (const v of src.listPropertiesOfSecretVersions('payroll')) all.push(v)
    expect(all.map((v) => v.version).sort()).toEqual([...versions].sort())
    const first = all.find((v) => v.version === versions[0])
    expect(first?.enabled).toBe(false)
    expect(first?.tags).toEqual({ owner: 'hr' })
    expect(first?.contentType).toBe('text/plain')
    expect((await src.getSecret('payroll')).value).toBe('two')
  })

  it('restores into another vault of the same subscription and geography', async () => {
    const restored = await secretClient(em, 'kv-same-geo').restoreSecretBackup(blob)
    expect(restored.version).toBe(versions[1])
    expect(restored.vaultUrl).toBe(em.vault('kv-same-geo').hostUrl)
  })

  it.each([['kv-other-geo'], ['kv-other-sub']])('refuses to restore into %s with "Cannot decrypt backup blob."', async (vault) => {
    const err = await failure(secretClient(em, vault).restoreSecretBackup(blob))
    expect(err.statusCode).toBe(400)
    expect(err.message).toBe('Cannot decrypt backup blob.')
    expect((await failure(secretClient(em, vault).getSecret('payroll'))).statusCode).toBe(404)
  })

  it('answers 409 when the name exists, live or soft-deleted', async () => {
    const live = await failure(secretClient(em, 'kv-source').restoreSecretBackup(blob))
    expect(live.statusCode).toBe(409)
    expect(live.message).toMatch(/^There was a conflict restoring the secret 'https:\/\/kv-source\.vault\.azure\.net:\d+\/secrets\/payroll\/[0-9a-f]{32}'\./)
    const geo = secretClient(em, 'kv-same-geo')
    await (await geo.beginDeleteSecret('payroll', FAST_POLL)).pollUntilDone()
    const deleted = await failure(geo.restoreSecretBackup(blob))
    expect(deleted.statusCode).toBe(409)
    expect(deleted.message).toContain('is currently in a deleted but recoverable state')
  })

  it('refuses malformed and altered blobs with 400', async () => {
    const client = secretClient(em, 'kv-other-geo')
    const zeros = await failure(client.restoreSecretBackup(new Uint8Array(300)))
    expect([zeros.statusCode, zeros.code, zeros.message]).toEqual([400, 'Malformed backup blob', 'Backup blob contains invalid or corrupt version.'])
    const altered = Uint8Array.from(blob)
    altered[altered.length - 20] = (altered[altered.length - 20] as number) ^ 1
    expect((await failure(secretClient(em, 'kv-source').restoreSecretBackup(altered))).statusCode).toBe(400)
  })

  it('refuses to back up a secret with more than 500 versions', async () => {
    const secrets = secretsOf(em.model('kv-source'))
    for (let i = 0; i < 501; i++) secrets.create('chatty', { payload: { value: `v${i}` } })
    const err = await failure(secretClient(em, 'kv-source').backupSecret('chatty'))
    expect(err.statusCode).toBe(400)
    expect(err.message).toContain('more than 500 versions')
  })

  it('keeps blobs valid across emulator restarts with the same data directory, and only there', async () => {
    const restarted = await startTestEmulator({ dataDir, vaults: [{ name: 'kv-after', region: 'westeurope', subscriptionId: SUB_A }] })
    try {
      expect((await secretClient(restarted, 'kv-after').restoreSecretBackup(blob)).version).toBe(versions[1])
    } finally {
      await restarted.stop()
    }
    const elsewhere = await startTestEmulator({ worldSecret: 'another world', vaults: [{ name: 'kv-after', region: 'westeurope', subscriptionId: SUB_A }] })
    try {
      expect((await failure(secretClient(elsewhere, 'kv-after').restoreSecretBackup(blob))).message).toBe('Cannot decrypt backup blob.')
    } finally {
      await elsewhere.stop()
    }
  })
})
