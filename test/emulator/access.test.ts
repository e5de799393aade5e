/**
 * Access control: each built-in Key Vault role allows exactly its operations and denies the rest (table-driven
 * over every route the emulator serves, with expectations written from Microsoft's built-in roles reference);
 * custom roles with wildcards and notDataActions; object-scope assignments; assignments changed at run time; the
 * access-policy model; and the exact 403 shapes (ForbiddenByRbac, ForbiddenByPolicy) that leak nothing else.
 */
import type { TokenCredential } from '@azure/core-auth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_ROUTE_MODULES, Router, type EmulatorHandle } from '../../src/emulator/index.js'
import { rawRequest, secretClient, startTestEmulator, withApi, type RawResponse } from '../support/emulator.js'

/** One request per operation the emulator serves (names are the AuditEvent operation names). */
const SAMPLES: Record<string, { method: string; path: string; body?: unknown }> = {
  SecretSet: { method: 'PUT', path: '/secrets/probe', body: { value: 'v' } },
  SecretGet: { method: 'GET', path: '/secrets/probe' },
  SecretUpdate: { method: 'PATCH', path: '/secrets/probe/', body: { tags: { a: 'b' } } },
  SecretList: { method: 'GET', path: '/secrets' },
  SecretListVersions: { method: 'GET', path: '/secrets/probe/versions' },
  SecretDelete: { method: 'DELETE', path: '/secrets/probe' },
  SecretGetDeleted: { method: 'GET', path: '/deletedsecrets/probe' },
  SecretListDeleted: { method: 'GET', path: '/deletedsecrets' },
  SecretRecover: { method: 'POST', path: '/deletedsecrets/probe/recover' },
  SecretPurge: { method: 'DELETE', path: '/deletedsecrets/probe' },
  SecretBackup: { method: 'POST', path: '/secrets/probe/backup' },
  SecretRestore: { method: 'POST', path: '/secrets/restore', body: { value: 'AAAA' } },
  KeyCreate: { method: 'POST', path: '/keys/probe/create', body: { kty: 'EC', crv: 'P-256' } },
  KeyImport: { method: 'PUT', path: '/keys/probe', body: { key: { kty: 'EC' } } },
  KeyGet: { method: 'GET', path: '/keys/probe' },
  KeyUpdate: { method: 'PATCH', path: '/keys/probe/', body: { tags: { a: 'b' } } },
  KeyList: { method: 'GET', path: '/keys' },
  KeyListVersions: { method: 'GET', path: '/keys/probe/versions' },
  KeyDelete: { method: 'DELETE', path: '/keys/probe' },
  KeyGetDeleted: { method: 'GET', path: '/deletedkeys/probe' },
  KeyListDeleted: { method: 'GET', path: '/deletedkeys' },
  KeyRecover: { method: 'POST', path: '/deletedkeys/probe/recover' },
  KeyPurge: { method: 'DELETE', path: '/deletedkeys/probe' },
  KeyBackup: { method: 'POST', path: '/keys/probe/backup' },
  KeyRestore: { method: 'POST', path: '/keys/restore', body: { value: 'AAAA' } },
  KeyRotate: { method: 'POST', path: '/keys/probe/rotate' },
  KeyRotationPolicyGet: { method: 'GET', path: '/keys/probe/rotationpolicy' },
  KeyRotationPolicySet: { method: 'PUT', path: '/keys/probe/rotationpolicy', body: { lifetimeActions: [] } },
  KeyEncrypt: { method: 'POST', path: '/keys/probe/encrypt', body: { alg: 'RSA-OAEP-256', value: 'AAAA' } },
  KeyDecrypt: { method: 'POST', path: '/keys/probe/decrypt', body: { alg: 'RSA-OAEP-256', value: 'AAAA' } },
  KeyWrap: { method: 'POST', path: '/keys/probe/wrapkey', body: { alg: 'RSA-OAEP-256', value: 'AAAA' } },
  KeyUnwrap: { method: 'POST', path: '/keys/probe/unwrapkey', body: { alg: 'RSA-OAEP-256', value: 'AAAA' } },
  KeySign: { method: 'POST', path: '/keys/probe/sign', body: { alg: 'ES256', value: 'AAAA' } },
  KeyVerify: { method: 'POST', path: '/keys/probe/verify', body: { alg: 'ES256', digest: 'AAAA', value: 'AAAA' } },
  KeyRelease: { method: 'POST', path: '/keys/probe/release', body: { target: 'x' } },
  Unknown: { method: 'POST', path: '/keys/probe' },
  CertificateCreate: { method: 'POST', path: '/certificates/probe/create', body: {} },
  CertificateImport: { method: 'POST', path: '/certificates/probe/import', body: { value: 'AAAA' } },
  CertificateGet: { method: 'GET', path: '/certificates/probe' },
  CertificateList: { method: 'GET', path: '/certificates' },
  CertificateListVersions: { method: 'GET', path: '/certificates/probe/versions' },
  CertificateUpdate: { method: 'PATCH', path: '/certificates/probe/', body: { tags: { a: 'b' } } },
  CertificatePolicyGet: { method: 'GET', path: '/certificates/probe/policy' },
  CertificatePolicyUpdate: { method: 'PATCH', path: '/certificates/probe/policy', body: {} },
  CertificateDelete: { method: 'DELETE', path: '/certificates/probe' },
  CertificateGetDeleted: { method: 'GET', path: '/deletedcertificates/probe' },
  CertificateListDeleted: { method: 'GET', path: '/deletedcertificates' },
  CertificateRecover: { method: 'POST', path: '/deletedcertificates/probe/recover' },
  CertificatePurge: { method: 'DELETE', path: '/deletedcertificates/probe' },
  CertificateBackup: { method: 'POST', path: '/certificates/probe/backup' },
  CertificateRestore: { method: 'POST', path: '/certificates/restore', body: { value: 'AAAA' } },
  CertificatePendingGet: { method: 'GET', path: '/certificates/probe/pending' },
  CertificatePendingUpdate: { method: 'PATCH', path: '/certificates/probe/pending', body: { cancellation_requested: true } },
  CertificatePendingDelete: { method: 'DELETE', path: '/certificates/probe/pending' },
  CertificatePendingMerge: { method: 'POST', path: '/certificates/probe/pending/merge', body: { x5c: [] } },
  CertificateIssuerSet: { method: 'PUT', path: '/certificates/issuers/probe', body: { provider: 'Test' } },
  CertificateIssuerGet: { method: 'GET', path: '/certificates/issuers/probe' },
  CertificateIssuersList: { method: 'GET', path: '/certificates/issuers' },
  CertificateIssuerUpdate: { method: 'PATCH', path: '/certificates/issuers/probe', body: {} },
  CertificateIssuerDelete: { method: 'DELETE', path: '/certificates/issuers/probe' },
  CertificateContactsSet: { method: 'PUT', path: '/certificates/contacts', body: { contacts: [] } },
  CertificateContactsGet: { method: 'GET', path: '/certificates/contacts' },
  CertificateContactsDelete: { method: 'DELETE', path: '/certificates/contacts' },
}

