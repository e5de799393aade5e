/**
 * The certificate lifecycle through the official clients: delete, recover and purge carry the managed key and secret
 * along; the managed secret refuses direct delete and backup; native backups restore within the world with the
 * original version ids and fail outside it; imports of openssl-made PFX and PEM (passwords, derived policy, chain
 * order) and a value round trip between vaults.
 */
import { spawnSync } from 'node:child_process'
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CertificateClient, type CertificatePolicy, type KeyVaultCertificateWithPolicy } from '@azure/keyvault-certificates'
import type { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { FAST_POLL, FAST_TIMING, keyClient, secretClient, startTestEmulator } from '../support/emulator.js'

let em: EmulatorHandle
let dir: string
let primary: CertificateClient
let dr: CertificateClient
let us: CertificateClient
let primarySecrets: SecretClient
let drSecrets: SecretClient

function client(vault: string): CertificateClient {
  const { vaultUrl, options } = em.clientSetup(vault)
  return new CertificateClient(vaultUrl, em.credential, { ...options, retryOptions: { maxRetries: 0 } })
}

beforeAll(async () => {
  em = await startTestEmulator({ timing: { ...FAST_TIMING, issueDelayMs: 40 } })
  primary = client('kv-primary')
  dr = client('kv-dr')
  us = client('kv-us')
  primarySecrets = secretClient(em, 'kv-primary')
  drSecrets = secretClient(em, 'kv-dr')
  dir = mkdtempSync(join(tmpdir(), 'kvdr-certs-lifecycle-'))
})
afterAll(async () => {
  await em?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface ServiceError extends Error {
  statusCode?: number
  code?: string
}

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect((err as Error | undefined)?.name).toBe('RestError')
  return err as ServiceError
}

function openssl(...args: string[]): string {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`)
  return r.stdout
}

function file(name: string): Buffer {
  return readFileSync(join(dir, name))
}

function spki(key: KeyObject | string): string {
  const pub = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key)
  return pub.export({ type: 'spki', format: 'der' }).toString('base64')
}

async function createSelfSigned(c: CertificateClient, name: string, policy: Partial<CertificatePolicy> = {}): Promise<KeyVaultCertificateWithPolicy> {
  const poller = await c.beginCreateCertificate(name, { issuerName: 'Self', subject: `CN=${name}`, keyType: 'EC', ...policy } as CertificatePolicy, FAST_POLL)
  return poller.pollUntilDone()
}

/** Retry `fn` while the service answers 409 (a name still being deleted or purged); state-driven, no fixed waits. */
async function whenFree<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if ((err as ServiceError).statusCode !== 409) throw err
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
}

describe('soft delete', () => {
  it('deletes, recovers and purges the certificate together with its key and secret', async () => {
    const keys = keyClient(em, 'kv-primary')
    const cert = await createSelfSigned(primary, 'lifecycle')
    const deleted = await (await primary.beginDeleteCertificate('lifecycle', FAST_POLL)).pollUntilDone()
    expect(deleted.recoveryId).toBe(`${em.vault('kv-primary').hostUrl}/deletedcertificates/lifecycle`)
    expect(deleted.properties.version).toBe(cert.properties.version)
    expect(((deleted.scheduledPurgeDate?.getTime() ?? 0) - (deleted.deletedOn?.getTime() ?? 0)) / 86_400_000).toBe(90)
    expect((await rejection(primary.getCertificate('lifecycle'))).statusCode).toBe(404)
    const deletedSecret = await primarySecrets.getDeletedSecret('lifecycle')
    expect([deletedSecret.properties.managed, deletedSecret.properties.version]).toEqual([true, cert.properties.version])
    expect([deletedSecret.deletedOn, deletedSecret.scheduledPurgeDate]).toEqual([deleted.deletedOn, deleted.scheduledPurgeDate])
    const deletedKey = await keys.getDeletedKey('lifecycle')
    expect([deletedKey.properties.managed, deletedKey.properties.version, deletedKey.properties.deletedOn]).toEqual([true, cert.properties.version, deleted.deletedOn])
    const listed: string[] = []
    for await (const d of primary.listDeletedCertificates()) listed.push(d.name)
    expect(listed).toContain('lifecycle')
    expect((await rejection(primarySecrets.setSecret('lifecycle', 'squatter'))).statusCode).toBe(409)

    const recovered = await (await primary.beginRecoverDeletedCertificate('lifecycle', FAST_POLL)).pollUntilDone()
    expect(recovered.properties.version).toBe(cert.properties.version)
    expect((await primarySecrets.getSecret('lifecycle')).properties.version).toBe(cert.properties.version)
    expect((await keys.getKey('lifecycle')).properties.version).toBe(cert.properties.version)

    await (await primary.beginDeleteCertificate('lifecycle', FAST_POLL)).pollUntilDone()
    await primary.purgeDeletedCertificate('lifecycle')
    expect((await rejection(primary.getDeletedCertificate('lifecycle'))).statusCode).toBe(404)
    expect((await rejection(primarySecrets.getDeletedSecret('lifecycle'))).statusCode).toBe(404)
    expect((await rejection(keys.getDeletedKey('lifecycle'))).statusCode).toBe(404)
    const again = await whenFree(() => createSelfSigned(primary, 'lifecycle'))
    expect(again.properties.version).not.toBe(cert.properties.version)
  })

  it('refuses to delete or back up the managed secret and key directly (403, as Key Vault words it)', async () => {
    await createSelfSigned(primary, 'guarded')
    const keys = keyClient(em, 'kv-primary')
    const keyBackup = await rejection(keys.backupKey('guarded'))
    expect([keyBackup.statusCode, keyBackup.message]).toEqual([
      403,
      'Operation "backup" is not allowed on this Key, since it is associated with a certificate. Perform the operation on the corresponding certificate.',
    ])
    expect((await rejection(keys.beginDeleteKey('guarded'))).statusCode).toBe(403)
    const del = await rejection(primarySecrets.beginDeleteSecret('guarded'))
    expect(del.statusCode).toBe(403)
    const backup = await rejection(primarySecrets.backupSecret('guarded'))
    expect([backup.statusCode, backup.message]).toEqual([
      403,
      'Operation "backup" is not allowed on this Secret, since it is associated with a certificate. Perform the operation on the corresponding certificate.',
    ])
  })
})

describe('native backup', () => {
  it('restores in the same world with the original versions, policy, key and secret', async () => {
    const v1 = await createSelfSigned(primary, 'dr-cert', { contentType: 'application/x-pem-file' })
    const v2 = await createSelfSigned(primary, 'dr-cert', { contentType: 'application/x-pem-file' })
    await primary.updateCertificateProperties('dr-cert', v2.properties.version as string, { tags: { tier: 'gold' } })
    const blob = await primary.backupCertificate('dr-cert')
    const restored = await dr.restoreCertificateBackup(blob as Uint8Array)
    expect(restored.properties.version).toBe(v2.properties.version)
    expect(restored.properties.tags).toEqual({ tier: 'gold' })
    expect(Buffer.from(restored.cer as Uint8Array).equals(Buffer.from(v2.cer as Uint8Array))).toBe(true)
    expect(restored.policy).toEqual(v2.policy)
    const versions: string[] = []
    for await (const p of dr.listPropertiesOfCertificateVersions('dr-cert')) versions.push(p.version as string)
    expect(versions.sort()).toEqual([v1.properties.version as string, v2.properties.version as string].sort())
    const secret = await drSecrets.getSecret('dr-cert')
    expect([secret.properties.version, secret.properties.managed]).toEqual([v2.properties.version, true])
    const key = await keyClient(em, 'kv-dr').getKey('dr-cert')
    expect([key.properties.version, key.properties.managed]).toEqual([v2.properties.version, true])
    expect(spki(createPrivateKey(secret.value as string))).toBe(spki(new X509Certificate(v2.cer as Uint8Array).publicKey))
  })

  it('fails in another geography, on a name in use, on a soft-deleted name and on a secret of the same name', async () => {
    const blob = (await primary.backupCertificate('dr-cert')) as Uint8Array
    const other = await rejection(us.restoreCertificateBackup(blob))
    expect([other.statusCode, other.message]).toEqual([400, 'Cannot decrypt backup blob.'])
    const inUse = await rejection(dr.restoreCertificateBackup(blob))
    expect(inUse.statusCode).toBe(409)
    expect(inUse.message).toMatch(/^There was a conflict restoring the certificate 'https:\/\/kv-dr\.vault\.azure\.net:\d+\/certificates\/dr-cert\/[0-9a-f]{32}'/)
    await (await dr.beginDeleteCertificate('dr-cert', FAST_POLL)).pollUntilDone()
    const softDeleted = await rejection(dr.restoreCertificateBackup(blob))
    expect([softDeleted.statusCode, softDeleted.message]).toEqual([
      409,
      'Certificate dr-cert is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.',
    ])

    await createSelfSigned(primary, 'clash')
    await drSecrets.setSecret('clash', 'a plain secret')
    const clash = await rejection(dr.restoreCertificateBackup((await primary.backupCertificate('clash')) as Uint8Array))
    expect(clash.statusCode).toBe(409)
    await expect(dr.getCertificate('clash')).rejects.toMatchObject({ statusCode: 404 })

    const secretBlob = await primarySecrets.setSecret('plain', 'v').then(() => primarySecrets.backupSecret('plain'))
    const wrongKind = await rejection(dr.restoreCertificateBackup(secretBlob as Uint8Array))
    expect([wrongKind.statusCode, wrongKind.code]).toEqual([400, 'Malformed backup blob'])
  })
})

/**
 * Options for a PEM import. @azure/keyvault-certificates 4.10.3 reads `policy.contentType` to encode the bytes but
 * never sends `policy` (its serializer reads `certificatePolicy`, in the wire model's shape), and the service does not
 * infer the content type; so the policy is passed a second time under the name the serializer reads.
 */
const PEM_IMPORT = {
  policy: { contentType: 'application/x-pem-file' } as CertificatePolicy,
  ...({ certificatePolicy: { secretProperties: { contentType: 'application/x-pem-file' } } } as object),
}

describe('import', () => {
  beforeAll(() => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Import CA', '-days', '2')
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=Contoso/CN=imported.contoso.com')
    writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:imported.contoso.com,DNS:alt.contoso.com\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n')
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-out', 'leaf.pem', '-extfile', 'leaf.ext')
  })

  it('imports a password-protected PFX with its chain and derives the policy from the certificate', async () => {
    openssl('pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-certfile', 'ca.pem', '-out', 'leaf.pfx', '-passout', 'pass:Imp0rt-pw')
    const cert = await primary.importCertificate('imported', file('leaf.pfx'), { password: 'Imp0rt-pw', tags: { source: 'openssl' } })
    expect(Buffer.from(cert.cer as Uint8Array).equals(new X509Certificate(file('leaf.pem')).raw)).toBe(true)
    expect(cert.properties.tags).toEqual({ source: 'openssl' })
    expect(cert.policy).toMatchObject({
      subject: 'CN=imported.contoso.com, O=Contoso',
      subjectAlternativeNames: { dnsNames: ['imported.contoso.com', 'alt.contoso.com'] },
      enhancedKeyUsage: ['1.3.6.1.5.5.7.3.1'],
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      issuerName: 'Unknown',
      keyType: 'RSA',
      keySize: 2048,
      exportable: true,
      contentType: 'application/x-pkcs12',
    })
    const secret = await primarySecrets.getSecret('imported')
    expect([secret.properties.managed, secret.properties.version]).toEqual([true, cert.properties.version])
    writeFileSync(join(dir, 'out.pfx'), Buffer.from(secret.value as string, 'base64'))
    const out = openssl('pkcs12', '-in', 'out.pfx', '-nodes', '-passin', 'pass:')
    expect(spki(createPrivateKey(out))).toBe(spki(readFileSync(join(dir, 'leaf.key'), 'utf8')))
    expect(out.match(/BEGIN CERTIFICATE/g)?.length).toBe(2)

    const wrong = await rejection(primary.importCertificate('imported-2', file('leaf.pfx'), { password: 'wrong' }))
    expect([wrong.statusCode, wrong.message]).toEqual([400, 'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.'])
  })

  it('imports PEM with an encrypted PKCS#8 key, keeps the chain order asked for, and refuses PKCS#1 keys', async () => {
    openssl('pkcs8', '-topk8', '-in', 'leaf.key', '-out', 'leaf.enc.key', '-passout', 'pass:pem-pw')
    const bundle = [file('leaf.enc.key'), file('ca.pem'), file('leaf.pem')].map((b) => b.toString('utf8')).join('')
    const cert = await primary.importCertificate('imported-pem', Buffer.from(bundle), { password: 'pem-pw', ...PEM_IMPORT, preserveCertificateOrder: true })
    expect(cert.properties.preserveCertificateOrder).toBe(true)
    expect(Buffer.from(cert.cer as Uint8Array).equals(new X509Certificate(file('leaf.pem')).raw)).toBe(true)
    const secret = (await primarySecrets.getSecret('imported-pem')).value as string
    const certsInOrder = [...secret.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).subject)
    expect(certsInOrder).toEqual(['CN=Import CA', 'O=Contoso\nCN=imported.contoso.com'])
    expect(secret).toMatch(/^-----BEGIN PRIVATE KEY-----/)

    openssl('rsa', '-in', 'leaf.key', '-traditional', '-out', 'leaf.pkcs1.key')
    const pkcs1 = Buffer.from(file('leaf.pkcs1.key').toString('utf8') + file('leaf.pem').toString('utf8'))
    const refused = await rejection(primary.importCertificate('imported-pkcs1', pkcs1, PEM_IMPORT))
    expect([refused.statusCode, refused.message]).toEqual([400, 'The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.'])
  })

  it('round-trips a certificate between worlds by value: the secret of one vault imports into another', async () => {
    const original = await createSelfSigned(primary, 'by-value', { keyType: 'RSA', keySize: 2048 })
    const value = (await primarySecrets.getSecret('by-value')).value as string
    const copied = await us.importCertificate('by-value', Buffer.from(value, 'base64'))
    expect(Buffer.from(copied.cer as Uint8Array).equals(Buffer.from(original.cer as Uint8Array))).toBe(true)
    expect(copied.policy).toMatchObject({ subject: 'CN=by-value', keyType: 'RSA', keySize: 2048, issuerName: 'Unknown' })
    const copiedSecret = (await secretClient(em, 'kv-us').getSecret('by-value')).value as string
    writeFileSync(join(dir, 'copied.pfx'), Buffer.from(copiedSecret, 'base64'))
    const out = openssl('pkcs12', '-in', 'copied.pfx', '-nodes', '-passin', 'pass:')
    expect(spki(createPrivateKey(out))).toBe(spki(new X509Certificate(original.cer as Uint8Array).publicKey))
  })
})
