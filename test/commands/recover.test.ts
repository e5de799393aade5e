/**
 * `kvdr recover` through oclif against the emulator: DefaultAzureCredential (the emulator's managed identity, with
 * real RBAC roles), --ca-file and --resolve; listing with dates, recover by name, glob and --all (usable afterwards,
 * read through the SDK), certificates with their key and secret, --dry-run proved by the audit log, guarded purge,
 * purge protection, a missing permission named per object, a name still being deleted - and no secret value printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Recover from '../../commands/recover.js'
import type { RecoverResult } from '../../src/recover/recover.js'
import { answered, startVaultFixture, type VaultFixture } from '../vault/support.js'
import { createCertificate, deleteCertificate, deleteKey, deleteSecret, rejection, SLOW } from '../recover/support.js'
import { json, run, type RunResult } from './repo/run.js'

const VALUES = ['recover-value-alpha-1', 'recover-value-beta-2', 'recover-value-gamma-3', 'recover-value-delta-4']
let f: VaultFixture
const outputs: string[] = []

const net = (vault = 'kv-primary'): string[] => ['--vault', f.url(vault), '--ca-file', f.caFile, '--resolve', `${new URL(f.url(vault)).hostname}=127.0.0.1`]
async function recover(vault: string, ...args: string[]): Promise<RunResult> {
  const r = await run(Recover, [...net(vault), ...args])
  outputs.push(r.stdout, r.stderr)
  return r
}

beforeAll(async () => {
  f = await startVaultFixture({
    vaults: [{ name: 'kv-primary' }, { name: 'kv-guarded', purgeProtection: true }, { name: 'kv-slow', ...SLOW }],
    principals: [{ name: 'recover-mi', type: 'managedIdentity', systemAssigned: true }],
    roleAssignments: [
      { principal: 'recover-mi', role: 'Key Vault Reader', scope: '/' },
      { principal: 'recover-mi', role: 'Key Vault Secrets Officer', scope: '/' },
      { principal: 'recover-mi', role: 'Key Vault Certificates Officer', scope: '/' },
    ],
  })
  const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = f.em.managedIdentityEnv('appService')
  Object.assign(process.env, identity)
  const s = f.secrets()
  await s.setSecret('db-password', VALUES[0] as string)
  await s.setSecret('app-1', VALUES[1] as string)
  await s.setSecret('app-2', VALUES[2] as string)
  await s.setSecret('old-token', VALUES[3] as string)
  await f.keys().createEcKey('signing-key', { curve: 'P-256' })
  await createCertificate(f, 'web')
  for (const n of ['db-password', 'app-1', 'app-2', 'old-token']) await deleteSecret(f, n)
  await deleteKey(f, 'signing-key')
  await deleteCertificate(f, 'web')
})
afterAll(async () => {
  delete process.env.IDENTITY_ENDPOINT
  delete process.env.IDENTITY_HEADER
  await f?.stop()
  for (const out of outputs) for (const v of VALUES) {
    expect(out).not.toContain(v)
    expect(out).not.toContain(Buffer.from(v).toString('base64'))
  }
})

const WRITES = /(Recover|Purge|Set|Delete|Create|Import|Update|Restore)$/

describe('kvdr recover', () => {
  it('lists soft-deleted objects with dates and days left; managed items come back with their certificate', async () => {
    const r = await recover('kv-primary', '--json')
    expect(r.code).toBe(0)
    const out = json<RecoverResult>(r)
    expect(out).toMatchObject({ action: 'list', settings: { recoveryLevel: 'Recoverable+Purgeable', purgeProtection: false } })
    const byRef = new Map(out.deleted.map((d) => [`${d.kind}/${d.name}`, d]))
    expect([...byRef.keys()].sort()).toEqual(['certificate/web', 'key/signing-key', 'key/web', 'secret/app-1', 'secret/app-2', 'secret/db-password', 'secret/old-token', 'secret/web'])
    const db = byRef.get('secret/db-password')
    expect(Date.parse(db?.scheduledPurgeDate as string) - Date.parse(db?.deletedOn as string)).toBe(90 * 86_400_000)
    expect(db?.daysLeft).toBeGreaterThanOrEqual(89)
    expect(byRef.get('secret/web')?.managedBy).toBe('certificate/web')
    const human = await recover('kv-primary')
    expect(human.stdout).toMatch(/secret\s+db-password\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(89|90)/)
    expect(human.stdout).toContain('comes back with certificate/web')
  })

  it('--dry-run --all shows what it would do and writes nothing (audit log)', async () => {
    const mark = f.audit.length
    const r = await recover('kv-primary', '--all', '--dry-run', '--json')
    expect(r.code).toBe(0)
    const out = json<RecoverResult>(r)
    expect(out.objects.map((o) => [o.object, o.status])).toEqual([['certificate/web', 'planned'], ['key/signing-key', 'planned'], ['secret/app-1', 'planned'], ['secret/app-2', 'planned'], ['secret/db-password', 'planned'], ['secret/old-token', 'planned']])
    expect(out.objects[0]?.message).toBe('would recover, with key/web and secret/web')
    const ops = answered(f.audit.slice(mark)).map((a) => a.operationName)
    expect(ops.length).toBeGreaterThan(0)
    expect(ops.filter((o) => WRITES.test(o))).toEqual([])
  })

  it('recovers one name and a glob; they are usable afterwards', async () => {
    const one = await recover('kv-primary', 'secret/db-password')
    expect(one.code).toBe(0)
    expect(one.stdout).toMatch(/done\s+secret\/db-password: recovered/)
    expect((await f.secrets().getSecret('db-password')).value).toBe(VALUES[0])
    const glob = await recover('kv-primary', 'app-*', '--kind', 'secret', '--json')
    expect(glob.code).toBe(0)
    expect(json<RecoverResult>(glob).objects.map((o) => [o.object, o.status])).toEqual([['secret/app-1', 'done'], ['secret/app-2', 'done']])
    expect((await f.secrets().getSecret('app-2')).value).toBe(VALUES[2])
    expect((await rejection(f.secrets().getSecret('old-token'))).statusCode).toBe(404)
    const again = await recover('kv-primary', 'secret/db-password')
    expect(again.code).toBe(1)
    expect(again.stdout).toContain('secret/db-password is live, not deleted')
  })

  it('--all recovers the certificate with its key and secret; a missing permission is named per object (exit 3)', async () => {
    const r = await recover('kv-primary', '--all', '--kind', 'certificate', '--kind', 'key')
    expect(r.code).toBe(3)
    expect(r.stdout).toMatch(/done\s+certificate\/web: recovered, with key\/web and secret\/web/)
    expect(r.stdout).toMatch(/error\s+key\/signing-key: Permission denied: keys\.recover .*Microsoft\.KeyVault\/vaults\/keys\/recover\/action/)
    expect(r.stdout).toContain('Key Vault Crypto Officer')
    expect((await f.certificates().getCertificate('web')).properties.enabled).toBe(true)
    expect((await f.keys().getKey('web')).properties.managed).toBe(true)
    expect((await f.secrets().getSecret('web')).properties.managed).toBe(true)
    expect((await f.keys().getDeletedKey('signing-key')).name).toBe('signing-key')
  })

  it('purge without a terminal and without --yes is a usage error; nothing is purged', async () => {
    expect(process.stdin.isTTY).toBeFalsy()
    const mark = f.audit.length
    const r = await recover('kv-primary', '--purge', 'secret/old-token')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('needs a typed confirmation')
    expect(r.stderr).toContain('--yes')
    expect(answered(f.audit.slice(mark)).filter((a) => WRITES.test(a.operationName))).toEqual([])
    expect((await f.secrets().getDeletedSecret('old-token')).name).toBe('old-token')
  })

  it('purge --yes deletes for good', async () => {
    const r = await recover('kv-primary', '--purge', 'secret/old-token', '--yes')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/done\s+secret\/old-token: purged/)
    expect((await rejection(f.secrets().getDeletedSecret('old-token'))).statusCode).toBe(404)
  })

  it('purge is refused under purge protection (exit 23, scheduled purge date named); the object stays', async () => {
    await f.secrets('kv-guarded').setSecret('kept', 'guarded value')
    await deleteSecret(f, 'kept', 'kv-guarded')
    const scheduled = (await f.secrets('kv-guarded').getDeletedSecret('kept')).scheduledPurgeDate?.toISOString() as string
    const mark = f.audit.length
    const r = await recover('kv-guarded', '--purge', 'secret/kept', '--yes')
    expect(r.code).toBe(23)
    expect(r.stdout).toContain('purge protection is enabled')
    expect(r.stdout).toContain(scheduled)
    expect(answered(f.audit.slice(mark)).filter((a) => WRITES.test(a.operationName))).toEqual([])
    const dry = await recover('kv-guarded', '--purge', '--all', '--dry-run')
    expect(dry.code).toBe(23)
    expect((await f.secrets('kv-guarded').getDeletedSecret('kept')).name).toBe('kept')
  })

  it('waits for a name that is still being deleted, then recovers it', async () => {
    await f.secrets('kv-slow').setSecret('racing', 'racing value')
    await f.secrets('kv-slow').beginDeleteSecret('racing')
    const r = await recover('kv-slow', 'secret/racing')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('recovered (its deletion was still running)')
    expect((await f.secrets('kv-slow').getSecret('racing')).value).toBe('racing value')
  })

  it('bad selections are usage errors with a hint', async () => {
    const r = await recover('kv-primary', '--purge')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Try this:')
    expect((await recover('kv-primary', 'secret/a/b')).code).toBe(2)
  })
})
