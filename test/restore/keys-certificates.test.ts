/**
 * Restoring keys, certificates, issuers and contacts (official SDK seeding and checks, kvdr over HTTPS, the
 * emulator): natively into another vault of the same world (original version ids, the same key material, the
 * rotation policy re-applied), and into another geography - certificates by value (every version's certificate,
 * tags, enabled state and the policy), keys and non-exportable certificates reported impossible with the reason,
 * issuers and contacts set. Then a re-run finds everything identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import type { CertificateClient } from '@azure/keyvault-certificates'
import type { KeyClient } from '@azure/keyvault-keys'
import type { RestoreRun } from '../../src/restore/restore.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, newRepo, type TestRepo } from '../backup/support.js'
import { addOtherSubscriptionVault, restore } from './support.js'

let f: VaultFixture
let t: TestRepo
let dr: RestoreRun
let us: RestoreRun

async function keyVersions(c: KeyClient, name: string): Promise<Array<{ version: string; n?: string; x?: string; tags: unknown; enabled?: boolean; ops: unknown }>> {
  const out = []
  for await (const p of c.listPropertiesOfKeyVersions(name)) {
    const k = await c.getKey(name, { version: p.version as string })
    out.push({ version: p.version as string, n: k.key?.n ? Buffer.from(k.key.n).toString('base64') : undefined, x: k.key?.x ? Buffer.from(k.key.x).toString('base64') : undefined, tags: p.tags ?? {}, enabled: p.enabled, ops: k.keyOperations })
  }
  return out.sort((a, b) => a.version.localeCompare(b.version))
}

/** Every certificate version's DER, tags and enabled state, oldest first (by validity start, then DER). */
async function certVersions(c: CertificateClient, name: string): Promise<Array<{ cer: string; tags: unknown; enabled?: boolean }>> {
  const out = []
  for await (const p of c.listPropertiesOfCertificateVersions(name)) {
    const v = await c.getCertificateVersion(name, p.version as string)
    out.push({ cer: Buffer.from(v.cer as Uint8Array).toString('base64'), tags: p.tags ?? {}, enabled: p.enabled })
  }
  return out.sort((a, b) => a.cer.localeCompare(b.cer))
}

async function policyOf(c: CertificateClient, name: string): Promise<Record<string, unknown>> {
  const p = await c.getCertificatePolicy(name)
  return { exportable: p.exportable, keyType: p.keyType, keySize: p.keySize, subject: p.subject, contentType: p.contentType, issuerName: p.issuerName, validityInMonths: p.validityInMonths, lifetimeActions: p.lifetimeActions, reuseKey: p.reuseKey }
}

beforeAll(async () => {
  f = await startVaultFixture()
  const keys = f.keys()
  await keys.createRsaKey('cmk', { keySize: 2048, tags: { use: 'storage' } })
  f.em.clock.advance(1000)
  await keys.createRsaKey('cmk', { keySize: 2048, tags: { use: 'storage', gen: '2' }, keyOps: ['wrapKey', 'unwrapKey'] })
  await keys.updateKeyRotationPolicy('cmk', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }], expiresIn: 'P1Y' })
  await keys.createEcKey('signing', { curve: 'P-256' })
  const certs = f.certificates()
  await (await certs.beginCreateCertificate('shop-tls', { issuerName: 'Self', subject: 'CN=shop.example', contentType: 'application/x-pkcs12', exportable: true, validityInMonths: 12 }, { ...FAST_POLL, tags: { app: 'shop' } })).pollUntilDone()
  f.em.clock.advance(1000)
  await (await certs.beginCreateCertificate('shop-tls', { issuerName: 'Self', subject: 'CN=shop.example', contentType: 'application/x-pkcs12', exportable: true, validityInMonths: 24 }, { ...FAST_POLL, tags: { app: 'shop', gen: '2' } })).pollUntilDone()
  await (await certs.beginCreateCertificate('pem-tls', { issuerName: 'Self', subject: 'CN=pem.example', contentType: 'application/x-pem-file', exportable: true, validityInMonths: 6 }, FAST_POLL)).pollUntilDone()
  await (await certs.beginCreateCertificate('locked-tls', { issuerName: 'Self', subject: 'CN=locked.example', contentType: 'application/x-pkcs12', exportable: false, validityInMonths: 12 }, FAST_POLL)).pollUntilDone()
  await certs.createIssuer('digicert-prod', 'DigiCert', { accountId: 'acct-42', password: 'issuer-pass-never-shown', organizationId: 'contoso' })
  await certs.setContacts([{ email: 'pki@contoso.example', name: 'PKI team', phone: '555-0100' }])
  f.em.clock.advance(2000)
  t = await newRepo()
  expect((await backup(f, t.repo)).exitCode).toBe(ExitCode.Success)
  dr = await restore(f, t.repo, 'kv-dr')
  us = await restore(f, t.repo, 'kv-us')
})
afterAll(() => f.stop())