const SECRET_METADATA = ['SecretList', 'SecretListVersions', 'SecretGetDeleted', 'SecretListDeleted']
const ALL_SECRETS = Object.keys(SAMPLES).filter((n) => n.startsWith('Secret'))
/** keys/read: properties and public material, listings, deleted keys (and `POST /keys/{name}`, answered 400). */
const KEY_READ = ['KeyGet', 'KeyList', 'KeyListVersions', 'KeyGetDeleted', 'KeyListDeleted', 'Unknown']
const ALL_KEYS = [...Object.keys(SAMPLES).filter((n) => n.startsWith('Key')), 'Unknown']
/** certificates/read: certificates, versions, policies, pending operations, deleted certificates. */
const CERT_READ = ['CertificateGet', 'CertificateList', 'CertificateListVersions', 'CertificatePolicyGet', 'CertificateGetDeleted', 'CertificateListDeleted', 'CertificatePendingGet']
const ALL_CERTS = Object.keys(SAMPLES).filter((n) => n.startsWith('Certificate'))

/** What each built-in role may do, from the built-in roles reference (dataActions), by operation. */
const EXPECTED: Record<string, string[]> = {
  'Key Vault Administrator': Object.keys(SAMPLES),
  'Key Vault Reader': [...SECRET_METADATA, ...KEY_READ, 'KeyRotationPolicyGet', ...CERT_READ, 'CertificateIssuerGet', 'CertificateIssuersList'],
  'Key Vault Secrets Officer': ALL_SECRETS,
  'Key Vault Secrets User': ['SecretGet', ...SECRET_METADATA],
  'Key Vault Crypto Officer': ALL_KEYS,
  'Key Vault Crypto User': [...KEY_READ, 'KeyUpdate', 'KeyBackup', 'KeyEncrypt', 'KeyDecrypt', 'KeyWrap', 'KeyUnwrap', 'KeySign', 'KeyVerify'],
  'Key Vault Crypto Service Encryption User': [...KEY_READ, 'KeyWrap', 'KeyUnwrap'],
  'Key Vault Crypto Service Release User': ['KeyRelease'],
  'Key Vault Certificates Officer': ALL_CERTS,
  'Key Vault Certificate User': ['SecretGet', ...SECRET_METADATA, ...KEY_READ, ...CERT_READ],
}
const ROLES = Object.keys(EXPECTED)
const principalOf = (role: string): string => role.toLowerCase().replace(/ /g, '-')

