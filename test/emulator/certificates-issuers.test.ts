/**
 * Certificate issuers and contacts through the official CertificateClient, the operation descriptors of every
 * Certificates route (audit names, RBAC data actions, throttling class) as the pipeline stages see them, and the
 * localhost addressing form.
 */
import { CertificateClient } from '@azure/keyvault-certificates'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Router, registerCertificateRoutes, type AuditRecord, type EmulatorHandle, type OperationDescriptor } from '../../src/emulator/index.js'
import { FAST_POLL, FAST_TIMING, rawRequest, startTestEmulator, withApi } from '../support/emulator.js'

let em: EmulatorHandle
let certs: CertificateClient
const audit: AuditRecord[] = []
const authorized: OperationDescriptor[] = []

beforeAll(async () => {
  em = await startTestEmulator({
    timing: { ...FAST_TIMING, issueDelayMs: 40 },
    vaults: [{ name: 'kv-issuers' }],
    stages: {
      audit: { record: (r) => audit.push(r) },
      authorizer: { authorize: (_principal, op) => void authorized.push(op) },
    },
  })
  const { vaultUrl, options } = em.clientSetup('kv-issuers')
  certs = new CertificateClient(vaultUrl, em.credential, { ...options, retryOptions: { maxRetries: 0 } })
})
afterAll(async () => {
  await em?.stop()
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

describe('issuers', () => {
  it('sets, gets, updates, lists and deletes issuers, never returning the password', async () => {
    const created = await certs.createIssuer('issuer01', 'Test', {
      accountId: 'keyvaultuser',
      password: 'issuer-Passw0rd',
      organizationId: 'org-7',
      administratorContacts: [{ firstName: 'John', lastName: 'Doe', email: 'admin@contoso.com', phone: '4255555555' }],
    })
    // The SDK names issuers after the second path segment of their id (always "issuers"), so ids are compared instead.
    expect(created).toMatchObject({ id: `${em.vault('kv-issuers').hostUrl}/certificates/issuers/issuer01`, provider: 'Test', accountId: 'keyvaultuser', enabled: true, organizationId: 'org-7' })
    expect(created.password).toBeUndefined()
    expect(created.administratorContacts).toEqual([{ firstName: 'John', lastName: 'Doe', email: 'admin@contoso.com', phone: '4255555555' }])
    const raw = await rawRequest(em, 'kv-issuers', 'GET', withApi('/certificates/issuers/issuer01'), { auth: true })
    expect(raw.text).not.toContain('issuer-Passw0rd')
    expect(raw.body).toMatchObject({ credentials: { account_id: 'keyvaultuser' }, org_details: { id: 'org-7', zip: 0 } })

    const updated = await certs.updateIssuer('issuer01', { accountId: 'keyvaultuser2' })
    expect(updated).toMatchObject({ provider: 'Test', accountId: 'keyvaultuser2', enabled: true, organizationId: 'org-7' })
    expect((updated.updatedOn?.getTime() ?? 0) >= (created.createdOn?.getTime() ?? Infinity)).toBe(true)
    expect((await certs.createIssuer('issuer02', 'DigiCert', { enabled: false })).enabled).toBe(false)
    const listed: [string | undefined, string | undefined][] = []
    for await (const i of certs.listPropertiesOfIssuers()) listed.push([i.id?.split('/').pop(), i.provider])
    expect(listed).toEqual([
      ['issuer01', 'Test'],
      ['issuer02', 'DigiCert'],
    ])

    const deleted = await certs.deleteIssuer('issuer01')
    expect(deleted.accountId).toBe('keyvaultuser2')
    const gone = await rejection(certs.getIssuer('issuer01'))
    expect([gone.statusCode, gone.code, gone.message]).toEqual([404, 'CertificateIssuerNotFound', 'Issuer not found'])
  })

  it('requires a provider', async () => {
    const res = await rawRequest(em, 'kv-issuers', 'PUT', withApi('/certificates/issuers/no-provider'), { auth: true, body: '{"credentials":{}}' })
    expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([400, 'BadParameter'])
  })
})

describe('contacts', () => {
  it('sets, gets and deletes the vault contacts; a vault without contacts answers 404 ContactsNotFound', async () => {
    const contacts = [
      { email: 'a@contoso.com', name: 'a', phone: '111111111111' },
      { email: 'b@contoso.com', name: 'b', phone: '222222222222' },
    ]
    expect(await certs.setContacts(contacts)).toEqual(contacts)
    expect(await certs.getContacts()).toEqual(contacts)
    // The SDK's deleteContacts (4.10.3) returns an empty list whatever the service answers; read the raw response.
    const deleted = await rawRequest(em, 'kv-issuers', 'DELETE', withApi('/certificates/contacts'), { auth: true })
    expect(deleted.body).toEqual({ id: `${em.vault('kv-issuers').hostUrl}/certificates/contacts`, contacts })
    const gone = await rejection(certs.getContacts())
    expect([gone.statusCode, gone.code, gone.message]).toEqual([404, 'ContactsNotFound', 'Contacts not found'])
  })
})

/** Every route's operation, as documented in docs/emulator.md. */
const EXPECTED: Record<string, [string, string, string]> = {
  'POST /certificates/{name}/create': ['CertificateCreate', 'certificates/create/action', 'secret-create'],
  'POST /certificates/{name}/import': ['CertificateImport', 'certificates/import/action', 'secret-create'],
  'GET /certificates': ['CertificateList', 'certificates/read', 'secret-other'],
  'GET /certificates/{name}/versions': ['CertificateListVersions', 'certificates/read', 'secret-other'],
  'GET /certificates/{name}/policy': ['CertificatePolicyGet', 'certificates/read', 'secret-other'],
  'PATCH /certificates/{name}/policy': ['CertificatePolicyUpdate', 'certificates/update/action', 'secret-other'],
  'GET /certificates/{name}/pending': ['CertificatePendingGet', 'certificates/read', 'secret-other'],
  'PATCH /certificates/{name}/pending': ['CertificatePendingUpdate', 'certificates/update/action', 'secret-other'],
  'DELETE /certificates/{name}/pending': ['CertificatePendingDelete', 'certificates/update/action', 'secret-other'],
  'POST /certificates/{name}/pending/merge': ['CertificatePendingMerge', 'certificates/create/action', 'secret-create'],
  'GET /certificates/{name}/{version?}': ['CertificateGet', 'certificates/read', 'secret-other'],
  'PATCH /certificates/{name}/{version?}': ['CertificateUpdate', 'certificates/update/action', 'secret-other'],
  'DELETE /certificates/{name}': ['CertificateDelete', 'certificates/delete', 'secret-other'],
  'POST /certificates/{name}/backup': ['CertificateBackup', 'certificates/backup/action', 'secret-other'],
  'POST /certificates/restore': ['CertificateRestore', 'certificates/restore/action', 'secret-other'],
  'GET /deletedcertificates': ['CertificateListDeleted', 'certificates/read', 'secret-other'],
  'GET /deletedcertificates/{name}': ['CertificateGetDeleted', 'certificates/read', 'secret-other'],
  'DELETE /deletedcertificates/{name}': ['CertificatePurge', 'certificates/purge/action', 'secret-other'],
  'POST /deletedcertificates/{name}/recover': ['CertificateRecover', 'certificates/recover/action', 'secret-other'],
  'GET /certificates/issuers': ['CertificateIssuersList', 'certificatecas/read', 'secret-other'],
  'PUT /certificates/issuers/{issuer}': ['CertificateIssuerSet', 'certificatecas/write', 'secret-other'],
  'GET /certificates/issuers/{issuer}': ['CertificateIssuerGet', 'certificatecas/read', 'secret-other'],
  'PATCH /certificates/issuers/{issuer}': ['CertificateIssuerUpdate', 'certificatecas/write', 'secret-other'],
  'DELETE /certificates/issuers/{issuer}': ['CertificateIssuerDelete', 'certificatecas/delete', 'secret-other'],
  'PUT /certificates/contacts': ['CertificateContactsSet', 'certificatecontacts/write', 'secret-other'],
  'GET /certificates/contacts': ['CertificateContactsGet', 'certificatecontacts/write', 'secret-other'],
  'DELETE /certificates/contacts': ['CertificateContactsDelete', 'certificatecontacts/write', 'secret-other'],
}

describe('operation descriptors', () => {
  it('declares Key Vault audit names, RBAC data actions and the vault-transaction throttling class for every route', () => {
    const router = new Router()
    registerCertificateRoutes(router)
    const actual = Object.fromEntries(
      router.list().map((r) => {
        expect(r.operation.kind).toBe('certificate')
        return [`${r.method} ${r.path}`, [r.operation.name, r.operation.dataAction.replace('Microsoft.KeyVault/vaults/', ''), r.operation.throttleClass]]
      }),
    )
    expect(actual).toEqual(EXPECTED)
  })

  it('routes issuer paths before certificate paths and reaches the pipeline with the operation', async () => {
    audit.length = 0
    authorized.length = 0
    await certs.createIssuer('pending', 'Test')
    const poller = await certs.beginCreateCertificate('audited', { issuerName: 'Self', subject: 'CN=audited', keyType: 'EC' }, FAST_POLL)
    await poller.pollUntilDone()
    const names = audit.filter((r) => r.resultSignature < 400).map((r) => r.operationName)
    expect(names[0]).toBe('CertificateIssuerSet')
    expect(names).toContain('CertificateCreate')
    expect(names).toContain('CertificatePendingGet')
    expect(names.at(-1)).toBe('CertificateGet')
    expect(authorized.find((o) => o.name === 'CertificateCreate')?.dataAction).toBe('Microsoft.KeyVault/vaults/certificates/create/action')
    const created = audit.find((r) => r.operationName === 'CertificateCreate')
    expect(created?.resultSignature).toBe(202)
    expect((await certs.getIssuer('pending')).provider).toBe('Test')
  })
})

describe('localhost addressing', () => {
  it('serves the same API on https://localhost:<port> with ids on that address', async () => {
    const { vaultUrl, options } = em.clientSetup('kv-issuers', 'localhost')
    const local = new CertificateClient(vaultUrl, em.credential, { ...options, retryOptions: { maxRetries: 0 } })
    const cert = await local.getCertificate('audited')
    expect(cert.properties.id).toBe(`${em.vault('kv-issuers').url}/certificates/audited/${cert.properties.version}`)
    expect(cert.secretId?.startsWith(`${em.vault('kv-issuers').url}/secrets/audited/`)).toBe(true)
  })
})
