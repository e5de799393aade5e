/**
 * `kvdr restore` through oclif: the default credential chain (the emulator's managed identity), --ca-file and
 * --resolve, the human plan table and --json shape, --dry-run, exit codes 0/3/2, the typed purge confirmation, flag errors with hints - and no
 * secret value in any output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Backup from '../../commands/backup.js'
import RepoInit from '../../commands/repo/init.js'
import Restore from '../../commands/restore.js'
import type { RestoreResult } from '../../src/restore/types.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { json, passwordFile, run } from './repo/run.js'
import { writesIn } from '../restore/support.js'

const SUB = '5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01'
const VALUES = ['cli-restore-value-1', 'cli-restore-value-2', 'cli-restore-value-3']

let f: VaultFixture
let dir: string
let pw: string
const repo = 'memory://cli-restore'

const net = (...vaults: string[]): string[] => ['--ca-file', f.caFile, ...vaults.flatMap((v) => ['--resolve', `${new URL(f.url(v)).hostname}=127.0.0.1`])]
const common = (): string[] => ['--repo', repo, '--password-file', pw]
const noValues = (text: string): void => {
  for (const v of VALUES) expect(text).not.toContain(v)
}

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full', principals: [{ name: 'restore-mi', type: 'managedIdentity', systemAssigned: true }], roleAssignments: [{ principal: 'restore-mi', role: 'Key Vault Administrator', scope: '/' }] })
  const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = f.em.managedIdentityEnv('appService')
  Object.assign(process.env, identity)
  dir = await mkdtemp(join(tmpdir(), 'kvdr-cli-restore-'))
  process.env.KVDR_CACHE_DIR = join(dir, 'cache')
  delete process.env.KVDR_PASSWORD
  pw = await passwordFile(dir, 'cli restore passphrase')
  await f.secrets().setSecret('one', VALUES[0] as string)
  await f.secrets().setSecret('two', VALUES[1] as string, { tags: { env: 'prod' } })
  await f.secrets().setSecret('gone', VALUES[2] as string)
  await f.keys().createEcKey('k', { curve: 'P-256' })
  f.em.clock.advance(2000)
  expect((await run(RepoInit, ['--repo', repo, '--password-file', pw, '--kdf-cost', '10'])).code).toBe(0)
  expect((await run(Backup, [...common(), '--vault', f.url(), '--subscription', SUB, ...net('kv-primary')])).code).toBe(0)
  await (await f.secrets().beginDeleteSecret('gone', FAST_POLL)).pollUntilDone()
  await f.secrets().setSecret('one', 'overwritten-later')
})
afterAll(async () => {
  await f.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('kvdr restore', () => {
  it('--dry-run prints the plan table with reasons and writes nothing', async () => {
    const r = await run(Restore, [...common(), '--to', f.url('kv-us'), '--from', f.url(), '--to-subscription', SUB, '--dry-run', ...net('kv-us')])
    expect(r.code).toBe(3)
    expect(r.stdout).toMatch(/ACTION\s+OBJECT\s+METHOD\s+VERSIONS\s+REASON/)
    expect(r.stdout).toMatch(/create\s+secret\/two\s+value\s+1\s+native blob bound to subscription 5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01, geography Europe/)
    expect(r.stdout).toMatch(/IMPOSSIBLE\s+key\/k\s+-\s+-\s+non-exportable key: only restorable into subscription/)
    expect(r.stdout).toContain('Dry run: nothing was written.')
    expect(await f.secrets('kv-us').getSecret('two').catch((e: { statusCode?: number }) => e.statusCode)).toBe(404)
    noValues(r.stdout + r.stderr)
  })

  it('restores into the same vault with --json: recover, conflict left alone, exit 0', async () => {
    const r = await run(Restore, [...common(), '--to', f.url(), '--to-subscription', SUB, '--json', ...net('kv-primary')])
    expect(r.code).toBe(0)
    const out = json<RestoreResult>(r)
    expect(out.dryRun).toBe(false)
    const by = new Map((out.outcomes ?? []).map((o) => [`${o.kind}/${o.name}`, o]))
    expect(by.get('secret/gone')).toMatchObject({ action: 'recover', status: 'done' })
    expect(by.get('secret/one')).toMatchObject({ action: 'conflict', status: 'warning' })
    expect(by.get('secret/two')).toMatchObject({ action: 'skip', status: 'skipped' })
    expect(out.summary).toMatchObject({ done: 1, errors: 0 })
    expect((await f.secrets().getSecret('gone')).value).toBe(VALUES[2])
    noValues(r.stdout + r.stderr)
  })

  it('--rollback with --as-of makes the old value current without printing it', async () => {
    const r = await run(Restore, [...common(), '--to', f.url(), '--rollback', 'secret/one', '--as-of', new Date(f.em.clock.now() + 60_000).toISOString(), ...net('kv-primary')])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/done\s+add versions\s+secret\/one/)
    expect((await f.secrets().getSecret('one')).value).toBe(VALUES[0])
    noValues(r.stdout + r.stderr)
  })

  it('--purge-deleted needs the typed confirmation: without a terminal and without --yes nothing is written', async () => {
    await f.secrets().setSecret('two', 'two-later')
    await (await f.secrets().beginDeleteSecret('two', FAST_POLL)).pollUntilDone()
    const mark = f.audit.length
    const r = await run(Restore, [...common(), '--to', f.url(), '--purge-deleted', '--object', 'secret/two', ...net('kv-primary')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('no terminal')
    expect(r.stderr).toContain('--yes')
    expect(writesIn(f.audit, 'kv-primary', mark)).toEqual([])
    const yes = await run(Restore, [...common(), '--to', f.url(), '--purge-deleted', '--yes', '--object', 'secret/two', ...net('kv-primary')])
    expect(yes.code).toBe(0)
    expect((await f.secrets().getSecret('two')).value).toBe(VALUES[1])
  })

  it('takes the target\'s subscription from a vault file', async () => {
    const file = join(dir, 'vaults.yaml')
    await writeFile(file, `vaults:\n  - url: ${f.url('kv-dr')}\n    subscription: ${SUB}\n`)
    const r = await run(Restore, [...common(), '--to', f.url('kv-dr'), '--from', f.url(), '--vault-file', file, '--dry-run', '--json', ...net('kv-dr')])
    expect(r.code).toBe(0)
    const out = json<RestoreResult>(r)
    expect(out.plan.target).toMatchObject({ relation: 'same', world: { subscriptionId: SUB, geography: 'Europe' } })
    const missing = await run(Restore, [...common(), '--to', f.url('kv-us'), '--vault-file', file, '--dry-run', ...net('kv-us')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('does not list')
  })

  it('bad flags are usage errors with a hint (exit 2)', async () => {
    for (const args of [['--as-of', 'yesterday'], ['--rename', 'a=b=c'], ['--object', 'secret'], ['--snapshot', 'latest', '--as-of', '2026-01-01']]) {
      const r = await run(Restore, [...common(), '--to', f.url(), ...args, ...net('kv-primary')])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('Try this:')
    }
    const noTarget = await run(Restore, [...common()])
    expect(noTarget.code).toBe(2)
    expect(noTarget.stderr).toContain('--to')
  })
})
