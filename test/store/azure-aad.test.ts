import { EnvironmentCredential, type TokenCredential } from '@azure/identity'
import { describe, expect, inject, it } from 'vitest'
import { ExitCode, KvdrError } from '../../src/core/errors.js'
import { parseConnectionString } from '../../src/store/azure-client.js'
import { openLocation } from '../../src/store/location.js'

// An https Azurite with `--oauth basic`: it checks a bearer token's audience, issuer and lifetime (not its
// signature), which is enough to drive the SDK's real token path end to end.
const cs = parseConnectionString(inject('azuriteHttpsConnectionString'))
const endpoint = cs.blobEndpoint!
const account = cs.accountName!

function jwtCredential(claims: Record<string, unknown> = {}): TokenCredential & { scopes: string[] } {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const scopes: string[] = []
  return {
    scopes,
    getToken: async (scope) => {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]))
      const now = Math.floor(Date.now() / 1000)
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
        aud: 'https://storage.azure.com',
        iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/',
        iat: now - 60,
        nbf: now - 60,
        exp: now + 3600,
        oid: '11111111-1111-1111-1111-111111111111',
        tid: '00000000-0000-0000-0000-000000000001',
        ...claims,
      })}.`
      return { token, expiresOnTimestamp: (now + 3600) * 1000 }
    },
  }
}

let n = 0
const fresh = (): string => `azblob://${account}/aad-${process.pid}-${Date.now().toString(36)}-${++n}`

async function failure(p: Promise<unknown>): Promise<KvdrError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(KvdrError)
    return err as KvdrError
  }
  throw new Error('expected a failure')
}

describe('Azure AD (token) authentication over https', () => {
  it('stores, lists and locks with a bearer token for the storage audience', async () => {
    const credential = jwtCredential()
    const opened = await openLocation(`${fresh()}/team-a`, { env: {}, credential, blobEndpoint: endpoint, create: true })
    expect(opened.auth).toBe('token credential (given)')
    expect(await opened.store.putIfAbsent('config', new Uint8Array([1, 2, 3]))).toBe('created')
    expect(await opened.store.putIfAbsent('config', new Uint8Array([9]))).toBe('exists')
    expect(await opened.store.get('config')).toEqual(new Uint8Array([1, 2, 3]))
    const held = await opened.locker.acquire('exclusive', 'backup')
    await held.release()
    expect(credential.scopes.every((s) => s === 'https://storage.azure.com/.default')).toBe(true)
    expect(credential.scopes.length).toBeGreaterThan(0)
  })

  it('a token the service rejects (wrong audience) is an Auth error (exit 20) without the token in it', async () => {
    const credential = jwtCredential({ aud: 'https://vault.azure.net' })
    const token = (await credential.getToken('x'))!.token
    const err = await failure(openLocation(fresh(), { env: {}, credential, blobEndpoint: endpoint, create: true, retry: false }))
    expect(err.exitCode).toBe(ExitCode.Auth)
    expect(`${err.message} ${err.hint} ${JSON.stringify(err)}`).not.toContain(token.slice(0, 40))
  })

  it('no usable Azure AD credential is an Auth error (exit 20) that says how to sign in', async () => {
    // EnvironmentCredential with no AZURE_CLIENT_* variables: the identity library's own "unavailable" error.
    const saved = { id: process.env.AZURE_CLIENT_ID, tenant: process.env.AZURE_TENANT_ID }
    delete process.env.AZURE_CLIENT_ID
    delete process.env.AZURE_TENANT_ID
    const credential = new EnvironmentCredential()
    if (saved.id !== undefined) process.env.AZURE_CLIENT_ID = saved.id
    if (saved.tenant !== undefined) process.env.AZURE_TENANT_ID = saved.tenant
    const err = await failure(openLocation(fresh(), { env: {}, credential, blobEndpoint: endpoint, retry: false }))
    expect(err.code).toBe('STORE_AUTH')
    expect(err.exitCode).toBe(ExitCode.Auth)
    expect(err.hint).toMatch(/az login/)
  })
})
