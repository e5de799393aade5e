/**
 * Crash safety: a backup killed with SIGKILL part-way leaves no visible snapshot; the next run completes, finds
 * the contents the killed run had uploaded (reused, not uploaded again) and writes a complete snapshot.
 */
import { spawn } from 'node:child_process'
import { readdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsOf } from '../../src/emulator/index.js'
import { initRepository, openRepository } from '../../src/repo/repository.js'
import { openLocation } from '../../src/store/location.js'
import { FAST_KDF, PASSPHRASE } from '../repo/support/data.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup } from './support.js'

const CHILD = fileURLToPath(new URL('./support/backup-child.ts', import.meta.url))
const SECRETS = 150

let f: VaultFixture
let dir: string

async function contents(repoDir: string): Promise<number> {
  try {
    return (await readdir(join(repoDir, 'data'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).length
  } catch {
    return 0
  }
}

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full', principals: [{ name: 'backup-mi', type: 'managedIdentity', systemAssigned: true }], roleAssignments: [{ principal: 'backup-mi', role: 'Key Vault Administrator', scope: '/' }] })
  const secrets = secretsOf(f.em.model('kv-primary'))
  for (let i = 0; i < SECRETS; i++) secrets.create(`s${String(i).padStart(3, '0')}`, { payload: { value: `crash-test-value-${i}` } })
  f.em.clock.advance(2000)
  // Slow the vault down so the run is still going when it is killed.
  f.em.control.setLatency([{ fixedMs: 15, jitterMs: 10 }])
  dir = await mkdtemp(join(tmpdir(), 'kvdr-crash-'))
})
afterAll(async () => {
  await f.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('kill -9 mid-backup', () => {
  it('leaves no snapshot; the next run completes and reuses what the killed run uploaded', async () => {
    const repoDir = join(dir, 'repo')
    const opened = await openLocation(repoDir, { create: true })
    await initRepository(opened.store, { locker: opened.locker, kdf: FAST_KDF, slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }] })
    await opened.store.close()

    const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = f.em.managedIdentityEnv('appService')
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, ...identity, KVDR_TEST_JOB: JSON.stringify({ url: f.url(), caFile: f.caFile, repoDir, passphrase: PASSPHRASE }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)))
    // Kill it once it has stored a good part of its contents, but not all (2 per secret plus pages).
    const deadline = Date.now() + 60_000
    while ((await contents(repoDir)) < SECRETS / 2) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the backup child did not get going: ${output}`)
      await new Promise((r) => setTimeout(r, 25))
    }
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const left = await contents(repoDir)
    expect(left).toBeGreaterThan(0)

    const { store, locker } = await openLocation(repoDir)
    const repo = await openRepository(store, { passphrase: PASSPHRASE }, { locker })
    expect((await repo.listSnapshots()).snapshots).toHaveLength(0)
    // The killed run's shared lock file stays behind; a backup (also shared) is not blocked by it.
    const result = await backup(f, repo, { kinds: ['secret'] })
    expect(result.exitCode).toBe(0)
    expect(result.vaults[0]?.counts).toMatchObject({ listed: SECRETS, captured: SECRETS })
    // Values are reused; native blobs are fresh ciphertexts every time, so those are uploaded again.
    expect(result.contents.reused).toBeGreaterThan(SECRETS / 4)
    const { snapshots } = await repo.listSnapshots()
    expect(snapshots).toHaveLength(1)
    expect(snapshots[0]?.entryCount).toBe(SECRETS)
    await store.close()
  })
})
