/**
 * Partial failure is data, with the emulator's real RBAC and firewall: a principal missing one permission gets a
 * per-object error naming the data action and the role, the rest is backed up, the snapshot stores the problems,
 * and the exit code is 3. A vault that refuses the caller's address fails on its own: no snapshot for it, the
 * other vault's snapshot is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KeyRecord, SecretRecord } from '../../src/backup/records.js'
import { ExitCode } from '../../src/core/errors.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo } from './support.js'

let f: VaultFixture
beforeAll(async () => {
  f = await startVaultFixture({
    paging: 'full',
    principals: [{ name: 'backup-sp' }],
    roleAssignments: [
      // Reads metadata everywhere, reads the values of two secrets, may back up nothing natively.
      { principal: 'backup-sp', role: 'Key Vault Reader', scope: 'kv-primary' },
      { principal: 'backup-sp', role: 'Key Vault Secrets User', scope: 'kv-primary/secrets/a' },
      { principal: 'backup-sp', role: 'Key Vault Secrets User', scope: 'kv-primary/secrets/b' },
      { principal: 'backup-sp', role: 'Key Vault Administrator', scope: 'kv-dr' },
    ],
    vaults: [{ name: 'kv-primary' }, { name: 'kv-dr', region: 'northeurope', networkAcls: { defaultAction: 'Deny', ipRules: ['10.0.0.0/8'] } }],
  })
  const c = f.secrets()
  for (const n of ['a', 'b', 'locked']) await c.setSecret(n, `${n}-value`)
  await f.keys().createEcKey('k', { curve: 'P-256' })
  f.em.clock.advance(2000)
})
afterAll(() => f.stop())

describe('missing permissions (Azure RBAC)', () => {
  it('names the missing data action and role per object, backs up the rest, stores the problems, exits 3', async () => {
    const { repo } = await newRepo()
    const result = await backup(f, repo, { kinds: ['secret', 'key'], credential: f.em.credentialFor('backup-sp') })
    expect(result.exitCode).toBe(ExitCode.Partial)
    const v = result.vaults[0]
    expect(v?.status).toBe('partial')
    const native = v?.problems.filter((p) => /Permission denied: (secrets|keys)\.backup/.test(p.message)) ?? []
    expect(native.map((p) => `${p.kind}/${p.name}`).sort()).toEqual(['key/k', 'secret/a', 'secret/b', 'secret/locked'])
    expect(native.find((p) => p.kind === 'secret')?.message).toContain("Microsoft.KeyVault/vaults/secrets/backup/action (built-in role \"Key Vault Secrets Officer\"")
    expect(native.find((p) => p.kind === 'key')?.message).toContain('Microsoft.KeyVault/vaults/keys/backup/action')
    const locked = v?.problems.filter((p) => p.name === 'locked' && p.message.includes('secrets/getSecret/action'))
    expect(locked).toHaveLength(1)

    const entries = await entriesByName(repo, v?.snapshot as { id: string })
    const a = entries.get('secret/a')?.data as unknown as SecretRecord
    expect(a.versions[0]?.capture).toBe('value')
    expect(a.native).toBeNull()
    expect(a.restore.sameWorld).toBe(false)
    const l = entries.get('secret/locked')?.data as unknown as SecretRecord
    expect(l.versions[0]?.capture).toBe('none')
    expect(l.restore.anywhere).toBe('none')
    const k = entries.get('key/k')?.data as unknown as KeyRecord
    expect(k.versions[0]?.capture).toBe('public')

    const stored = await repo.loadSnapshot(v?.snapshot?.id as never)
    // Four native backups refused, one value refused, one key without its material.
    expect(stored.summary.errors).toBe(6)
    expect(stored.summary.problems.filter((p) => p.severity === 'error')).toHaveLength(6)
  })

  it('a vault whose firewall refuses us fails alone (exit 21 naming our address; the run exits 3)', async () => {
    const { repo } = await newRepo()
    const result = await backup(f, repo, { kinds: ['secret'], vaults: ['kv-primary', 'kv-dr'], credential: f.em.credentialFor('backup-sp') })
    const dr = result.vaults.find((v) => v.vault.includes('kv-dr'))
    expect(dr?.status).toBe('failed')
    expect(dr?.exitCode).toBe(ExitCode.Forbidden)
    expect(dr?.error?.code).toBe('VAULT_FIREWALL')
    expect(dr?.error?.message).toContain('client address 127.0.0.1')
    expect(dr?.snapshot).toBeUndefined()
    expect(result.exitCode).toBe(ExitCode.Partial)
    const { snapshots } = await repo.listSnapshots()
    expect(snapshots.map((s) => s.vault.url)).toEqual([f.url('kv-primary')])
  })

  it('only the refusing vault: the run exits 21 and writes nothing', async () => {
    const { repo } = await newRepo()
    const result = await backup(f, repo, { kinds: ['secret'], vaults: ['kv-dr'], credential: f.em.credentialFor('backup-sp') })
    expect(result.exitCode).toBe(ExitCode.Forbidden)
    expect((await repo.listSnapshots()).snapshots).toHaveLength(0)
  })
})
