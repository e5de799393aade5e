/**
 * Crash safety of restore: the built CLI (`bin/run.js restore`, a child process authenticating through the
 * emulator's managed identity) is killed with SIGKILL part-way through a value restore into another geography; a
 * re-run completes it and no version is duplicated - every secret ends with exactly its snapshot's versions, in
 * order, the last one current. Needs `npm run build` (npm test builds first).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { secretsOf } from '../../src/emulator/index.js'
import { initRepository, openRepository } from '../../src/repo/repository.js'
import { openLocation } from '../../src/store/location.js'
import { FAST_KDF, PASSPHRASE } from '../repo/support/data.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup } from '../backup/support.js'
import { pins, restore, SUBSCRIPTION } from './support.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const SECRETS = 40
const VERSIONS = 3

let f: VaultFixture
let dir: string
let repoDir: string

const written = (): number => secretsOf(f.em.model('kv-us')).listActive().reduce((n, r) => n + r.versions.length, 0)

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full', principals: [{ name: 'restore-mi', type: 'managedIdentity', systemAssigned: true }], roleAssignments: [{ principal: 'restore-mi', role: 'Key Vault Administrator', scope: '/' }] })
  const secrets = secretsOf(f.em.model('kv-primary'))
  for (let i = 0; i < SECRETS; i++) {
    for (let v = 0; v < VERSIONS; v++) {
      secrets.create(`s${String(i).padStart(3, '0')}`, { payload: { value: `crash-restore-${i}-${v}` }, tags: { v: String(v) } })
      f.em.clock.advance(1000)
    }
  }
  f.em.clock.advance(2000)
  dir = await mkdtemp(join(tmpdir(), 'kvdr-restore-crash-'))
  repoDir = join(dir, 'repo')
  const opened = await openLocation(repoDir, { create: true })
  const { repo } = await initRepository(opened.store, { locker: opened.locker, kdf: FAST_KDF, slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }] })
  expect((await backup(f, repo, { kinds: ['secret'] })).exitCode).toBe(ExitCode.Success)
  await opened.store.close()
})
afterAll(async () => {
  await f.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('kill -9 mid-restore', () => {
  it('the re-run completes without duplicating a version', async () => {
    if (!existsSync(join(BIN, '../../dist/commands/restore.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does).')
    // Slow the target down so the child is still writing when it is killed.
    f.em.control.setLatency([{ fixedMs: 10, jitterMs: 10, vaults: ['kv-us'] }])
    const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = f.em.managedIdentityEnv('appService')
    const args = ['restore', '--repo', repoDir, '--from', f.url('kv-primary'), '--to', f.url('kv-us'), '--to-subscription', SUBSCRIPTION, '--ca-file', f.caFile, ...pins(f, ['kv-us']).flatMap((p) => ['--resolve', p]), '--json']
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...identity, KVDR_PASSWORD: PASSPHRASE, KVDR_CACHE_DIR: join(dir, 'cache') }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)))
    const deadline = Date.now() + 60_000
    while (written() < (SECRETS * VERSIONS) / 3) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the restore child did not get going: ${output}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const before = written()
    expect(before).toBeLessThan(SECRETS * VERSIONS)
    f.em.control.setLatency([])

    const { store, locker } = await openLocation(repoDir)
    const repo = await openRepository(store, { passphrase: PASSPHRASE }, { locker })
    const r = await restore(f, repo, 'kv-us', { from: f.url('kv-primary') })
    await store.close()
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.plan.counts['add-versions']).toBeGreaterThan(0)
    const model = secretsOf(f.em.model('kv-us'))
    expect(model.listActive()).toHaveLength(SECRETS)
    for (let i = 0; i < SECRETS; i++) {
      const name = `s${String(i).padStart(3, '0')}`
      const vs = model.listVersions(name)
      expect(vs.map((v) => v.payload.value).sort()).toEqual(Array.from({ length: VERSIONS }, (_, v) => `crash-restore-${i}-${v}`))
      expect((await f.secrets('kv-us').getSecret(name)).value).toBe(`crash-restore-${i}-${VERSIONS - 1}`)
    }
    expect(output).not.toMatch(/crash-restore-\d+-\d+/)
  }, 90_000)
})
