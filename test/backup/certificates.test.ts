/**
 * Backing up certificates end to end: every version's certificate, its exportable PFX/PEM (private key) by value,
 * the policy, issuers (credentials sealed) and contacts; non-exportable keys recorded as "private key only in
 * native blob"; the key and secret behind each certificate never backed up on their own; the native blob restores
 * certificate, key and secret in the same world.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BackupResult } from '../../src/backup/backup.js'
import { type CertificateRecord, type ContactsRecord, FINGERPRINT, type IssuerRecord } from '../../src/backup/records.js'
import { ExitCode } from '../../src/core/errors.js'
import { canonicalJson, utf8 } from '../../src/repo/encoding.js'
import type { ContentId, Entry } from '../../src/repo/types.js'
import { FAST_POLL } from '../support/emulator.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo, type TestRepo, text } from './support.js'

let f: VaultFixture
let t: TestRepo
let result: BackupResult
let entries: Map<string, Entry>

const TLS_POLICY = { issuerName: 'Self', subject: 'CN=shop.example.test', contentType: 'application/x-pkcs12', exportable: true, keyType: 'RSA', keySize: 2048, validityInMonths: 12 } as const

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full' })
  const c = f.certificates()
  await (await c.beginCreateCertificate('shop-tls', TLS_POLICY, { tags: { app: 'shop' }, ...FAST_POLL })).pollUntilDone()
  await (await c.beginCreateCertificate('shop-tls', TLS_POLICY, { tags: { app: 'shop', renewed: 'yes' }, ...FAST_POLL })).pollUntilDone()
  await (await c.beginCreateCertificate('signing', { issuerName: 'Self', subject: 'CN=signer', contentType: 'application/x-pem-file', exportable: false, keyType: 'EC', keyCurveName: 'P-256' }, FAST_POLL)).pollUntilDone()
  await (await c.beginCreateCertificate('old-cert', TLS_POLICY, FAST_POLL)).pollUntilDone()
  await (await c.beginDeleteCertificate('old-cert', FAST_POLL)).pollUntilDone()
  await c.createIssuer('digicert-prod', 'DigiCert', { accountId: 'acct-123', password: 'issuer-pw-never-returned', organizationId: 'org-1', administratorContacts: [{ email: 'pki@example.test', firstName: 'Pat', lastName: 'Ki', phone: '555-0101' }] })
  await c.setContacts([{ email: 'ops@example.test', name: 'Ops', phone: '555-0100' }])
  f.em.clock.advance(2000)
  t = await newRepo()
  result = await backup(f, t.repo)
  entries = await entriesByName(t.repo, result.vaults[0]?.snapshot as { id: string })
})
afterAll(() => f.stop())

describe('backup of certificates', () => {
  it('backs up certificates, issuers and contacts, and not the key and secret behind each certificate', () => {
    expect(result.exitCode).toBe(ExitCode.Success)
    expect([...entries.keys()].sort()).toEqual([
      'certificate-contacts/contacts',
      'certificate-issuer/digicert-prod',
      'certificate/old-cert',
      'certificate/shop-tls',
      'certificate/signing',
    ])
    expect((entries.get('certificate/old-cert')?.data as unknown as CertificateRecord).state).toBe('deleted')
  })

  it('every version: certificate, exportable PFX by value, attributes, tags, fingerprint; the policy as the vault reports it', async () => {
    const c = f.certificates()
    const e = entries.get('certificate/shop-tls') as Entry
    const rec = e.data as unknown as CertificateRecord
    const versions: string[] = []
    for await (const p of c.listPropertiesOfCertificateVersions('shop-tls')) versions.push(p.version as string)
    expect(rec.versions.map((v) => v.version).sort()).toEqual(versions.sort())
    for (const v of rec.versions) {
      const sdk = await c.getCertificateVersion('shop-tls', v.version)
      expect(v.capture).toBe('value')
      expect(Buffer.from(await t.repo.loadContent(v.cer as ContentId))).toEqual(Buffer.from(sdk.cer as Uint8Array))
      expect(v.thumbprint).toBe(Buffer.from(sdk.properties.x509Thumbprint as Uint8Array).toString('hex'))
      expect(v.tags).toEqual(sdk.properties.tags ?? {})
      expect(v.attributes.expiresOn).toBe(sdk.properties.expiresOn?.toISOString())
      const secret = await f.secrets().getSecret('shop-tls', { version: v.version })
      expect(await text(t.repo, v.secret as string)).toBe(secret.value)
      expect(v.secretContentType).toBe('application/x-pkcs12')
      const expected = t.repo.fingerprint(
        FINGERPRINT.certificate,
        utf8(canonicalJson({ cer: Buffer.from(sdk.cer as Uint8Array).toString('base64'), enabled: v.attributes.enabled, notBefore: v.attributes.notBefore ?? null, expiresOn: v.attributes.expiresOn ?? null, tags: v.tags })),
      )
      expect(v.fingerprint).toBe(expected)
    }
    expect(rec.restore).toEqual({ sameWorld: true, anywhere: 'all', notes: [] })
    const policy = await c.getCertificatePolicy('shop-tls')
    expect(rec.policy).toMatchObject({ issuerName: policy.issuerName, subject: policy.subject, exportable: true, contentType: 'application/x-pkcs12', keyType: policy.keyType, keySize: policy.keySize })
  })

  it('a non-exportable certificate: public certificate only, the private key only in the native blob', async () => {
    const rec = entries.get('certificate/signing')?.data as unknown as CertificateRecord
    expect(rec.versions).toHaveLength(1)
    expect(rec.versions[0]?.capture).toBe('public')
    expect(rec.versions[0]?.secret).toBeUndefined()
    expect(rec.restore.anywhere).toBe('none')
    expect(rec.restore.notes.join(' ')).toContain('private key only in native blob')
    // No request read its managed secret.
    expect(f.audit.filter((r) => r.operationName === 'SecretGet' && r.requestUri.includes('/secrets/signing/'))).toHaveLength(0)
  })

  it('issuers with their credentials sealed (Key Vault never returns the password), and the contacts', async () => {
    const e = entries.get('certificate-issuer/digicert-prod') as Entry
    const rec = e.data as unknown as IssuerRecord
    expect(rec).toMatchObject({ provider: 'DigiCert', organizationId: 'org-1', passwordCaptured: false })
    expect(rec.administratorContacts).toEqual([{ email: 'pki@example.test', firstName: 'Pat', lastName: 'Ki', phone: '555-0101' }])
    expect(JSON.stringify(e.data)).not.toContain('acct-123')
    expect(JSON.parse(await text(t.repo, rec.credentials as string))).toEqual({ accountId: 'acct-123' })
    expect(rec.notes[0]).toContain('does not return issuer passwords')
    const contacts = entries.get('certificate-contacts/contacts')?.data as unknown as ContactsRecord
    expect(contacts.contacts).toEqual([{ email: 'ops@example.test', name: 'Ops', phone: '555-0100' }])
  })

  it('the native blob restores the certificate with its key and secret in the same world', async () => {
    const rec = entries.get('certificate/shop-tls')?.data as unknown as CertificateRecord
    const dr = f.certificates('kv-dr')
    await dr.restoreCertificateBackup(await t.repo.loadContent(rec.native?.content as ContentId))
    const latest = rec.versions.at(-1)?.version as string
    expect((await dr.getCertificate('shop-tls')).properties.version).toBe(latest)
    const secret = await f.secrets('kv-dr').getSecret('shop-tls', { version: latest })
    expect(secret.value).toBe(await text(t.repo, rec.versions.at(-1)?.secret as string))
  })
})
