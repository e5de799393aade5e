/** Wire protocol: challenge auth, vault routing by host and port, api-versions, response headers, TLS. */
import { connect } from 'node:tls'
import { SecretClient } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

const OTHER_TENANT = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d'
let em: EmulatorHandle

beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [{ name: 'kv-one', region: 'westeurope' }, { name: 'kv-two', region: 'eastus', tenantId: OTHER_TENANT }],
  })
})
afterAll(async () => {
  await em?.stop()
})

describe('challenge authentication', () => {
  it('answers a request without a bearer token with 401 and the challenge, and never acts on it', async () => {
    const res = await rawRequest(em, 'kv-one', 'PUT', withApi('/secrets/probe'), { body: JSON.stringify({ value: 'v' }) })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } })
    expect(res.headers['www-authenticate']).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${em.vault('kv-one').tenantId}", resource="https://vault.azure.net"`,
    )
    const after = await rawRequest(em, 'kv-one', 'GET', withApi('/secrets/probe/'), { auth: true })
    expect(after.status).toBe(404)
  })

  it('names each vault its own tenant', async () => {
    const res = await rawRequest(em, 'kv-two', 'GET', withApi('/secrets'))
    expect(res.headers['www-authenticate']).toContain(`https://login.microsoftonline.com/${OTHER_TENANT}"`)
  })

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer two tokens'], ['PoP abc']])('treats Authorization "%s" as missing', async (value) => {
    const res = await rawRequest(em, 'kv-one', 'GET', withApi('/secrets'), { headers: { Authorization: value } })
    expect(res.status).toBe(401)
  })

  it('fails the SDK resource check on a localhost URL unless verification is disabled, as with the real service', async () => {
    const { vaultUrl, options } = em.clientSetup('kv-one', 'localhost')
    const strict = new SecretClient(vaultUrl, em.credential, { agent: options.agent, retryOptions: { maxRetries: 0 } })
    await expect(strict.getSecret('anything')).rejects.toThrow(/challenge resource 'vault.azure.net' does not match the requested domain/)
    const relaxed = secretClient(em, 'kv-one', 'localhost')
    await expect(relaxed.getSecret('anything')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' })
  })
})

describe('addressing and headers', () => {
  it('routes by host name on the shared port and by dedicated port for localhost', async () => {
    await secretClient(em, 'kv-one').setSecret('where', 'one')
    await secretClient(em, 'kv-two').setSecret('where', 'two')
    expect((await secretClient(em, 'kv-one', 'localhost').getSecret('where')).value).toBe('one')
    const two = await secretClient(em, 'kv-two', 'localhost').getSecret('where')
    expect(two.value).toBe('two')
    expect(two.properties.id).toBe(`https://localhost:${em.vault('kv-two').port}/secrets/where/${two.properties.version}`)
  })

  it('answers 404 VaultNotFound for a vault host the emulator does not serve', async () => {
    const { vaultUrl, options } = em.clientSetup('kv-one')
    const ghost = new SecretClient(vaultUrl.replace('kv-one', 'kv-ghost'), em.credential, { agent: options.agent, retryOptions: { maxRetries: 0 } })
    await expect(ghost.getSecret('x')).rejects.toMatchObject({ statusCode: 404, code: 'VaultNotFound' })
  })

  it('accepts any api-version, percent-encoded or not, and requires one', async () => {
    for (const q of ['api%2Dversion=2026-04-01', 'api-version=7.4', 'api-version=2099-01-01-preview']) {
      const res = await rawRequest(em, 'kv-one', 'GET', `/secrets?${q}`, { auth: true })
      expect(res.status, q).toBe(200)
    }
    const none = await rawRequest(em, 'kv-one', 'GET', '/secrets', { auth: true })
    expect(none.status).toBe(400)
    expect((none.body as { error: { code: string } }).error.code).toBe('BadParameter')
  })

  it('treats an empty version segment as latest', async () => {
    await secretClient(em, 'kv-one').setSecret('latest-probe', 'newest')
    const res = await rawRequest(em, 'kv-one', 'GET', withApi('/secrets/latest-probe/'), { auth: true })
    expect((res.body as { value: string }).value).toBe('newest')
  })

  it('sends the service response headers and echoes the client request id', async () => {
    const res = await rawRequest(em, 'kv-one', 'GET', withApi('/secrets'), { auth: true, headers: { 'x-ms-client-request-id': 'abc-123' } })
    expect(res.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers['x-ms-client-request-id']).toBe('abc-123')
    expect(res.headers['x-ms-keyvault-region']).toBe('westeurope')
    expect(res.headers['x-ms-keyvault-service-version']).toBeTruthy()
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.headers['x-ms-keyvault-network-info']).toMatch(/^conn_type=Ipv4;addr=127\.0\.0\.1;/)
  })

  it('answers 405 for a known path under another method and 400 for a body that is not JSON', async () => {
    const put = await rawRequest(em, 'kv-one', 'PUT', withApi('/secrets/'), { auth: true, body: '{"value":"v"}' })
    expect(put.status).toBe(405)
    expect(put.body).toEqual({ error: { code: 'MethodNotAllowed', message: 'HTTP PUT not allowed' } })
    const bad = await rawRequest(em, 'kv-one', 'PUT', withApi('/secrets/x'), { auth: true, body: '{not json' })
    expect(bad.status).toBe(400)
  })
})

describe('TLS', () => {
  it('serves a certificate valid for localhost, 127.0.0.1 and *.vault.azure.net, signed by the published CA', async () => {
    const peer = await new Promise<{ subjectaltname?: string; authorized: boolean }>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: em.port, servername: 'kv-one.vault.azure.net', ca: em.caPem }, () => {
        resolve({ subjectaltname: s.getPeerCertificate().subjectaltname, authorized: s.authorized })
        s.end()
      })
      s.on('error', reject)
    })
    expect(peer.authorized).toBe(true)
    expect(peer.subjectaltname).toContain('DNS:localhost')
    expect(peer.subjectaltname).toContain('DNS:*.vault.azure.net')
    expect(peer.subjectaltname).toContain('IP Address:127.0.0.1')
  })

  it('refuses TLS below 1.2', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: em.port, ca: em.caPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => {
        resolve(`connected with ${s.getProtocol()}`)
        s.end()
      })
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
    })
    expect(outcome).not.toMatch(/^connected/)
  })

  it('stop() closes idle and half-open connections instead of waiting for them', async () => {
    const other = await startTestEmulator({ vaults: [{ name: 'kv-closing' }] })
    const idle = connect({ host: '127.0.0.1', port: other.port, servername: 'kv-closing.vault.azure.net', ca: other.caPem })
    await new Promise<void>((resolve, reject) => idle.once('secureConnect', () => resolve()).once('error', reject))
    const closed = new Promise<void>((resolve) => idle.once('close', () => resolve()))
    idle.on('error', () => {})
    await other.stop()
    await closed
    expect(idle.destroyed).toBe(true)
  })

  it('reuses the CA found in the data directory', async () => {
    const second = await startTestEmulator({ vaults: [{ name: 'kv-again' }] })
    try {
      expect(second.caPem).toBe(em.caPem)
      expect(second.caPath).toBe(em.caPath)
    } finally {
      await second.stop()
    }
  })
})
