/**
 * Identity: @azure/identity's ClientSecretCredential gets signed tokens from the emulator's token service and the
 * official SDK works with them; the vaults refuse forged, expired, wrong-audience and wrong-tenant tokens with 401
 * and act on nothing; the token service answers Entra's errors; the insecure mode accepts any token.
 */
import { generateKeyPairSync, createPublicKey, verify } from 'node:crypto'
import { request } from 'node:https'
import { Agent } from 'node:https'
import { ClientSecretCredential } from '@azure/identity'
import { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorCredential, type EmulatorHandle } from '../../src/emulator/index.js'
import { rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

const OTHER_TENANT = '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a'
let em: EmulatorHandle
let agent: Agent

beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [{ name: 'kv-id' }],
    principals: [{ name: 'backup-sp' }, { name: 'foreign-sp', tenantId: OTHER_TENANT }],
    roleAssignments: [{ principal: 'backup-sp', role: 'Key Vault Secrets Officer', scope: 'kv-id' }],
  })
  agent = new Agent({ ca: em.caPem })
})
afterAll(async () => {
  agent?.destroy()
  await em?.stop()
})

function clientSecretCredential(name: string, extra: { tenantId?: string; secret?: string } = {}): ClientSecretCredential {
  const p = em.principal(name)
  return new ClientSecretCredential(extra.tenantId ?? p.tenantId, p.clientId, extra.secret ?? (p.clientSecret as string), {
    authorityHost: em.authorityHost,
    disableInstanceDiscovery: true,
    agent,
  })
}

function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }))
    })
      .on('error', reject)
      .end()
  })
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>
}

async function tokenOf(cred: ClientSecretCredential, scope = 'https://vault.azure.net/.default'): Promise<string> {
  return ((await cred.getToken(scope)) as { token: string }).token
}

describe('ClientSecretCredential against the token service', () => {
  it('gets a signed token the SDK uses; the signature verifies with the published JWKS and the claims are Entra v1 claims', async () => {
    const cred = clientSecretCredential('backup-sp')
    const { vaultUrl, options } = em.clientSetup('kv-id')
    const client = new SecretClient(vaultUrl, cred, { ...options, retryOptions: { maxRetries: 0 } })
    await client.setSecret('from-identity', 'v1')
    expect((await client.getSecret('from-identity')).value).toBe('v1')

    const token = await tokenOf(cred)
    const [h, c, sig] = token.split('.') as [string, string, string]
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg: string; kid: string }
    expect(header.alg).toBe('RS256')
    const p = em.principal('backup-sp')
    const jwks = await getJson(`${em.authorityHost}/${p.tenantId}/discovery/v2.0/keys`)
    const jwk = (jwks.body.keys as { kid: string }[]).find((k) => k.kid === header.kid)
    expect(jwk).toBeDefined()
    const key = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' })
    expect(verify('sha256', Buffer.from(`${h}.${c}`), key, Buffer.from(sig, 'base64url'))).toBe(true)

    const claims = claimsOf(token)
    const now = Math.floor(em.clock.now() / 1000)
    expect(claims).toMatchObject({ aud: 'https://vault.azure.net', iss: `https://sts.windows.net/${p.tenantId}/`, tid: p.tenantId, oid: p.objectId, appid: p.clientId, ver: '1.0' })
    expect(Math.abs((claims.iat as number) - now)).toBeLessThan(120)
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600)
  })

  it('publishes OpenID metadata and instance discovery in the shapes MSAL checks', async () => {
    const tenant = em.principal('backup-sp').tenantId
    const oidc = await getJson(`${em.authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`)
    expect(oidc.body).toMatchObject({
      token_endpoint: `${em.authorityHost}/${tenant}/oauth2/v2.0/token`,
      jwks_uri: `${em.authorityHost}/${tenant}/discovery/v2.0/keys`,
      issuer: `${em.authorityHost}/${tenant}/v2.0`,
      authorization_endpoint: `${em.authorityHost}/${tenant}/oauth2/v2.0/authorize`,
    })
    const host = new URL(em.authorityHost).host
    const discovery = await getJson(`${em.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${em.authorityHost}/${tenant}/oauth2/v2.0/authorize`)}`)
    expect(discovery.body).toMatchObject({ tenant_discovery_endpoint: `https://${host}/${tenant}/v2.0/.well-known/openid-configuration`, metadata: [{ preferred_network: host, aliases: [host] }] })
  })

  it("answers Entra's errors for a wrong secret, an unknown application and an unknown tenant", async () => {
    await expect(tokenOf(clientSecretCredential('backup-sp', { secret: 'not-the-secret' }))).rejects.toThrow(/AADSTS7000215: Invalid client secret provided/)
    await expect(tokenOf(clientSecretCredential('foreign-sp', { tenantId: em.principal('backup-sp').tenantId }))).rejects.toThrow(/AADSTS700016: Application with identifier '[0-9a-f-]+' was not found in the directory/)
    await expect(tokenOf(clientSecretCredential('backup-sp', { tenantId: '99999999-9999-4999-8999-999999999999' }))).rejects.toThrow(/AADSTS90002: Tenant '99999999-9999-4999-8999-999999999999' not found/)
  })
})

