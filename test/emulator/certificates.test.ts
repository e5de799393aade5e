/**
 * The Certificates API through the official CertificateClient over HTTPS (host-name addressing, so the SDK's
 * challenge-resource verification stays on): self-signed create with the LRO poller, the managed secret in PFX and
 * PEM opened independently with openssl and node:crypto, versions, reuse_key, updates mirrored to the managed items,
 * policies, listings and bad input.
 */
import { spawnSync } from 'node:child_process'
import { createHash, createPrivateKey, createPublicKey, createVerify, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CertificateClient, type CertificatePolicy, type KeyVaultCertificateWithPolicy } from '@azure/keyvault-certificates'
import type { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { cryptographyClient, FAST_POLL, FAST_TIMING, keyClient, rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

const VERSION_RE = /^[0-9a-f]{32}$/
const VAULT = 'kv-primary'

let em: EmulatorHandle
let certs: CertificateClient
let secrets: SecretClient
let dir: string

beforeAll(async () => {
  em = await startTestEmulator({ timing: { ...FAST_TIMING, issueDelayMs: 40 } })
  const { vaultUrl, options } = em.clientSetup(VAULT)
  certs = new CertificateClient(vaultUrl, em.credential, { ...options, retryOptions: { maxRetries: 0 } })
  secrets = secretClient(em, VAULT)
  dir = mkdtempSync(join(tmpdir(), 'kvdr-certs-'))
})
afterAll(async () => {
  await em?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** The SDK's RestError, checked by shape. */
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

/** Run openssl in the temp dir with `input` files written first; throws with its output when it fails. */
function openssl(files: Record<string, string | Uint8Array>, ...args: string[]): string {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`)
  return r.stdout
}

function pem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`
}

function spki(key: KeyObject | string): string {
  const pub = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key)
  return pub.export({ type: 'spki', format: 'der' }).toString('base64')
}

async function createSelfSigned(name: string, policy: Partial<CertificatePolicy> = {}, options: { tags?: Record<string, string> } = {}): Promise<KeyVaultCertificateWithPolicy> {
  const poller = await certs.beginCreateCertificate(name, { issuerName: 'Self', subject: `CN=${name}`, keyType: 'EC', keyCurveName: 'P-256', ...policy } as CertificatePolicy, {
    ...FAST_POLL,
    ...options,
  })
  return poller.pollUntilDone()
}

describe('create (issuer Self)', () => {
  it('completes the LRO poller with a certificate for the CSR, whose key and secret share its version', async () => {
    const poller = await certs.beginCreateCertificate(
      'web-tls',
      { issuerName: 'Self', subject: 'CN=web.contoso.com, O=Contoso', subjectAlternativeNames: { dnsNames: ['web.contoso.com', 'www.contoso.com'] } },
      FAST_POLL,
    )
    const cert = await poller.pollUntilDone()
    const op = (await certs.getCertificateOperation('web-tls')).getOperationState().certificateOperation
    expect(op?.status).toBe('completed')
    expect(op?.requestId).toMatch(VERSION_RE)
    expect(op?.target).toBe(`${em.vault(VAULT).hostUrl}/certificates/web-tls`)
    const csrKey = openssl({ 'web.csr': pem('CERTIFICATE REQUEST', op?.csr as Uint8Array) }, 'req', '-in', 'web.csr', '-noout', '-verify', '-pubkey')

    const version = cert.properties.version as string
    expect(version).toMatch(VERSION_RE)
    expect(cert.keyId).toBe(`${em.vault(VAULT).hostUrl}/keys/web-tls/${version}`)
    expect(cert.secretId).toBe(`${em.vault(VAULT).hostUrl}/secrets/web-tls/${version}`)
    const x509 = new X509Certificate(cert.cer as Uint8Array)
    // Key Vault's subject text lists the most specific RDN first; the DER (and node's subject) hold them in reverse.
    expect(x509.subject).toBe('O=Contoso\nCN=web.contoso.com')
    expect(x509.subjectAltName).toBe('DNS:web.contoso.com, DNS:www.contoso.com')
    expect(x509.ca).toBe(false)
    expect(x509.verify(x509.publicKey)).toBe(true)
    expect(spki(x509.publicKey)).toBe(spki(csrKey))
    expect(Buffer.from(cert.properties.x509Thumbprint as Uint8Array).toString('hex')).toBe(createHash('sha1').update(cert.cer as Uint8Array).digest('hex'))
    expect(cert.properties.notBefore?.getTime()).toBe(new Date(x509.validFrom).getTime())
    expect(cert.properties.expiresOn?.getTime()).toBe(new Date(x509.validTo).getTime())
    expect(cert.policy).toMatchObject({ issuerName: 'Self', keyType: 'RSA', keySize: 2048, exportable: true, contentType: 'application/x-pkcs12', validityInMonths: 12 })
  })

  it('stores the PFX as a managed secret that openssl opens without a password: the same certificate and its private key', async () => {
    const cert = await certs.getCertificate('web-tls')
    const secret = await secrets.getSecret('web-tls')
    expect(secret.properties.managed).toBe(true)
    expect(secret.properties.contentType).toBe('application/x-pkcs12')
    expect(secret.properties.version).toBe(cert.properties.version)
    expect(secret.properties.certificateKeyId).toBe(cert.keyId)
    const out = openssl({ 'web.pfx': Buffer.from(secret.value as string, 'base64') }, 'pkcs12', '-in', 'web.pfx', '-nodes', '-passin', 'pass:')
    const leaf = new X509Certificate(out)
    expect(leaf.raw.equals(Buffer.from(cert.cer as Uint8Array))).toBe(true)
    expect(leaf.checkPrivateKey(createPrivateKey(out))).toBe(true)
  })

  it('stores PEM when the policy asks for it: a PKCS#8 key and the certificate that node:crypto reads', async () => {
    const cert = await createSelfSigned('pem-ec', { contentType: 'application/x-pem-file', keyCurveName: 'P-384' })
    const secret = await secrets.getSecret('pem-ec')
    expect(secret.properties.contentType).toBe('application/x-pem-file')
    expect(secret.value).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END CERTIFICATE-----\n$/)
    const key = createPrivateKey(secret.value as string)
    const x509 = new X509Certificate(secret.value as string)
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1')
    expect(x509.checkPrivateKey(key)).toBe(true)
    expect(x509.raw.equals(Buffer.from(cert.cer as Uint8Array))).toBe(true)
  })

  it('converts the PFX to PEM for outContentType (2025-07-01) and refuses PEM to PFX as the service does', async () => {
    const converted = await secrets.getSecret('web-tls', { outContentType: 'application/x-pem-file' })
    expect(converted.properties.contentType).toBe('application/x-pem-file')
    const x509 = new X509Certificate(converted.value as string)
    expect(x509.checkPrivateKey(createPrivateKey(converted.value as string))).toBe(true)
    const err = await rejection(secrets.getSecret('pem-ec', { outContentType: 'application/x-pkcs12' }))
    expect(err.statusCode).toBe(400)
    expect(err.message).toBe("The 'PEM' to 'PFX' transformation is not supported. Only PFX to PEM transformation is supported.")
  })

  it('leaves the private key out of the secret of a non-exportable certificate', async () => {
    const cert = await createSelfSigned('no-export', { exportable: false })
    const secret = await secrets.getSecret('no-export')
    const out = openssl({ 'ne.pfx': Buffer.from(secret.value as string, 'base64') }, 'pkcs12', '-in', 'ne.pfx', '-nodes', '-passin', 'pass:')
    expect(out).not.toContain('PRIVATE KEY')
    expect(new X509Certificate(out).raw.equals(Buffer.from(cert.cer as Uint8Array))).toBe(true)
    const asPem = await secrets.getSecret('no-export', { outContentType: 'application/x-pem-file' })
    expect(asPem.value).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(asPem.value).not.toContain('PRIVATE KEY')
  })
})

describe('the managed key', () => {
  it('carries the certificate public key, key_ops mapped from the key usage, and signs what the certificate verifies', async () => {
    const cert = await certs.getCertificate('web-tls')
    const keys = keyClient(em, VAULT)
    const key = await keys.getKey('web-tls')
    expect(key.id).toBe(cert.keyId)
    expect(key.properties.managed).toBe(true)
    expect(key.keyOperations).toEqual(['sign', 'verify', 'wrapKey', 'unwrapKey'])
    const x509 = new X509Certificate(cert.cer as Uint8Array)
    expect(spki(createPublicKey({ key: { kty: 'RSA', n: Buffer.from(key.key?.n as Uint8Array).toString('base64url'), e: Buffer.from(key.key?.e as Uint8Array).toString('base64url') }, format: 'jwk' }))).toBe(
      spki(x509.publicKey),
    )
    const digest = createHash('sha256').update('signed by the certificate key').digest()
    const signed = await cryptographyClient(em, VAULT, key).sign('RS256', digest)
    expect(createVerify('sha256').update('signed by the certificate key').verify(x509.publicKey, Buffer.from(signed.result))).toBe(true)

    const ecKey = await keys.getKey('pem-ec')
    expect(ecKey.keyOperations).toEqual(['sign', 'verify'])
    await createSelfSigned('usages', { keyType: 'RSA', keySize: 2048, keyCurveName: undefined, keyUsage: ['dataEncipherment', 'keyAgreement'] })
    expect((await keys.getKey('usages')).keyOperations).toEqual(['encrypt', 'decrypt'])
  })
})

describe('versions', () => {
  it('adds a version per create, serves any version, lists them all, and keeps the key pair only with reuse_key', async () => {
    const v1 = await createSelfSigned('rotated', { reuseKey: true })
    const v2 = await createSelfSigned('rotated', { reuseKey: true })
    const v3 = await createSelfSigned('rotated', { reuseKey: false })
    const keyOf = (c: KeyVaultCertificateWithPolicy): string => spki(new X509Certificate(c.cer as Uint8Array).publicKey)
    expect(keyOf(v2)).toBe(keyOf(v1))
    expect(keyOf(v3)).not.toBe(keyOf(v1))
    expect((await certs.getCertificate('rotated')).properties.version).toBe(v3.properties.version)
    const old = await certs.getCertificateVersion('rotated', v1.properties.version as string)
    expect(Buffer.from(old.cer as Uint8Array).equals(Buffer.from(v1.cer as Uint8Array))).toBe(true)
    const listed: string[] = []
    for await (const p of certs.listPropertiesOfCertificateVersions('rotated')) listed.push(p.version as string)
    expect(listed.sort()).toEqual([v1, v2, v3].map((c) => c.properties.version as string).sort())
    const secretVersions: string[] = []
    for await (const p of secrets.listPropertiesOfSecretVersions('rotated')) secretVersions.push(p.version as string)
    expect(secretVersions.sort()).toEqual(listed.sort())
    expect((await secrets.getSecret('rotated')).properties.previousVersion).toBe(v2.properties.version)
  })

  it('updates tags and enabled of a version and mirrors them to its secret', async () => {
    const cert = await createSelfSigned('toggled', {}, { tags: { env: 'prod' } })
    const version = cert.properties.version as string
    expect(cert.properties.tags).toEqual({ env: 'prod' })
    const updated = await certs.updateCertificateProperties('toggled', version, { enabled: false, tags: { env: 'dr', owner: 'ops' } })
    expect(updated.properties.enabled).toBe(false)
    expect(updated.properties.tags).toEqual({ env: 'dr', owner: 'ops' })
    expect((await certs.getCertificate('toggled')).properties.enabled).toBe(false)
    const secretVersions = []
    for await (const p of secrets.listPropertiesOfSecretVersions('toggled')) secretVersions.push(p)
    expect(secretVersions.map((p) => [p.version, p.enabled, p.tags])).toEqual([[version, false, { env: 'dr', owner: 'ops' }]])
    expect((await rejection(secrets.getSecret('toggled'))).code).toBe('Forbidden')
  })
})

describe('policy', () => {
  it('returns the policy with defaults and applies an update to the next version', async () => {
    await createSelfSigned('policied')
    const policy = await certs.getCertificatePolicy('policied')
    expect(policy).toMatchObject({ issuerName: 'Self', subject: 'CN=policied', keyType: 'EC', keyCurveName: 'P-256', keyUsage: ['digitalSignature'], validityInMonths: 12 })
    // The SDK's updateCertificatePolicy returns an empty policy whatever the service answers (4.10.3), so read it back.
    await certs.updateCertificatePolicy('policied', { ...policy, subject: 'CN=renamed', validityInMonths: 3 })
    const updated = await certs.getCertificatePolicy('policied')
    expect(updated).toMatchObject({ subject: 'CN=renamed', validityInMonths: 3, keyType: 'EC', keyCurveName: 'P-256' })
    const next = await (await certs.beginCreateCertificate('policied', updated, FAST_POLL)).pollUntilDone()
    const x509 = new X509Certificate(next.cer as Uint8Array)
    expect(x509.subject).toBe('CN=renamed')
    const months = (new Date(x509.validTo).getTime() - new Date(x509.validFrom).getTime()) / 86_400_000
    expect(months).toBeGreaterThan(88)
    expect(months).toBeLessThan(94)
  })

  it('refuses a policy the service refuses, with its wording, and changes nothing', async () => {
    const err = await rejection(certs.updateCertificatePolicy('policied', { issuerName: 'Self', subject: 'not a distinguished name' }))
    expect(err.statusCode).toBe(400)
    expect(err.code).toBe('BadParameter')
    expect(err.message).toBe('Property policy.x509_props has invalid value. Invalid X.500 distinguished name')
    expect(await certs.getCertificatePolicy('policied')).toMatchObject({ subject: 'CN=renamed' })
    const size = await rejection(certs.beginCreateCertificate('bad-size', { issuerName: 'Self', subject: 'CN=x', keyType: 'RSA', keySize: 1024 }, FAST_POLL))
    expect(size.statusCode).toBe(400)
    expect(size.message).toContain('policy.key_props.key_size')
  })
})

describe('listings', () => {
  it('lists certificates with x5t and leaves out pending ones unless includePending', async () => {
    await certs.beginCreateCertificate('awaiting-merge', { issuerName: 'Unknown', subject: 'CN=awaiting' }, FAST_POLL)
    const plain = new Map<string, { thumbprint?: Uint8Array }>()
    for await (const p of certs.listPropertiesOfCertificates()) plain.set(p.name as string, { thumbprint: p.x509Thumbprint })
    expect(plain.has('awaiting-merge')).toBe(false)
    expect(plain.get('web-tls')?.thumbprint?.length).toBe(20)
    const withPending = new Map<string, boolean | undefined>()
    for await (const p of certs.listPropertiesOfCertificates({ includePending: true })) withPending.set(p.name as string, p.enabled)
    expect(withPending.get('awaiting-merge')).toBe(false)
    expect([...withPending.keys()].sort()).toEqual([...plain.keys(), 'awaiting-merge'].sort())
  })

  it('answers the raw list as the service does: ids without versions, no recovery fields in items, subject ""', async () => {
    const items = await rawList('/certificates')
    const item = items.find((i) => String(i.id).endsWith('/certificates/web-tls')) as Record<string, unknown>
    expect(Object.keys(item).sort()).toEqual(['attributes', 'id', 'subject', 'x5t'])
    expect(item.subject).toBe('')
    expect(Object.keys(item.attributes as object).sort()).toEqual(['created', 'enabled', 'exp', 'nbf', 'updated'])
    const old = await rawList('/certificates', '7.6')
    expect(old.length).toBe(items.length)
    expect(old.every((i) => !('subject' in i))).toBe(true)
  })
})

/** Every item of a raw listing, following nextLinks (the emulator pages raggedly by default). */
async function rawList(path: string, apiVersion?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = []
  let next: string | null = withApi(path, apiVersion)
  while (next !== null) {
    const res = await rawRequest(em, VAULT, 'GET', next, { auth: true })
    expect(res.status).toBe(200)
    const page = res.body as { value: Record<string, unknown>[]; nextLink: string | null }
    items.push(...page.value)
    next = page.nextLink === null ? null : new URL(page.nextLink).pathname + new URL(page.nextLink).search
  }
  return items
}

describe('bad requests', () => {
  it('refuses invalid names, a missing policy and bad JSON types with 400 BadParameter', async () => {
    const name = await rawRequest(em, VAULT, 'POST', withApi('/certificates/bad_name/create'), { auth: true, body: '{}' })
    expect([name.status, (name.body as { error: { code: string } }).error.code]).toEqual([400, 'BadParameter'])
    const noPolicy = await rawRequest(em, VAULT, 'POST', withApi('/certificates/no-policy/create'), { auth: true, body: '{}' })
    expect(noPolicy.status).toBe(400)
    expect((noPolicy.body as { error: { message: string } }).error.message).toContain('policy is required')
    const badType = await rawRequest(em, VAULT, 'POST', withApi('/certificates/bad-type/create'), { auth: true, body: JSON.stringify({ policy: { issuer: 'Self' } }) })
    expect(badType.status).toBe(400)
    expect((badType.body as { error: { message: string } }).error.message).toBe('Property policy.issuer has invalid value. It must be an object.')
  })

  it('answers 404 CertificateNotFound for unknown certificates and versions', async () => {
    const err = await rejection(certs.getCertificate('never-created'))
    expect([err.statusCode, err.code]).toEqual([404, 'CertificateNotFound'])
    const version = await rejection(certs.getCertificateVersion('web-tls', '0123456789abcdef0123456789abcdef'))
    expect(version.statusCode).toBe(404)
  })
})
