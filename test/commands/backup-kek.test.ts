/**
 * The repository's Key Vault key slot through the CLI, against the emulator: `kvdr repo key add --type kek
 * --key-id <versioned key id>` (DefaultAzureCredential: the emulator's managed identity; KVDR_CA_FILE and
 * KVDR_RESOLVE for the network), then opening with only that slot; with the KEK vault unreachable, the offline
 * recovery key still opens the repository, and without it the error names what failed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import RepoInit from '../../commands/repo/init.js'
import RepoKeyAdd from '../../commands/repo/key/add.js'
import SnapshotsList from '../../commands/snapshots/list.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { json, passwordFile, run } from './repo/run.js'

let f: VaultFixture
let dir: string
let keyId: string
const saved = { ...process.env }

beforeAll(async () => {
  f = await startVaultFixture({
    principals: [{ name: 'backup-mi', type: 'managedIdentity', systemAssigned: true }],
    // The KEK lives in another vault; the identity may only wrap and unwrap with it.
    roleAssignments: [{ principal: 'backup-mi', role: 'Key Vault Crypto Service Encryption User', scope: 'kv-dr' }],
  })
  keyId = (await f.keys('kv-dr').createRsaKey('kvdr-kek', { keySize: 2048 })).id as string
  dir = await mkdtemp(join(tmpdir(), 'kvdr-kek-cli-'))
  const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = f.em.managedIdentityEnv('appService')
  Object.assign(process.env, identity, { KVDR_CA_FILE: f.caFile, KVDR_CACHE_DIR: join(dir, 'cache') })
  delete process.env.KVDR_PASSWORD
})
afterAll(async () => {
  process.env = saved
  await f.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('kvdr repo key add --type kek', () => {
  it('adds a Key Vault key slot; the repository opens with only it; unreachable KEK vault: the recovery key opens it', async () => {
    const repo = 'memory://kek-cli'
    const pw = await passwordFile(dir, 'kek test passphrase')
    const recovery = join(dir, 'recovery.txt')
    expect((await run(RepoInit, ['--repo', repo, '--password-file', pw, '--kdf-cost', '10', '--write-recovery-key', recovery])).code).toBe(0)

    process.env.KVDR_RESOLVE = `${new URL(keyId).hostname}=127.0.0.1`
    const added = await run(RepoKeyAdd, ['--repo', repo, '--password-file', pw, '--type', 'kek', '--key-id', keyId, '--label', 'dr-kek', '--json'])
    expect(added.code, added.stderr).toBe(0)
    expect(json<{ added: { type: string; keyId: string } }>(added).added).toMatchObject({ type: 'kek', keyId })

    // No passphrase, no recovery key: only Key Vault access.
    const viaKek = await run(SnapshotsList, ['--repo', repo, '--json'])
    expect(viaKek.code, viaKek.stderr).toBe(0)
    const unwraps = f.audit.filter((a) => a.operationName === 'KeyUnwrap' && a.resultSignature === 200)
    expect(unwraps.length).toBeGreaterThan(0)

    // The KEK vault is unreachable (nothing listens on 127.0.0.2).
    process.env.KVDR_RESOLVE = `${new URL(keyId).hostname}=127.0.0.2`
    const withRecovery = await run(SnapshotsList, ['--repo', repo, '--recovery-key-file', recovery, '--json'])
    expect(withRecovery.code, withRecovery.stderr).toBe(0)
    const without = await run(SnapshotsList, ['--repo', repo])
    expect(without.code).toBe(12)
    expect(without.stderr).toMatch(/kek slot [0-9a-f]+ \(.*kvdr-kek.*\) failed: Cannot connect to .*ECONNREFUSED/)
    expect(without.stderr).toContain('unwrapKey')
  })
})
