/**
 * `kvdr emulator start` as a real child process (`node bin/run.js emulator start`, compiled by `npm run build`):
 * used through the official SDK in both addressing modes, then stopped with SIGTERM; and a bad config file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, statSync, readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { Agent } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ClientSecretCredential } from '@azure/identity'
import { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorLookup } from '../../src/emulator/index.js'
import { TEST_DATA_DIR } from '../support/emulator.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const BUILT = join(ROOT, 'dist', 'commands', 'emulator', 'start.js')

/** Newest modification time under `dir` (ts sources). */
function newest(dir: string): number {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs)
  }
  return t
}

let dir: string
beforeAll(async () => {
  // `npm test` builds first; when this file runs alone, build if dist is missing or older than the sources.
  const stale = !existsSync(BUILT) || statSync(BUILT).mtimeMs < Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'commands')))
  if (stale) await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT })
  dir = await mkdtemp(join(tmpdir(), 'kvdr-emu-cli-'))
}, 120_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Spawn the CLI and resolve once it has printed its instructions. */
function start(args: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'emulator', 'start', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve, reject) => {
    // Guard against a hung start: never leave the child behind.
    const guard = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`kvdr emulator start printed no instructions:\n${out}`))
    }, 25_000)
    const onExit = (code: number | null): void => {
      clearTimeout(guard)
      reject(new Error(`kvdr emulator start exited (${code}):\n${out}`))
    }
    child.once('exit', onExit)
    child.stdout?.on('data', () => {
      if (out.includes('kvdr itself connects')) {
        clearTimeout(guard)
        child.off('exit', onExit)
        resolve({ child, output: () => out })
      }
    })
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))))
}

