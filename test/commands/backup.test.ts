/**
 * `kvdr backup` through oclif: the default credential chain (the emulator's managed-identity endpoint, App Service
 * form), --ca-file and --resolve against the emulator, the --json shape, the human report and progress, --dry-run, --vault-file,
 * exit codes 0/3/2/22 - and no secret value in any output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Backup from '../../commands/backup.js'
import RepoInit from '../../commands/repo/init.js'
import SnapshotsList from '../../commands/snapshots/list.js'
import type { BackupResult, DryRunResult } from '../../src/backup/backup.js'
import { KvHttpError } from '../../src/emulator/index.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { json, passwordFile, run } from './repo/run.js'

const SUB = '5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01'
const VALUES = ['cli-secret-value-1', 'cli-secret-value-2', 'locked-value-3']

let f: VaultFixture
let dir: string
let pw: string
let n = 0
let denyBackupOf: string | undefined

async function newRepo(): Promise<string> {
  const repo = `memory://cli-backup-${++n}`
  expect((await run(RepoInit, ['--repo', repo, '--password-file', pw, '--kdf-cost', '10'])).code).toBe(0)
  return repo
}

const net = (vault = 'kv-primary'): string[] => ['--ca-file', f.caFile, '--resolve', `${new URL(f.url(vault)).hostname}=127.0.0.1`]

beforeAll(async () => {
  f = await startVaultFixture({
    paging: 'full',
    principals: [{ name: 'backup-mi', type: 'managedIdentity', systemAssigned: true }],
    stages: {
      authorizer: {
        authorize: (_p, op, req) => {
          if (denyBackupOf && op.name === 'SecretBackup' && req.url.startsWith(`/secrets/${denyBackupOf}/`)) {
            throw new KvHttpError(403, 'Forbidden', `Caller is not authorized to perform action on resource.\r\nAction: '${op.dataAction}'\r\n`, { innerCode: 'ForbiddenByRbac' })
          }
        },
      },
    },
  })
  const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = f.em.managedIdentityEnv('appService')
  Object.assign(process.env, identity)
  dir = await mkdtemp(join(tmpdir(), 'kvdr-cli-backup-'))
  process.env.KVDR_CACHE_DIR = join(dir, 'cache')
  delete process.env.KVDR_PASSWORD
  pw = await passwordFile(dir, 'cli backup passphrase')
  await f.secrets().setSecret('one', VALUES[0] as string)
  await f.secrets().setSecret('two', VALUES[1] as string, { tags: { env: 'prod' } })
  await f.secrets().setSecret('locked', VALUES[2] as string)
  await f.keys().createEcKey('k', { curve: 'P-256' })
  f.em.clock.advance(2000)
})
afterAll(async () => {
  delete process.env.IDENTITY_ENDPOINT
  delete process.env.IDENTITY_HEADER
  await f.stop()
  await rm(dir, { recursive: true, force: true })
})

function noValues(...outputs: string[]): void {
  for (const out of outputs) for (const v of VALUES) {
    expect(out).not.toContain(v)
    expect(out).not.toContain(Buffer.from(v).toString('base64'))
  }
}

describe('kvdr backup', () => {
  it('--json: one snapshot per vault, the documented shape, exit 0, as the managed identity DefaultAzureCredential found', async () => {
    const repo = await newRepo()
    const r = await run(Backup, ['--vault', f.url(), '--subscription', SUB, '--repo', repo, '--password-file', pw, '--tag', 'nightly', ...net(), '--json'])
    expect(r.code).toBe(0)
    const out = json<BackupResult>(r)
    expect(out).toMatchObject({ dryRun: false, exitCode: 0, warnings: [] })
    const v = out.vaults[0]
    expect(v).toMatchObject({ vault: f.url(), status: 'ok', exitCode: 0, world: { subscriptionId: SUB, region: 'westeurope', geography: 'Europe' } })
    expect(v?.counts).toMatchObject({ listed: 4, captured: 4 })
    expect(v?.snapshot?.id).toMatch(/^[0-9a-f]{64}$/)
    expect(out.contents.uploaded).toBeGreaterThan(0)
    // The requests ran as the managed identity DefaultAzureCredential found.
    const mi = f.em.principal('backup-mi')
    expect(f.audit.filter((a) => a.principalId === mi.objectId).length).toBeGreaterThan(10)
    const list = json<{ snapshots: Array<{ id: string; tags: string[] }> }>(await run(SnapshotsList, ['--repo', repo, '--password-file', pw, '--json']))
    expect(list.snapshots).toEqual([expect.objectContaining({ id: v?.snapshot?.id, tags: ['nightly'] })])
    noValues(r.stdout, r.stderr)
  })

  it('human report; a missing permission is reported per object with exit 3; nothing secret is printed', async () => {
    const repo = await newRepo()
    denyBackupOf = 'locked'
    try {
      const r = await run(Backup, ['--vault', f.url(), '--repo', repo, '--password-file', pw, ...net()])
      expect(r.code).toBe(3)
      expect(r.stdout).toMatch(/snapshot [0-9a-f]{8} \(\d+ entries\) - PARTIAL/)
      expect(r.stdout).toContain('objects: 4 listed - 4 fetched, 0 unchanged, 0 soft-deleted')
      expect(r.stdout).toContain('subscription unknown (pass --subscription)')
      expect(r.stdout).toMatch(/error\s+secret\/locked: Permission denied: secrets\.backup .*backup\/action/)
      noValues(r.stdout, r.stderr)
    } finally {
      denyBackupOf = undefined
    }
  })

  it('--dry-run lists and compares, and writes nothing', async () => {
    const repo = await newRepo()
    expect((await run(Backup, ['--vault', f.url(), '--repo', repo, '--password-file', pw, ...net(), '--json'])).code).toBe(0)
    await f.secrets().setSecret('two', 'another value')
    f.em.clock.advance(2000)
    const r = await run(Backup, ['--vault', f.url(), '--repo', repo, '--password-file', pw, ...net(), '--dry-run', '--json'])
    expect(r.code).toBe(0)
    const plan = json<DryRunResult>(r).vaults[0]?.plan
    expect(plan).toMatchObject({ listed: 4, fetch: 1, unchanged: 3, deleted: 0, dropped: 0 })
    const human = await run(Backup, ['--vault', f.url(), '--repo', repo, '--password-file', pw, ...net(), '--dry-run'])
    expect(human.stdout).toContain('would fetch 1, reuse 3 unchanged')
    const list = json<{ snapshots: unknown[] }>(await run(SnapshotsList, ['--repo', repo, '--password-file', pw, '--json']))
    expect(list.snapshots).toHaveLength(1)
  })

  it('--vault-file: several vaults, their subscriptions and tags; one unreachable vault makes exit 3 with its reason', async () => {
    const repo = await newRepo()
    const file = join(dir, 'vaults.yaml')
    await writeFile(file, `vaults:\n  - url: ${f.url()}\n    subscription: ${SUB}\n    tags: [primary]\n  - url: https://nowhere-kv.invalid\n`)
    const r = await run(Backup, ['--vault-file', file, '--repo', repo, '--password-file', pw, ...net(), '--json'])
    expect(r.code).toBe(3)
    const out = json<BackupResult>(r)
    expect(out.vaults.map((v) => [v.status, v.exitCode])).toEqual([
      ['ok', 0],
      ['failed', 22],
    ])
    expect(out.vaults[1]?.error?.hint).toContain('--resolve nowhere-kv.invalid=')
    const list = json<{ snapshots: Array<{ tags: string[]; vault: { subscriptionId?: string } }> }>(await run(SnapshotsList, ['--repo', repo, '--password-file', pw, '--json']))
    expect(list.snapshots.map((s) => [s.tags, s.vault.subscriptionId])).toEqual([[['primary'], SUB]])
  })

  it('bad input is exit 2 with what to write', async () => {
    const repo = await newRepo()
    const cases: Array<[string[], RegExp]> = [
      [[], /No vault to back up/],
      [['--vault', 'prod-kv'], /vault name, not a vault URL/],
      [['--vault', f.url(), '--subscription', 'nope'], /not a subscription id/],
      [['--vault', f.url(), '--resolve', 'host-without-ip'], /host=ip/],
      [['--vault', f.url(), '--deadline', 'soon'], /--deadline/],
      [['--vault', f.url(), '--tag', 'bad tag'], /not a valid tag/],
      [['--vault-file', join(dir, 'missing.yaml')], /Cannot read the vault file/],
    ]
    for (const [args, message] of cases) {
      const r = await run(Backup, [...args, '--repo', repo, '--password-file', pw])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).toContain('Try this:')
    }
  })
})