describe('the vaults accept only valid tokens the emulator issued', () => {
  async function refused(token: string): Promise<{ message: string; challenge: unknown }> {
    const res = await rawRequest(em, 'kv-id', 'PUT', withApi('/secrets/refused-write'), { token, body: JSON.stringify({ value: 'must-not-land' }) })
    expect(res.status).toBe(401)
    expect((res.body as { error: { code: string } }).error.code).toBe('Unauthorized')
    return { message: (res.body as { error: { message: string } }).error.message, challenge: res.headers['www-authenticate'] }
  }

  afterAll(async () => {
    // None of the refused requests was acted on.
    await expect(secretClient(em, 'kv-id').getSecret('refused-write')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('refuses a forged token: signed by another key under the real key id, or naming an unknown key', async () => {
    const real = await tokenOf(clientSecretCredential('backup-sp'))
    const [h, c] = real.split('.') as [string, string]
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const { sign } = await import('node:crypto')
    const forged = `${h}.${c}.${sign('sha256', Buffer.from(`${h}.${c}`), privateKey).toString('base64url')}`
    expect((await refused(forged)).message).toBe('Token signature validation failed.')

    const otherHeader = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'attacker-key' })).toString('base64url')
    const unknownKey = `${otherHeader}.${c}.${sign('sha256', Buffer.from(`${otherHeader}.${c}`), privateKey).toString('base64url')}`
    const r = await refused(unknownKey)
    expect(r.message).toBe(`AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '${otherHeader}'.`)
    expect(r.challenge).toBe(`Bearer authorization="https://login.microsoftonline.com/${em.vault('kv-id').tenantId}", resource="https://vault.azure.net"`)

    const unsigned = (await emulatorCredential().getToken('https://vault.azure.net/.default'))?.token as string
    expect((await refused(unsigned)).message).toMatch(/^AKV10046: Unable to resolve the key used for signature validation/)
  })

  it('refuses an expired token once the emulator clock passes exp (5 minutes of skew), while the handle credential renews', async () => {
    const token = await tokenOf(clientSecretCredential('backup-sp'))
    em.clock.advance(3600_000 + 301_000)
    try {
      expect((await refused(token)).message).toBe('Token expired.')
      // The handle's credential follows the emulator clock and fetches a new token.
      const client = secretClient(em, 'kv-id')
      await client.setSecret('after-expiry', 'still works')
      const tokens = em.audit({ operationName: 'SecretSet', status: 200 }).map((e) => e.identity?.claim.oid)
      expect(tokens.at(-1)).toBe(em.principal('kvdr-emulator-admin').objectId)
    } finally {
      em.clock.advance(-(3600_000 + 301_000))
    }
  })

  it('refuses a token for another audience (AKV10022) and one from another tenant (AKV10032)', async () => {
    const storage = await tokenOf(clientSecretCredential('backup-sp'), 'https://storage.azure.com/.default')
    expect((await refused(storage)).message).toBe('AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://storage.azure.com.')

    const foreign = await tokenOf(clientSecretCredential('foreign-sp'))
    expect((await refused(foreign)).message).toBe(
      `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${em.vault('kv-id').tenantId}/, found https://sts.windows.net/${OTHER_TENANT}/.`,
    )
    // Through the SDK, a credential bound to the other tenant refuses the vault's tenant before sending anything.
    const { vaultUrl, options } = em.clientSetup('kv-id')
    const client = new SecretClient(vaultUrl, clientSecretCredential('foreign-sp'), { ...options, retryOptions: { maxRetries: 0 } })
    await expect(client.getSecret('from-identity')).rejects.toThrow(/tenant/)
  })
})

describe('insecure mode', () => {
  it('accepts any bearer token and runs it as the administrator, or as the principal an unsigned token names', async () => {
    const open = await startTestEmulator({ auth: 'none', vaults: [{ name: 'kv-open' }], principals: [{ name: 'reader' }], roleAssignments: [{ principal: 'reader', role: 'Key Vault Reader' }] })
    try {
      const anything = await rawRequest(open, 'kv-open', 'PUT', withApi('/secrets/x'), { token: 'anything-at-all', body: JSON.stringify({ value: 'v' }) })
      expect(anything.status).toBe(200)
      const { vaultUrl, options } = open.clientSetup('kv-open')
      const asReader = new SecretClient(vaultUrl, emulatorCredential(open.principal('reader').objectId), { ...options, retryOptions: { maxRetries: 0 } })
      await expect(asReader.getSecret('x')).rejects.toMatchObject({ statusCode: 403 })
      expect((await rawRequest(open, 'kv-open', 'GET', withApi('/secrets'))).status).toBe(401)
    } finally {
      await open.stop()
    }
  })
})