describe('restore of keys and certificates into the same world (native)', () => {
  it('brings every object back with its original version ids and the same key material', async () => {
    expect(dr.exitCode).toBe(ExitCode.Success)
    const planned = dr.plan.objects.filter((o) => o.kind === 'key' || o.kind === 'certificate')
    expect(planned.every((o) => o.action === 'create' && o.method === 'native')).toBe(true)
    for (const name of ['cmk', 'signing']) expect(await keyVersions(f.keys('kv-dr'), name)).toEqual(await keyVersions(f.keys(), name))
    for (const name of ['shop-tls', 'pem-tls', 'locked-tls']) {
      expect(await certVersions(f.certificates('kv-dr'), name)).toEqual(await certVersions(f.certificates(), name))
      expect(await policyOf(f.certificates('kv-dr'), name)).toEqual(await policyOf(f.certificates(), name))
    }
  })

  it('re-applies the key rotation policy (native backups do not carry it)', async () => {
    const want = await f.keys().getKeyRotationPolicy('cmk')
    const got = await f.keys('kv-dr').getKeyRotationPolicy('cmk')
    expect({ actions: got.lifetimeActions, expiresIn: got.expiresIn }).toEqual({ actions: want.lifetimeActions, expiresIn: want.expiresIn })
    expect(dr.outcomes?.find((o) => o.name === 'cmk')?.message).toContain('rotation policy re-applied')
  })

  it('sets issuers and contacts', async () => {
    const i = await f.certificates('kv-dr').getIssuer('digicert-prod')
    expect({ provider: i.provider, accountId: i.accountId, organizationId: i.organizationId }).toEqual({ provider: 'DigiCert', accountId: 'acct-42', organizationId: 'contoso' })
    expect(await f.certificates('kv-dr').getContacts()).toEqual(await f.certificates().getContacts())
    expect(dr.plan.objects.find((o) => o.kind === 'certificate-issuer')?.notes.join(' ')).toContain('never returns issuer passwords')
  })
})

describe('restore of keys and certificates into the same vault (native)', () => {
  it('re-creates a purged key and certificate with their original version ids', async () => {
    const before = { key: await keyVersions(f.keys(), 'signing'), cert: await certVersions(f.certificates(), 'pem-tls') }
    await (await f.keys().beginDeleteKey('signing', FAST_POLL)).pollUntilDone()
    await f.keys().purgeDeletedKey('signing')
    await (await f.certificates().beginDeleteCertificate('pem-tls', FAST_POLL)).pollUntilDone()
    await f.certificates().purgeDeletedCertificate('pem-tls')
    await new Promise((r) => setTimeout(r, 100))
    const r = await restore(f, t.repo, 'kv-primary')
    expect(r.exitCode).toBe(ExitCode.Success)
    expect(r.outcomes?.filter((o) => o.action !== 'skip').map((o) => [o.kind, o.name, o.method, o.status]).sort()).toEqual([
      ['certificate', 'pem-tls', 'native', 'done'],
      ['key', 'signing', 'native', 'done'],
    ])
    expect(await keyVersions(f.keys(), 'signing')).toEqual(before.key)
    expect(await certVersions(f.certificates(), 'pem-tls')).toEqual(before.cert)
  })
})

describe('restore of keys and certificates into another subscription', () => {
  it('imports certificates by value and reports keys impossible (their world is the snapshot\'s subscription)', async () => {
    const vault = await addOtherSubscriptionVault(f)
    const r = await restore(f, t.repo, vault)
    expect(r.plan.target.relation).toBe('different')
    expect(r.outcomes?.find((o) => o.name === 'cmk')?.reason).toContain('target is in subscription 0c1d2e3f')
    expect(r.outcomes?.find((o) => o.name === 'shop-tls')).toMatchObject({ method: 'value', status: 'done' })
    expect(await certVersions(f.certificates(vault), 'shop-tls')).toEqual(await certVersions(f.certificates(), 'shop-tls'))
    expect(await policyOf(f.certificates(vault), 'shop-tls')).toEqual(await policyOf(f.certificates(), 'shop-tls'))
  })
})

describe('restore of keys and certificates into another geography', () => {
  it('reports keys and non-exportable certificates as impossible, with the reason, and restores the rest (exit 3)', () => {
    expect(us.exitCode).toBe(ExitCode.Partial)
    for (const name of ['cmk', 'signing']) {
      const k = us.outcomes?.find((o) => o.kind === 'key' && o.name === name)
      expect(k).toMatchObject({ action: 'impossible', status: 'error' })
      expect(k?.reason).toContain('non-exportable key: only restorable into subscription 5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01, geography Europe')
    }
    const locked = us.outcomes?.find((o) => o.name === 'locked-tls')
    expect(locked).toMatchObject({ action: 'impossible' })
    expect(locked?.reason).toContain('no version was captured by value')
  })

  it('imports every exportable certificate version by value with tags, enabled state and the policy', async () => {
    for (const name of ['shop-tls', 'pem-tls']) {
      expect(us.outcomes?.find((o) => o.name === name)).toMatchObject({ action: 'create', method: 'value', status: 'done' })
      expect(await certVersions(f.certificates('kv-us'), name)).toEqual(await certVersions(f.certificates(), name))
      expect(await policyOf(f.certificates('kv-us'), name)).toEqual(await policyOf(f.certificates(), name))
    }
    expect(await f.certificates('kv-us').getContacts()).toEqual(await f.certificates().getContacts())
  })

  it('finds everything identical on a second run and writes nothing', async () => {
    const mark = f.audit.length
    const again = await restore(f, t.repo, 'kv-us')
    const restorable = again.outcomes?.filter((o) => o.action !== 'impossible') ?? []
    expect(restorable.map((o) => [o.kind, o.name, o.action])).toEqual(restorable.map((o) => [o.kind, o.name, 'skip']))
    expect(f.audit.slice(mark).filter((r) => r.vault === 'kv-us' && /Set|Import|Restore|Update/.test(r.operationName))).toEqual([])
    expect(JSON.stringify(again)).not.toContain('issuer-pass-never-shown')
  })
})