describe('kvdr emulator start', () => {
  it('serves the vaults of a config file to the SDK in both addressing modes and stops cleanly on SIGTERM', async () => {
    const config = join(dir, 'rehearsal.yaml')
    await writeFile(config, ['vaults:', '  - name: kv-cli-main', '    region: westeurope', '  - name: kv-cli-dr', '    region: northeurope', '    purgeProtection: true'].join('\n'))
    const { child, output } = await start(['--config', config, '--port', '0', '--data-dir', TEST_DATA_DIR])
    try {
      const text = output()
      const hostUrl = /(https:\/\/kv-cli-main\.vault\.azure\.net:\d+)/.exec(text)?.[1] as string
      const localUrl = new RegExp(`(https://localhost:\\d+)\\s+localhost form`).exec(text.slice(text.indexOf('kv-cli-main')))?.[1] as string
      const caPath = /CA certificate: (\S+)/.exec(text)?.[1] as string
      expect(hostUrl).toBeTruthy()
      expect(localUrl).toBeTruthy()
      expect(text).toContain(`NODE_EXTRA_CA_CERTS=${caPath}`)
      expect(text).toContain('kv-cli-dr')
      expect(text).toContain('purge protection on (Recoverable)')
      // This config names no managed identity: the banner does not offer variables that could not work.
      expect(text).toContain('DefaultAzureCredential as a managed identity: add one to the config')
      expect(text).not.toContain('IDENTITY_ENDPOINT=')
      const ca = await readFile(caPath, 'utf8')
      // The printed client credentials of the built-in administrator work with @azure/identity as printed.
      const printed = /new ClientSecretCredential\("([^"]+)", "([^"]+)", "([^"]+)",\s+\{ authorityHost: "([^"]+)", disableInstanceDiscovery: true \}/.exec(text)
      expect(printed).not.toBeNull()
      const [, tenantId, clientId, clientSecret, authorityHost] = printed as unknown as string[]
      const credential = new ClientSecretCredential(tenantId as string, clientId as string, clientSecret as string, { authorityHost, disableInstanceDiscovery: true, agent: new Agent({ ca }) })

      const strict = new SecretClient(hostUrl, credential, { agent: new Agent({ ca, lookup: emulatorLookup('127.0.0.1') }), retryOptions: { maxRetries: 0 } })
      await strict.setSecret('from-cli', 'hello')
      const local = new SecretClient(localUrl, credential, { agent: new Agent({ ca }), disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } })
      expect((await local.getSecret('from-cli')).value).toBe('hello')

      // kvdr emulator ctl drives the control API with the printed token.
      const token = /Authorization: Bearer (\S+)/.exec(text)?.[1] as string
      const ctl = (args: string[], bearer = token): Promise<{ stdout: string }> =>
        promisify(execFile)(process.execPath, [BIN, 'emulator', 'ctl', ...args, '--url', authorityHost as string, '--token', bearer, '--ca', caPath], { cwd: ROOT })
      const [counted, moved, refused] = await Promise.allSettled([ctl(['GET', 'counters']), ctl(['POST', 'clock', '{"advanceMs": 86400000}']), ctl(['GET', 'counters'], 'wrong-token-0123456789')])
      const counters = JSON.parse((counted as PromiseFulfilledResult<{ stdout: string }>).value.stdout) as Record<string, { total: number }>
      expect(counters.SecretSet?.total).toBe(1)
      expect(counters.SecretGet?.total).toBe(1)
      expect((JSON.parse((moved as PromiseFulfilledResult<{ stdout: string }>).value.stdout) as { epochMs: number }).epochMs).toBeGreaterThan(Date.now() + 86_000_000)
      expect(refused).toMatchObject({ status: 'rejected', reason: { code: 20 } })
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toBe(0)
    expect(output()).toContain('kvdr emulator stopped.')
  })

  it('without a config, kvdr itself backs up a vault with DefaultAzureCredential set up exactly as the banner says', async () => {
    const { child, output } = await start(['--port', '0', '--data-dir', TEST_DATA_DIR])
    try {
      const text = output()
      const hostUrl = /(https:\/\/kv-primary\.vault\.azure\.net:\d+)/.exec(text)?.[1] as string
      const caPath = /CA certificate: (\S+)/.exec(text)?.[1] as string
      const [, endpoint, header] = /IDENTITY_ENDPOINT=(\S+) IDENTITY_HEADER=(\S+)/.exec(text) ?? []
      expect(hostUrl && caPath && endpoint && header).toBeTruthy()
      const repo = join(dir, 'quick-start-repo')
      // Only what the banner prints, plus kvdr's own network settings for the vault's host name and CA.
      const env = { PATH: process.env.PATH, HOME: dir, IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: header, NODE_EXTRA_CA_CERTS: caPath, KVDR_CA_FILE: caPath, KVDR_RESOLVE: 'kv-primary.vault.azure.net=127.0.0.1', KVDR_PASSWORD: 'quick start passphrase' }
      const kvdr = (args: string[]): Promise<{ stdout: string }> => promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, env })
      await kvdr(['repo', 'init', '--repo', repo, '--kdf-cost', '10'])
      const backup = JSON.parse((await kvdr(['backup', '--vault', hostUrl, '--repo', repo, '--json'])).stdout) as { exitCode: number; vaults: Array<{ status: string; world: { region?: string } }> }
      expect(backup.exitCode).toBe(0)
      expect(backup.vaults[0]).toMatchObject({ status: 'ok', world: { region: 'westeurope' } })
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toBe(0)
  })

  it('exits 2 with the file, the field and a hint for an invalid config', async () => {
    const config = join(dir, 'bad.yaml')
    await writeFile(config, 'vaults:\n  - name: kv-bad\n    softDeleteRetentionDays: 120\n')
    const child = spawn(process.execPath, [BIN, 'emulator', 'start', '--config', config, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    expect(await exited(child)).toBe(2)
    const flat = err.replace(/\s*›\s*/g, ' ')
    expect(flat).toContain(`${config}: vaults[0].softDeleteRetentionDays must be an integer from 7 to 90 (got 120). (at line 3, column 30)`)
    expect(flat).toContain('Try this:')
  })
})
