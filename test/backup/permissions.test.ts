/**
 * Partial failure is data: a principal missing one permission gets a per-object error naming the data action and
 * the role, the rest is backed up, the snapshot stores the problems, and the exit code is 3. A vault that cannot
 * be read at all (firewall) fails on its own: no snapshot for it, the other vault's snapshot is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SecretRecord } from '../../src/backup/records.js'
import { ExitCode } from '../../src/core/errors.js'
import { KvHttpError, type OperationDescriptor, type StageRequest } from '../../src/emulator/index.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo } from './support.js'

/** Key Vault's RBAC refusal for `op`. */
function denied(op: OperationDescriptor, req: StageRequest): KvHttpError {
  return new KvHttpError(403, 'Forbidden', `Caller is not authorized to perform action on resource.\r\nCaller: appid=1;oid=2\r\nAction: '${op.dataAction}'\r\nVault: ${req.vault.name};location=${req.vault.region}\r\n`, { innerCode: 'ForbiddenByRbac' })
}

let f: VaultFixture
beforeAll(async () => {
  f = await startVaultFixture({
    paging: 'full',
    stages: {
      // The backup identity lacks secrets/backup/action everywhere, and getSecret on one secret.
      authorizer: {
        authorize: (_p, op, req) => {
          if (op.name === 'SecretBackup') throw denied(op, req)
          if (op.name === 'SecretGet' && req.url.startsWith('/secrets/locked/')) throw denied(op, req)
        },
      },
      firewall: {
        check: (req) => {
          if (req.vault.name === 'kv-dr') throw new KvHttpError(403, 'Forbidden', `Client address is not authorized and caller is not a trusted service.\r\nClient address: 198.51.100.7\r\nVault: kv-dr;location=northeurope`, { innerCode: 'ForbiddenByFirewall' })
        },
      },
    },
  })
  const c = f.secrets()
  for (const n of ['a', 'b', 'locked']) await c.setSecret(n, `${n}-value`)
  f.em.clock.advance(2000)
})
afterAll(() => f.stop())

describe('missing permissions', () => {
  it('names the missing data action per object, backs up the rest, stores the problems, exits 3', async () => {
    const { repo } = await newRepo()
    const result = await backup(f, repo, { kinds: ['secret'] })
    expect(result.exitCode).toBe(ExitCode.Partial)
    const v = result.vaults[0]
    expect(v?.status).toBe('partial')
    const backupProblems = v?.problems.filter((p) => p.message.includes('Microsoft.KeyVault/vaults/secrets/backup/action')) ?? []
    expect(backupProblems.map((p) => p.name).sort()).toEqual(['a', 'b', 'locked'])
    expect(backupProblems[0]?.message).toContain('Key Vault Secrets Officer')
    const locked = v?.problems.filter((p) => p.name === 'locked' && p.message.includes('getSecret/action'))
    expect(locked).toHaveLength(1)

    const entries = await entriesByName(repo, v?.snapshot as { id: string })
    const a = entries.get('secret/a')?.data as unknown as SecretRecord
    expect(a.versions[0]?.capture).toBe('value')
    expect(a.native).toBeNull()
    expect(a.restore.sameWorld).toBe(false)
    const l = entries.get('secret/locked')?.data as unknown as SecretRecord
    expect(l.versions[0]?.capture).toBe('none')
    expect(l.restore.anywhere).toBe('none')

    const stored = await repo.loadSnapshot(v?.snapshot?.id as never)
    expect(stored.summary.errors).toBe(4)
    expect(stored.summary.problems.filter((p) => p.severity === 'error')).toHaveLength(4)
  })

  it('a vault behind its firewall fails alone (exit 21 for it, 3 for the run); the other vault is backed up', async () => {
    const { repo } = await newRepo()
    const result = await backup(f, repo, { kinds: ['secret'], vaults: ['kv-primary', 'kv-dr'] })
    const dr = result.vaults.find((v) => v.vault.includes('kv-dr'))
    expect(dr?.status).toBe('failed')
    expect(dr?.exitCode).toBe(ExitCode.Forbidden)
    expect(dr?.error?.code).toBe('VAULT_FIREWALL')
    expect(dr?.error?.message).toContain('198.51.100.7')
    expect(dr?.snapshot).toBeUndefined()
    expect(result.exitCode).toBe(ExitCode.Partial)
    const { snapshots } = await repo.listSnapshots()
    expect(snapshots.map((s) => s.vault.url)).toEqual([f.url('kv-primary')])
  })

  it('only the firewalled vault: the run exits 21 and writes nothing', async () => {
    const { repo } = await newRepo()
    const result = await backup(f, repo, { kinds: ['secret'], vaults: ['kv-dr'] })
    expect(result.exitCode).toBe(ExitCode.Forbidden)
    expect((await repo.listSnapshots()).snapshots).toHaveLength(0)
  })
})