let em: EmulatorHandle
beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [
      { name: 'kv-rbac', resourceGroup: 'rg-dr' },
      { name: 'kv-policy', permissionModel: 'accessPolicy', accessPolicies: [{ principal: 'policy-reader', permissions: { secrets: ['get', 'list'], certificates: ['getissuers'] } }] },
    ],
    principals: [...ROLES.map((r) => ({ name: principalOf(r) })), { name: 'custom-writer' }, { name: 'metadata-only' }, { name: 'one-secret' }, { name: 'policy-reader' }, { name: 'late-comer' }],
    roleDefinitions: [
      {
        name: 'Secret Writer Without Purge',
        dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
        notDataActions: ['Microsoft.KeyVault/vaults/secrets/purge/action', 'Microsoft.KeyVault/vaults/secrets/getSecret/action'],
      },
      { name: 'Metadata Everywhere', dataActions: ['microsoft.keyvault/vaults/*/readMetadata/action'] },
    ],
    roleAssignments: [
      ...ROLES.map((role) => ({ principal: principalOf(role), role, scope: 'kv-rbac' })),
      { principal: 'custom-writer', role: 'Secret Writer Without Purge', scope: '/subscriptions/5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01/resourceGroups/rg-dr' },
      { principal: 'metadata-only', role: 'Metadata Everywhere' },
      { principal: 'one-secret', role: 'Key Vault Secrets User', scope: 'kv-rbac/secrets/shared-one' },
      // RBAC does not apply to an access-policy vault.
      { principal: 'policy-reader', role: 'Key Vault Administrator', scope: 'kv-policy' },
    ],
  })
})
afterAll(async () => {
  await em?.stop()
})

const credentials = new Map<string, TokenCredential>()
async function call(principal: string, vault: string, op: string, name = 'probe'): Promise<RawResponse> {
  const s = SAMPLES[op] as { method: string; path: string; body?: unknown }
  if (!credentials.has(principal)) credentials.set(principal, em.credentialFor(principal))
  const token = (await (credentials.get(principal) as TokenCredential).getToken('https://vault.azure.net/.default', { tenantId: em.vault(vault).tenantId }))?.token as string
  return rawRequest(em, vault, s.method, withApi(s.path.replace('probe', name)), { token, ...(s.body === undefined ? {} : { body: JSON.stringify(s.body) }) })
}

function error(res: RawResponse): { code: string; message: string; innererror?: { code: string } } {
  return (res.body as { error: { code: string; message: string; innererror?: { code: string } } }).error
}

describe('built-in roles', () => {
  it('the table covers every operation the emulator serves', () => {
    const router = new Router()
    for (const register of DEFAULT_ROUTE_MODULES) register(router)
    expect(router.list().map((r) => r.operation.name).filter((n) => !(n in SAMPLES))).toEqual([])
  })

  it.each(ROLES)('%s allows exactly its operations', async (role) => {
    const allowed = new Set(EXPECTED[role])
    const outcomes: string[] = []
    for (const op of Object.keys(SAMPLES)) {
      const res = await call(principalOf(role), 'kv-rbac', op)
      const got = res.status === 403 && error(res).innererror?.code === 'ForbiddenByRbac' ? 'denied' : 'allowed'
      outcomes.push(`${op}: ${got}`)
      if (got === 'denied') {
        expect(Object.keys(res.body as object)).toEqual(['error'])
        expect(error(res).message).toContain(`Action: 'Microsoft.KeyVault/vaults/`)
      }
    }
    expect(outcomes).toEqual(Object.keys(SAMPLES).map((op) => `${op}: ${allowed.has(op) ? 'allowed' : 'denied'}`))
  })

  it("denies with Key Vault's message naming the caller, the action and the resource, and applies nothing", async () => {
    const p = em.principal(principalOf('Key Vault Reader'))
    const res = await call(p.name, 'kv-rbac', 'SecretSet', 'denied-write')
    expect(res.status).toBe(403)
    const v = em.vault('kv-rbac')
    expect(res.body).toEqual({
      error: {
        code: 'Forbidden',
        message:
          'Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n' +
          `Caller: appid=${p.clientId};oid=${p.objectId};iss=https://sts.windows.net/${p.tenantId}/\r\n` +
          "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'\r\n" +
          `Resource: '/subscriptions/${v.subscriptionId}/resourcegroups/rg-dr/providers/microsoft.keyvault/vaults/kv-rbac/secrets/denied-write'\r\n` +
          "Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: kv-rbac;location=westeurope\r\n",
        innererror: { code: 'ForbiddenByRbac' },
      },
    })
    await expect(secretClient(em, 'kv-rbac').getSecret('denied-write')).rejects.toMatchObject({ statusCode: 404 })
  })
})

