/**
 * Certificate requests through the official CertificateClient: issuer Unknown waiting for a merge of a chain an
 * openssl CA signed, cancellation, deletion of the request, a CA issuer the emulator cannot reach, and the refusals
 * while a request runs (409 create/import, 403 merge, request_id filter). A vault with a one-hour issue delay keeps
 * Self requests in progress without timing.
 */
import { spawnSync } from 'node:child_process'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CertificateClient, type CertificateOperation } from '@azure/keyvault-certificates'
import type { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig, type EmulatorHandle } from '../../src/emulator/index.js'
import { FAST_POLL, FAST_TIMING, rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

const HOUR = 3_600_000
const MERGE_DETAILS = 'Pending certificate created. Please Perform Merge to complete the request.'
const IN_PROGRESS_DETAILS =
  'Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.'

let em: EmulatorHandle
let certs: CertificateClient
let slow: CertificateClient
let secrets: SecretClient
let dir: string

function client(vault: string): CertificateClient {
  const { vaultUrl, options } = em.clientSetup(vault)
  return new CertificateClient(vaultUrl, em.credential, { ...options, retryOptions: { maxRetries: 0 } })
}

beforeAll(async () => {
  em = await startTestEmulator({
    timing: { ...FAST_TIMING, issueDelayMs: 40 },
    vaults: [{ name: 'kv-certs' }, { name: 'kv-slow', issueDelayMs: HOUR }],
  })
  certs = client('kv-certs')
  slow = client('kv-slow')
  secrets = secretClient(em, 'kv-certs')
  dir = mkdtempSync(join(tmpdir(), 'kvdr-certs-pending-'))
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=kvdr Test CA/O=kvdr', '-days', '2')
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

function der(pemFile: string): Buffer {
  return new X509Certificate(readFileSync(join(dir, pemFile))).raw
}

/** Have the openssl CA sign a request's CSR; returns the leaf's DER. */
function sign(csr: Uint8Array, name: string): Buffer {
  writeFileSync(join(dir, `${name}.csr`), `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(csr).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`)
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-out', `${name}.pem`)
  return der(`${name}.pem`)
}

async function operation(c: CertificateClient, name: string): Promise<CertificateOperation> {
  const op = (await c.getCertificateOperation(name)).getOperationState().certificateOperation
  if (!op) throw new Error(`no operation for ${name}`)
  return op
}

/** The request as the service answers it (the SDK throws for failed requests instead of returning them). */
async function pendingBody(vault: string, name: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await rawRequest(em, vault, 'GET', withApi(`/certificates/${name}/pending`), { auth: true })
  return { status: res.status, body: res.body as Record<string, unknown> }
}

/** Wait (by polling the service, not by time) until the request has ended; returns it. */
async function ended(vault: string, name: string): Promise<Record<string, unknown>> {
  for (;;) {
    const { body } = await pendingBody(vault, name)
    if (body.status !== 'inProgress') return body
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('issuer Unknown', () => {
  it('waits for a merge, shows a disabled certificate meanwhile, and completes with the chain the CA signed', async () => {
    await certs.beginCreateCertificate('merged', { issuerName: 'Unknown', subject: 'CN=merged.contoso.com', keyType: 'EC', keyCurveName: 'P-256' }, FAST_POLL)
    const pending = await operation(certs, 'merged')
    expect([pending.status, pending.statusDetails, pending.issuerName]).toEqual(['inProgress', MERGE_DETAILS, 'Unknown'])
    const placeholder = await certs.getCertificate('merged')
    expect(placeholder.properties.enabled).toBe(false)
    expect(placeholder.cer).toBeUndefined()
    expect(placeholder.keyId).toBeUndefined()
    expect((await rejection(secrets.getSecret('merged'))).statusCode).toBe(404)

    const wrong = await rejection(certs.mergeCertificate('merged', [der('ca.pem')]))
    expect([wrong.statusCode, wrong.message]).toEqual([400, 'Unable to parse X5c certificate chain and locate leaf certificate'])

    const leaf = sign(pending.csr as Uint8Array, 'merged')
    const merged = await certs.mergeCertificate('merged', [der('ca.pem'), leaf])
    expect(Buffer.from(merged.cer as Uint8Array).equals(leaf)).toBe(true)
    expect(merged.properties.enabled).toBe(true)
    expect(merged.properties.version).not.toBe(placeholder.properties.version)
    expect(merged.keyId).toBe(`${em.vault('kv-certs').hostUrl}/keys/merged/${merged.properties.version}`)
    expect((await operation(certs, 'merged')).status).toBe('completed')

    const secret = await secrets.getSecret('merged')
    expect(secret.properties.version).toBe(merged.properties.version)
    writeFileSync(join(dir, 'merged.pfx'), Buffer.from(secret.value as string, 'base64'))
    const out = openssl('pkcs12', '-in', 'merged.pfx', '-nodes', '-passin', 'pass:')
    const chain = [...out.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).raw)
    expect(chain.map((c) => c.toString('base64'))).toEqual([leaf.toString('base64'), der('ca.pem').toString('base64')])
    expect(new X509Certificate(leaf).checkPrivateKey(createPrivateKey(out))).toBe(true)

    const again = await rejection(certs.mergeCertificate('merged', [leaf]))
    expect(again.statusCode).toBe(400)
  })

  it('ends cancelled after a cancellation request, keeps the disabled certificate, and deleting the request frees the name', async () => {
    const poller = await certs.beginCreateCertificate('cancelled', { issuerName: 'Unknown', subject: 'CN=cancelled', keyType: 'EC' }, FAST_POLL)
    await poller.cancelOperation()
    const op = await ended('kv-certs', 'cancelled')
    expect([op.status, op.cancellation_requested]).toEqual(['cancelled', true])
    expect((await certs.getCertificate('cancelled')).properties.enabled).toBe(false)
    const deleted = await certs.deleteCertificateOperation('cancelled')
    expect(deleted.status).toBe('cancelled')
    expect((await rejection(certs.getCertificate('cancelled'))).code).toBe('CertificateNotFound')
    const again = await pendingBody('kv-certs', 'cancelled')
    expect([again.status, again.body.error]).toEqual([404, { code: 'PendingCertificateNotFound', message: 'Pending Certificate not found: cancelled' }])
    await certs.beginCreateCertificate('cancelled', { issuerName: 'Unknown', subject: 'CN=cancelled', keyType: 'EC' }, FAST_POLL)
    expect((await operation(certs, 'cancelled')).status).toBe('inProgress')
  })
})

describe('a CA issuer', () => {
  it('fails with Certificate issuer error (the emulator reaches no CA); a merge of a CA-signed chain still completes it', async () => {
    await certs.createIssuer('digicert-test', 'DigiCert', { accountId: 'acct', password: 'issuer-pw' })
    // The request may already have failed when begin's first poll reads it; either way the SDK surfaces the error.
    const created = certs.beginCreateCertificate('ca-issued', { issuerName: 'digicert-test', subject: 'CN=ca-issued', keyType: 'EC' }, FAST_POLL)
    await expect(created.then((poller) => poller.pollUntilDone())).rejects.toThrow(/does not contact certificate authorities/)
    const op = await ended('kv-certs', 'ca-issued')
    expect([op.status, (op.error as { code: string }).code]).toEqual(['failed', 'Certificate issuer error'])
    const merged = await certs.mergeCertificate('ca-issued', [sign(Buffer.from(op.csr as string, 'base64'), 'ca-issued')])
    expect(merged.properties.enabled).toBe(true)
  })

  it('fails with Request rejected when the issuer is not configured', async () => {
    const created = certs.beginCreateCertificate('no-issuer', { issuerName: 'nobody', subject: 'CN=no-issuer', keyType: 'EC' }, FAST_POLL)
    await expect(created.then((poller) => poller.pollUntilDone())).rejects.toThrow(/is not configured in this vault/)
    const op = await ended('kv-certs', 'no-issuer')
    expect([op.status, op.error]).toEqual([
      'failed',
      { code: 'Request rejected', message: "Issuer 'nobody' is not configured in this vault. Use Self, Unknown or an issuer set with the issuers API." },
    ])
  })
})

describe('while a Self request is in progress (one-hour issue delay)', () => {
  it('answers the pending operation with Retry-After, filters by request_id, and refuses a second create, an import and a merge', async () => {
    await slow.beginCreateCertificate('slow-self', { issuerName: 'Self', subject: 'CN=slow-self', keyType: 'EC' }, FAST_POLL)
    const op = await operation(slow, 'slow-self')
    expect([op.status, op.statusDetails]).toEqual(['inProgress', IN_PROGRESS_DETAILS])

    const raw = await rawRequest(em, 'kv-slow', 'GET', withApi(`/certificates/slow-self/pending?request_id=${op.requestId}`), { auth: true })
    expect([raw.status, raw.headers['retry-after']]).toEqual([200, '10'])
    const other = await rawRequest(em, 'kv-slow', 'GET', withApi('/certificates/slow-self/pending?request_id=0123456789abcdef0123456789abcdef'), { auth: true })
    expect([other.status, (other.body as { error: { code: string } }).error.code]).toEqual([404, 'PendingCertificateNotFound'])

    const create = await rejection(slow.beginCreateCertificate('slow-self', { issuerName: 'Self', subject: 'CN=again', keyType: 'EC' }, FAST_POLL))
    expect([create.statusCode, create.code, create.message]).toEqual([
      409,
      'Forbidden',
      "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress.",
    ])
    expect((await rejection(slow.importCertificate('slow-self', Buffer.from('not-a-pfx')))).statusCode).toBe(409)
    const merge = await rejection(slow.mergeCertificate('slow-self', [sign(op.csr as Uint8Array, 'slow-self')]))
    expect([merge.statusCode, merge.message]).toEqual([403, 'Merge is forbidden on pending object created with issuer : Self while it is in progess.'])
  })

  it('records a cancellation request but issues anyway, and deleting the request issues the certificate first', async () => {
    const poller = await slow.beginCreateCertificate('slow-cancel', { issuerName: 'Self', subject: 'CN=slow-cancel', keyType: 'EC' }, FAST_POLL)
    await poller.cancelOperation()
    const cancelled = await operation(slow, 'slow-cancel')
    expect([cancelled.status, cancelled.cancellationRequested]).toEqual(['inProgress', true])
    const deleted = await slow.deleteCertificateOperation('slow-cancel')
    expect([deleted.status, deleted.target]).toEqual(['completed', `${em.vault('kv-slow').hostUrl}/certificates/slow-cancel`])
    const cert = await slow.getCertificate('slow-cancel')
    expect(cert.properties.enabled).toBe(true)
    expect(new X509Certificate(cert.cer as Uint8Array).subject).toBe('CN=slow-cancel')
    expect((await pendingBody('kv-slow', 'slow-cancel')).status).toBe(404)
  })

  it('ends a due request before any collection is read: the secrets API alone sees the issued certificate', async () => {
    await slow.beginCreateCertificate('slow-settle', { issuerName: 'Self', subject: 'CN=slow-settle', keyType: 'EC' }, FAST_POLL)
    const placeholder = (await rawRequest(em, 'kv-slow', 'GET', withApi('/certificates/slow-settle/'), { auth: true })).body as { attributes: { created: number } }
    const slowSecrets = secretClient(em, 'kv-slow')
    expect((await rejection(slowSecrets.getSecret('slow-settle'))).statusCode).toBe(404)
    em.clock.advance(HOUR)
    const secret = await slowSecrets.getSecret('slow-settle')
    expect(secret.properties.managed).toBe(true)
    const issuedAt = Math.floor((secret.properties.createdOn?.getTime() ?? 0) / 1000)
    expect(issuedAt - placeholder.attributes.created).toBeGreaterThanOrEqual(HOUR / 1000)
    expect(issuedAt - placeholder.attributes.created).toBeLessThanOrEqual(HOUR / 1000 + 1)
    expect((await slow.getCertificate('slow-settle')).properties.version).toBe(secret.properties.version)
  })

  it('takes the issue delay from the vault definition or the timing defaults, validated like the other delays', () => {
    expect(resolveConfig({ vaults: [{ name: 'kv-a' }, { name: 'kv-b', issueDelayMs: 5 }], timing: { issueDelayMs: 7 } }).vaults.map((v) => v.settings.issueDelayMs)).toEqual([7, 5])
    expect(resolveConfig({ vaults: [{ name: 'kv-a' }] }).vaults[0]?.settings.issueDelayMs).toBe(2000)
    expect(() => resolveConfig({ timing: { issueDelayMs: -1 } })).toThrow(/timing\.issueDelayMs must be an integer from 0 to 3600000/)
  })

  it('refuses to cancel a request that has ended', async () => {
    const res = await rawRequest(em, 'kv-certs', 'PATCH', withApi('/certificates/merged/pending'), { auth: true, body: JSON.stringify({ cancellation_requested: true }) })
    expect(res.status).toBe(400)
    expect((res.body as { error: { message: string } }).error.message).toContain('only a request in progress can be cancelled')
  })
})
