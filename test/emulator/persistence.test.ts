/**
 * Persistence (`stateDir`): stop the emulator and start it again on the same state directory and ports ("restart the
 * data centre") and everything is still there: versions, values, soft-deleted objects with their purge dates,
 * vaults added at run time, the token signing key. Purges that fall due while the emulator is down happen on start,
 * by the clock; a running clock continues from where it was. Files are written crash-safely and privately.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CertificateClient } from '@azure/keyvault-certificates'
import type { DeletedSecret } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import type { EmulatorHandle, EmulatorOptions } from '../../src/emulator/index.js'
import { adminToken, FAST_POLL, keyClient, rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

const T0 = Date.UTC(2033, 0, 10)
const DAY = 86_400_000
let stateDir: string

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'kvdr-state-'))
})
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true })
})

describe('restarting on the same state directory', () => {
  let ports: { shared: number; vault: number }
  let versions: string[]
  let deleted: DeletedSecret
  let oldToken: string
  const start = (at: number, extra: Partial<EmulatorOptions> = {}): Promise<EmulatorHandle> =>
    startTestEmulator({
      stateDir,
      clock: new ManualClock(at, { running: false }),
      vaults: [{ name: 'kv-keep', softDeleteRetentionDays: 7, ...(ports ? { port: ports.vault } : {}) }],
      // identityPort 0: with a fixed port the endpoint would default to port - 1, which nothing reserved for us
      ...(ports ? { port: ports.shared, identityPort: 0 } : {}),
      ...extra,
    })

  it('keeps versions, soft-deleted objects, purge dates and vaults added at run time', async () => {
    const first = await start(T0)
    try {
      const client = secretClient(first, 'kv-keep')
      versions = [(await client.setSecret('kept', 'one')).properties.version as string, (await client.setSecret('kept', 'two')).properties.version as string]
      await client.setSecret('gone', 'soon deleted')
      // Written before the answer: the file already has it, without a stop.
      const onDisk = JSON.parse(await readFile(join(stateDir, 'vaults', 'kv-keep.json'), 'utf8')) as { state: { collections: { secrets: { objects: Record<string, { versions: unknown[] }> } } } }
      expect(Object.keys(onDisk.state.collections.secrets.objects).sort()).toEqual(['gone', 'kept'])
      expect(onDisk.state.collections.secrets.objects.kept?.versions).toHaveLength(2)
      await client.beginDeleteSecret('gone', FAST_POLL) // the frozen clock finishes the delete when it moves
      first.clock.advance(60_000)
      deleted = await client.getDeletedSecret('gone')
      await first.addVault({ name: 'kv-added', region: 'northeurope' })
      await secretClient(first, 'kv-added').setSecret('late', 'added at run time')
      oldToken = await adminToken(first)
      ports = { shared: first.port, vault: first.vault('kv-keep').port }
    } finally {
      await first.stop()
    }

    const files = await readdir(join(stateDir, 'vaults'))
    expect(files.sort()).toEqual(['kv-added.json', 'kv-keep.json'])
    expect((await stat(join(stateDir, 'vaults', 'kv-keep.json'))).mode & 0o777).toBe(0o600)
    expect((await readdir(stateDir)).filter((f) => f.endsWith('.tmp'))).toEqual([])

    const second = await start(T0 + 10 * 60_000)
    try {
      expect(second.port).toBe(ports.shared)
      expect(second.vault('kv-keep').port).toBe(ports.vault)
      const client = secretClient(second, 'kv-keep')
      expect((await client.getSecret('kept')).value).toBe('two')
      expect((await client.getSecret('kept', { version: versions[0] as string })).value).toBe('one')
      const again = await client.getDeletedSecret('gone')
      expect(again.properties.scheduledPurgeDate).toEqual(deleted.properties.scheduledPurgeDate)
      expect(again.properties.deletedOn).toEqual(deleted.properties.deletedOn)
      expect((await secretClient(second, 'kv-added').getSecret('late')).value).toBe('added at run time')
      expect(second.vault('kv-added').region).toBe('northeurope')
      // The token signing key survived: a token issued before the restart is still accepted.
      expect((await rawRequest(second, 'kv-keep', 'GET', withApi('/secrets/kept'), { token: oldToken })).status).toBe(200)
    } finally {
      await second.stop()
    }
  })

  it('purges on start what fell due while the emulator was down', async () => {
    const scheduled = (deleted.properties.scheduledPurgeDate as Date).getTime()
    const third = await start(scheduled + DAY)
    try {
      const client = secretClient(third, 'kv-keep')
      await expect(client.getDeletedSecret('gone')).rejects.toMatchObject({ statusCode: 404 })
      expect((await client.getSecret('kept')).value).toBe('two')
      const stored = await readFile(join(stateDir, 'vaults', 'kv-keep.json'), 'utf8')
      expect(JSON.parse(stored).state.collections.secrets.objects.gone).toBeUndefined()
      await client.setSecret('gone', 'the name is free again')
    } finally {
      await third.stop()
    }
  })

  it('forgets a removed vault for good', async () => {
    const fourth = await start(T0 + 30 * DAY)
    await fourth.removeVault('kv-added')
    await fourth.stop()
    expect(await readdir(join(stateDir, 'vaults'))).toEqual(['kv-keep.json'])
  })
})

describe('keys across restarts', () => {
  it('keep a rotation that a read applied by the clock, and the rotation policy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvdr-keys-state-'))
    const at = (t: number): Promise<EmulatorHandle> => startTestEmulator({ stateDir: dir, clock: new ManualClock(t, { running: false }), vaults: [{ name: 'kv-rot' }] })
    try {
      const first = await at(T0)
      let rotated: string
      try {
        const keys = keyClient(first, 'kv-rot')
        const created = await keys.createKey('rotating', 'EC')
        await keys.updateKeyRotationPolicy('rotating', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P1Y' })
        first.clock.advance(31 * DAY)
        rotated = (await keys.getKey('rotating')).properties.version as string // a GET applies the due rotation
        expect(rotated).not.toBe(created.properties.version)
        // Written before the GET answered (not only at stop).
        const onDisk = JSON.parse(await readFile(join(dir, 'vaults', 'kv-rot.json'), 'utf8')) as { state: { collections: { keys: { objects: Record<string, { versions: { version: string }[] }> } } } }
        expect(onDisk.state.collections.keys.objects.rotating?.versions.map((v) => v.version)).toContain(rotated)
      } finally {
        await first.stop()
      }
      const second = await at(T0 + 31 * DAY)
      try {
        const keys = keyClient(second, 'kv-rot')
        expect((await keys.getKey('rotating')).properties.version).toBe(rotated)
        expect((await keys.getKeyRotationPolicy('rotating')).lifetimeActions?.find((a) => a.action === 'Rotate')?.timeAfterCreate).toBe('P30D')
      } finally {
        await second.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('what falls due while the emulator is down', () => {
  it('happens on start and is written at once: a key rotation by policy, a certificate issuance', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvdr-due-state-'))
    const at = (t: number): Promise<EmulatorHandle> => startTestEmulator({ stateDir: dir, clock: new ManualClock(t, { running: false }), vaults: [{ name: 'kv-due', issueDelayMs: 60_000 }] })
    try {
      const first = await at(T0)
      try {
        const keys = keyClient(first, 'kv-due')
        await keys.createKey('due-key', 'EC')
        await keys.updateKeyRotationPolicy('due-key', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P1Y' })
        const { vaultUrl, options } = first.clientSetup('kv-due')
        const certs = new CertificateClient(vaultUrl, first.credential, { ...options, retryOptions: { maxRetries: 0 } })
        await certs.beginCreateCertificate('due-cert', { issuerName: 'Self', subject: 'CN=due-cert', keyType: 'EC', keyCurveName: 'P-256' }, FAST_POLL)
      } finally {
        await first.stop() // the certificate is still inProgress (issue delay one minute)
      }
      const second = await at(T0 + 31 * DAY)
      try {
        const onDisk = JSON.parse(await readFile(join(dir, 'vaults', 'kv-due.json'), 'utf8')) as { state: { collections: Record<string, { objects: Record<string, { versions: unknown[] }> }> } }
        expect(onDisk.state.collections.keys?.objects['due-key']?.versions).toHaveLength(2)
        expect(Object.keys(onDisk.state.collections.secrets?.objects ?? {})).toContain('due-cert') // issued: its secret exists
        const { vaultUrl, options } = second.clientSetup('kv-due')
        const certs = new CertificateClient(vaultUrl, second.credential, { ...options, retryOptions: { maxRetries: 0 } })
        expect((await certs.getCertificate('due-cert')).cer?.length).toBeGreaterThan(0)
      } finally {
        await second.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('the clock across restarts', () => {
  it('continues a running clock from where it was, plus the time the emulator was down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvdr-clock-'))
    try {
      const first = await startTestEmulator({ stateDir: dir, vaults: [{ name: 'kv-clock' }] })
      first.control.advanceClock(100 * DAY)
      const before = first.clock.now()
      await first.stop()
      const second = await startTestEmulator({ stateDir: dir, vaults: [{ name: 'kv-clock' }] })
      try {
        expect(second.clock.now()).toBeGreaterThanOrEqual(before)
        expect(second.clock.now() - Date.now()).toBeGreaterThan(99 * DAY)
      } finally {
        await second.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
