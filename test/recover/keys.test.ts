/**
 * `kvdr recover` of keys through oclif against the emulator, as a managed identity holding Key Vault Crypto Officer
 * (real RBAC): a soft-deleted key comes back with every version and its key material (a ciphertext made before the
 * deletion decrypts afterwards, through the official SDK); and a recovery slower than --timeout is reported per
 * object as RECOVER_TIMEOUT (exit 1: nothing done) while Key Vault's accepted recovery still completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Recover from '../../commands/recover.js'
import type { RecoverResult } from '../../src/recover/recover.js'
import { cryptographyClient } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { json, run, type RunResult } from '../commands/repo/run.js'
import { deleteKey, rejection } from './support.js'

/** Emulator time a recovery takes in kv-slow: far longer than the test's --timeout of 1 s. */
const SLOW_RECOVERY_MS = 600_000

let f: VaultFixture

const net = (vault: string): string[] => ['--vault', f.url(vault), '--ca-file', f.caFile, '--resolve', `${new URL(f.url(vault)).hostname}=127.0.0.1`]
const recover = (vault: string, ...args: string[]): Promise<RunResult> => run(Recover, [...net(vault), ...args])

beforeAll(async () => {
  f = await startVaultFixture({
    vaults: [{ name: 'kv-primary' }, { name: 'kv-slow', recoverDelayMs: SLOW_RECOVERY_MS }],
    principals: [{ name: 'crypto-mi', type: 'managedIdentity', systemAssigned: true }],
    roleAssignments: [
      { principal: 'crypto-mi', role: 'Key Vault Reader', scope: '/' },
      { principal: 'crypto-mi', role: 'Key Vault Crypto Officer', scope: '/' },
    ],
  })
  const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = f.em.managedIdentityEnv('appService')
  Object.assign(process.env, identity)
})
afterAll(async () => {
  delete process.env.IDENTITY_ENDPOINT
  delete process.env.IDENTITY_HEADER
  await f?.stop()
})

describe('kvdr recover: keys', () => {
  it('recovers a soft-deleted key with Key Vault Crypto Officer: every version, the same key material', async () => {
    const keys = f.keys()
    const first = await keys.createRsaKey('wrapping-key', { keySize: 2048 })
    f.em.clock.advance(1000)
    const current = await keys.createRsaKey('wrapping-key', { keySize: 2048 })
    const plaintext = Buffer.from('data key sealed before the deletion')
    const sealed = await cryptographyClient(f.em, 'kv-primary', current).encrypt({ algorithm: 'RSA-OAEP', plaintext })
    await deleteKey(f, 'wrapping-key')
    expect((await rejection(keys.getKey('wrapping-key'))).statusCode).toBe(404)

    const r = await recover('kv-primary', 'key/wrapping-key', '--json')
    expect(r.code).toBe(0)
    const out = json<RecoverResult>(r)
    expect(out.objects).toEqual([{ object: 'key/wrapping-key', status: 'done', message: 'recovered' }])
    expect(out.summary).toEqual({ done: 1, warnings: 0, errors: 0, refused: 0 })

    const back = await keys.getKey('wrapping-key')
    expect(back.properties.version).toBe(current.properties.version)
    expect(back.properties.enabled).toBe(true)
    const versions: string[] = []
    for await (const p of keys.listPropertiesOfKeyVersions('wrapping-key')) versions.push(p.version as string)
    expect(versions.sort()).toEqual([first.properties.version, current.properties.version].sort())
    const opened = await cryptographyClient(f.em, 'kv-primary', back).decrypt({ algorithm: 'RSA-OAEP', ciphertext: sealed.result })
    expect(Buffer.from(opened.result).equals(plaintext)).toBe(true)
    expect((await rejection(keys.getDeletedKey('wrapping-key'))).statusCode).toBe(404)
  })

  it('reports RECOVER_TIMEOUT per object when the recovery outlasts --timeout (exit 1); Key Vault still completes it', async () => {
    const keys = f.keys('kv-slow')
    const key = await keys.createEcKey('slow-key', { curve: 'P-256' })
    await deleteKey(f, 'slow-key', 'kv-slow')

    const r = await recover('kv-slow', 'key/slow-key', '--timeout', '1', '--json')
    expect(r.code).toBe(1)
    const out = json<RecoverResult>(r)
    expect(out.exitCode).toBe(1)
    expect(out.objects).toHaveLength(1)
    expect(out.objects[0]).toMatchObject({ object: 'key/slow-key', status: 'error', code: 'RECOVER_TIMEOUT' })
    expect(out.objects[0]?.message).toContain('accepted the recovery of key/slow-key but it was not usable after 1 s')
    expect(out.objects[0]?.hint).toContain('kvdr recover --vault <url>')
    expect(out.summary).toEqual({ done: 0, warnings: 0, errors: 1, refused: 0 })

    // The recovery was accepted and is still running: neither live nor listed as deleted.
    expect((await rejection(keys.getKey('slow-key'))).statusCode).toBe(404)
    expect((await rejection(keys.getDeletedKey('slow-key'))).statusCode).toBe(404)
    f.em.clock.advance(SLOW_RECOVERY_MS)
    expect((await keys.getKey('slow-key')).properties.version).toBe(key.properties.version)
  })

  it('says the same in the human output, with a "Try this:" hint', async () => {
    const keys = f.keys('kv-slow')
    await keys.createEcKey('slow-key-2', { curve: 'P-256' })
    await deleteKey(f, 'slow-key-2', 'kv-slow')
    const r = await recover('kv-slow', 'key/slow-key-2', '--timeout', '1')
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/error\s+key\/slow-key-2: Key Vault accepted the recovery of key\/slow-key-2 but it was not usable after 1 s/)
    expect(r.stdout).toContain('Try this:')
  })
})