describe('custom roles, scopes and run-time assignments', () => {
  it('honours wildcards and notDataActions at resource-group scope', async () => {
    expect((await call('custom-writer', 'kv-rbac', 'SecretSet', 'custom-one')).status).toBe(200)
    expect((await call('custom-writer', 'kv-rbac', 'SecretBackup', 'custom-one')).status).toBe(200)
    expect(error(await call('custom-writer', 'kv-rbac', 'SecretGet', 'custom-one')).innererror?.code).toBe('ForbiddenByRbac')
    expect((await call('custom-writer', 'kv-rbac', 'SecretDelete', 'custom-one')).status).toBe(200)
    em.clock.advance(60_000)
    const purge = await call('custom-writer', 'kv-rbac', 'SecretPurge', 'custom-one')
    expect(error(purge).message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/purge/action'")
    // A role with `*` in the middle (and different casing) matches readMetadata of every object type.
    expect((await call('metadata-only', 'kv-rbac', 'SecretList')).status).toBe(200)
    expect(error(await call('metadata-only', 'kv-rbac', 'SecretGet')).innererror?.code).toBe('ForbiddenByRbac')
  })

  it('limits an object-scope assignment to that object', async () => {
    const admin = secretClient(em, 'kv-rbac')
    await admin.setSecret('shared-one', 'one')
    await admin.setSecret('shared-two', 'two')
    expect((await call('one-secret', 'kv-rbac', 'SecretGet', 'shared-one')).status).toBe(200)
    expect((await call('one-secret', 'kv-rbac', 'SecretGet', 'SHARED-ONE')).status).toBe(200)
    const other = await call('one-secret', 'kv-rbac', 'SecretGet', 'shared-two')
    expect(error(other).message).toContain('/providers/microsoft.keyvault/vaults/kv-rbac/secrets/shared-two')
    expect(error(await call('one-secret', 'kv-rbac', 'SecretList')).message).toContain("Resource: '/subscriptions/")
  })

  it('takes assignments added and removed at run time through the control surface', async () => {
    expect((await call('late-comer', 'kv-rbac', 'SecretList')).status).toBe(403)
    const a = em.control.assignRole({ principal: 'late-comer', role: 'Key Vault Secrets User', scope: 'kv-rbac' })
    expect(a).toMatchObject({ principal: 'late-comer', role: 'Key Vault Secrets User', scope: 'kv-rbac' })
    expect((await call('late-comer', 'kv-rbac', 'SecretList')).status).toBe(200)
    expect(em.control.removeRoleAssignment(a.id)).toBe(true)
    expect((await call('late-comer', 'kv-rbac', 'SecretList')).status).toBe(403)
    expect(() => em.control.assignRole({ principal: 'nobody', role: 'Key Vault Reader' })).toThrow(/'nobody' is not a configured principal/)
  })
})

describe('access-policy vaults', () => {
  it('allow what the policy lists, deny the rest with ForbiddenByPolicy, and ignore RBAC', async () => {
    await secretClient(em, 'kv-policy').setSecret('policy-secret', 'p')
    expect((await call('policy-reader', 'kv-policy', 'SecretGet', 'policy-secret')).status).toBe(200)
    expect((await call('policy-reader', 'kv-policy', 'SecretList')).status).toBe(200)
    const p = em.principal('policy-reader')
    const set = await call('policy-reader', 'kv-policy', 'SecretSet', 'policy-secret')
    expect(set.status).toBe(403)
    expect(set.body).toEqual({
      error: {
        code: 'Forbidden',
        message: `The user, group or application 'appid=${p.clientId};oid=${p.objectId};iss=https://sts.windows.net/${p.tenantId}/' does not have secrets set permission on key vault 'kv-policy;location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
        innererror: { code: 'ForbiddenByPolicy' },
      },
    })
    // Updating needs `set` too; an RBAC role elsewhere grants nothing here.
    expect(error(await call('policy-reader', 'kv-policy', 'SecretUpdate', 'policy-secret')).message).toContain('does not have secrets set permission')
    expect(error(await call(principalOf('Key Vault Administrator'), 'kv-policy', 'SecretList')).message).toContain('does not have secrets list permission')
    expect((await secretClient(em, 'kv-policy').getSecret('policy-secret')).value).toBe('p')
    // One issuer needs getissuers, the list listissuers.
    expect((await call('policy-reader', 'kv-policy', 'CertificateIssuerGet')).status).not.toBe(403)
    expect(error(await call('policy-reader', 'kv-policy', 'CertificateIssuersList')).message).toContain('does not have certificates listissuers permission')
    expect(error(await call('policy-reader', 'kv-policy', 'CertificateContactsGet')).message).toContain('does not have certificates managecontacts permission')
  })
})
