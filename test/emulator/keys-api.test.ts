/**
 * The Keys API through the official @azure/keyvault-keys KeyClient over HTTPS (challenge verification on, host-name
 * form; one suite in the localhost form): create, import, get, update, list, list versions, key attributes, release
 * policies, and the errors bad input gets.
 */
import { createPublicKey, generateKeyPairSync, type JsonWebKey as NodeJwk } from 'node:crypto'
import type { JsonWebKey, KeyClient, KeyVaultKey } from '@azure/keyvault-keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagedKey, type EmulatorHandle } from '../../src/emulator/index.js'
import { generateKey } from '../../src/emulator/keys/crypto.js'
import { keyClient, rawRequest, startTestEmulator, withApi } from '../support/emulator.js'

let em: EmulatorHandle
let client: KeyClient
beforeAll(async () => {
  em = await startTestEmulator()
  client = keyClient(em, 'kv-primary')
})
afterAll(async () => {
  await em?.stop()
})

/** The SDK's RestError, checked by shape. */
interface ServiceError extends Error {
  statusCode?: number
  code?: string
  details?: unknown
}

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(Error)
  expect((err as Error).name).toBe('RestError')
  return err as ServiceError
}

const VERSION_RE = /^[0-9a-f]{32}$/
const NODE_CRV: Record<string, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', 'P-256K': 'secp256k1' }

/** The public key node:crypto reads from the JWK the service returned. */
function nodePublicKey(key: KeyVaultKey): ReturnType<typeof createPublicKey> {
  const jwk = key.key as JsonWebKey
  const b64 = (b: Uint8Array | undefined): string => Buffer.from(b as Uint8Array).toString('base64url')
  const kty = (jwk.kty as string).replace('-HSM', '')
  const nodeJwk: NodeJwk = kty === 'RSA' ? { kty, n: b64(jwk.n), e: b64(jwk.e) } : { kty, crv: NODE_CRV[jwk.crv as string], x: b64(jwk.x), y: b64(jwk.y) }
  return createPublicKey({ key: nodeJwk, format: 'jwk' })
}

describe('creating keys', () => {
  it('creates RSA keys of 2048, 3072 and 4096 bits whose public JWK node:crypto reads at that size', async () => {
    const made = await Promise.all([2048, 3072, 4096].map((keySize) => client.createRsaKey(`rsa-${keySize}`, { keySize })))
    for (const [i, key] of made.entries()) {
      const bits = [2048, 3072, 4096][i] as number
      expect(nodePublicKey(key).asymmetricKeyDetails?.modulusLength).toBe(bits)
      expect(key.keyType).toBe('RSA')
      expect(key.keyOperations).toEqual(['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'])
      expect(key.properties.version).toMatch(VERSION_RE)
      expect(key.id).toBe(`${em.vault('kv-primary').hostUrl}/keys/rsa-${bits}/${key.properties.version}`)
      expect(key.key?.d).toBeUndefined()
    }
    const raw = await rawRequest(em, 'kv-primary', 'GET', withApi('/keys/rsa-3072'), { auth: true })
    const attributes = (raw.body as { attributes: Record<string, unknown> }).attributes
    expect(Object.keys(attributes)).toEqual(['enabled', 'key_size', 'created', 'updated', 'recoveryLevel', 'recoverableDays', 'exportable', 'hsmPlatform'])
    expect(attributes).toMatchObject({ key_size: 3072, exportable: false, hsmPlatform: '0', recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 })
    expect(JSON.stringify(raw.body)).not.toMatch(/"(d|p|q|dp|dq|qi)":/)
  })

  it('creates EC keys on P-256, P-384, P-521 and P-256K, and HSM-protected keys of both types', async () => {
    for (const curve of ['P-256', 'P-384', 'P-521', 'P-256K'] as const) {
      const key = await client.createEcKey(`ec-${curve}`, { curve })
      expect(key.key?.crv).toBe(curve)
      expect(key.keyOperations).toEqual(['sign', 'verify'])
      expect(nodePublicKey(key).asymmetricKeyDetails?.namedCurve).toBe({ 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1', 'P-256K': 'secp256k1' }[curve])
    }
    const ecHsm = await client.createKey('ec-hsm', 'EC-HSM', { curve: 'P-384' })
    const rsaHsm = await client.createRsaKey('rsa-hsm', { hsm: true })
    expect([ecHsm.keyType, rsaHsm.keyType]).toEqual(['EC-HSM', 'RSA-HSM'])
    expect([ecHsm.properties.hsmPlatform, rsaHsm.properties.hsmPlatform]).toEqual(['2', '2'])
    const raw = await rawRequest(em, 'kv-primary', 'GET', withApi('/keys/ec-hsm/'), { auth: true })
    expect((raw.body as { attributes: Record<string, unknown> }).attributes).not.toHaveProperty('key_size')
  })

  it('keeps attributes, tags and key_ops given at creation, and every version', async () => {
    const exp = new Date(Math.floor(Date.now() / 1000 + 86_400) * 1000)
    const first = await client.createKey('with-props', 'EC', { tags: { team: 'pay' }, keyOps: ['sign'], enabled: false, expiresOn: exp })
    const second = await client.createKey('with-props', 'EC')
    expect(first.properties.tags).toEqual({ team: 'pay' })
    expect(first.keyOperations).toEqual(['sign'])
    expect(first.properties.enabled).toBe(false)
    expect(first.properties.expiresOn?.getTime()).toBe(exp.getTime())
    expect((await client.getKey('with-props')).properties.version).toBe(second.properties.version)
    const old = await client.getKey('with-props', { version: first.properties.version as string })
    expect(old.key?.x).toEqual(first.key?.x)
    expect(old.properties.enabled).toBe(false)
    const versions: string[] = []
    for await (const p of client.listPropertiesOfKeyVersions('with-props')) versions.push(p.version as string)
    expect(versions.sort()).toEqual([first, second].map((k) => k.properties.version as string).sort())
  })

  it('refuses bad requests with 400 and a message that says what to fix', async () => {
    const oct = await rejection(client.createKey('bad-oct', 'oct'))
    expect([oct.statusCode, oct.code, oct.message]).toEqual([400, 'BadParameter', 'Invalid kty value: oct'])
    const size = await rejection(client.createRsaKey('bad-size', { keySize: 1024 }))
    expect(size.message).toBe('Unsupported key size (1024). Supported sizes are [2048, 3072, 4096].')
    const curve = await rejection(client.createKey('bad-curve', 'EC', { curve: 'P-192' as 'P-256' }))
    expect([curve.statusCode, curve.code]).toEqual([400, 'KeyCurveNotSupported'])
    const ops = await rejection(client.createKey('bad-ops', 'EC', { keyOps: ['encrypt'] }))
    expect(ops.message).toBe('Unsupported key operation(s): "encrypt". Supported values are "sign", "verify".')
    const name = await rejection(client.createKey('bad_name', 'EC'))
    expect(name.message).toContain('invalid name: bad_name')
    const noKty = await rawRequest(em, 'kv-primary', 'POST', withApi('/keys/no-kty/create'), { auth: true, body: '{}' })
    expect(noKty.status).toBe(400)
    expect(noKty.body).toEqual({ error: { code: 'BadParameter', message: `Property 'kty' is required: RSA, RSA-HSM, EC or EC-HSM.` } })
    const empty = await rejection(client.createKey('', 'RSA'))
    expect([empty.statusCode, empty.message]).toEqual([400, 'Operation not specified'])
    for (const n of ['bad-oct', 'bad-size', 'bad-curve', 'bad-ops', 'no-kty']) expect((await rejection(client.getKey(n))).statusCode).toBe(404)
  })
})

describe('importing keys', () => {
  it('imports an RSA private JWK; the service returns its public half with the given key_ops and keeps it usable', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = privateKey.export({ format: 'jwk' })
    const bytes = (s: string | undefined): Uint8Array => Buffer.from(s as string, 'base64url')
    const imported = await client.importKey(
      'imported-rsa',
      { kty: 'RSA', keyOps: ['sign', 'verify'], n: bytes(jwk.n), e: bytes(jwk.e), d: bytes(jwk.d), p: bytes(jwk.p), q: bytes(jwk.q), dp: bytes(jwk.dp), dq: bytes(jwk.dq), qi: bytes(jwk.qi) },
      { tags: { source: 'byok-test' } },
    )
    expect(Buffer.from(imported.key?.n as Uint8Array).toString('base64url')).toBe(publicKey.export({ format: 'jwk' }).n)
    expect(imported.keyOperations).toEqual(['sign', 'verify'])
    expect(imported.properties.tags).toEqual({ source: 'byok-test' })
    expect(imported.key?.d).toBeUndefined()
    const hsm = await client.importKey('imported-hsm', { kty: 'RSA', n: bytes(jwk.n), e: bytes(jwk.e), d: bytes(jwk.d), p: bytes(jwk.p), q: bytes(jwk.q), dp: bytes(jwk.dp), dq: bytes(jwk.dq), qi: bytes(jwk.qi) }, { hardwareProtected: true })
    expect([hsm.keyType, hsm.properties.hsmPlatform]).toEqual(['RSA-HSM', '2'])
  })

  it('imports an EC key and refuses JWKs that do not hold a consistent private key', async () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })
    const bytes = (s: string | undefined): Uint8Array => Buffer.from(s as string, 'base64url')
    const ec = await client.importKey('imported-ec', { kty: 'EC', crv: 'P-384', x: bytes(jwk.x), y: bytes(jwk.y), d: bytes(jwk.d) })
    expect(Buffer.from(ec.key?.x as Uint8Array).toString('base64url')).toBe(jwk.x)
    const publicOnly = await rejection(client.importKey('imported-public', { kty: 'EC', crv: 'P-384', x: bytes(jwk.x), y: bytes(jwk.y) }))
    expect([publicOnly.statusCode, publicOnly.message]).toEqual([400, 'The property "key" must be a valid JsonWebKey object.'])
    const other = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })
    const mismatched = await rejection(client.importKey('imported-mismatch', { kty: 'EC', crv: 'P-384', x: bytes(jwk.x), y: bytes(jwk.y), d: bytes(other.d) }))
    expect(mismatched.statusCode).toBe(400)
    expect(JSON.stringify(mismatched.details)).not.toContain(other.d as string)
  })
})

describe('updating keys', () => {
  it('updates attributes, tags and key_ops of a version or of the latest, and refuses key_ops the type cannot have', async () => {
    const v1 = await client.createKey('updatable', 'EC')
    const v2 = await client.createKey('updatable', 'EC', { tags: { a: '1' } })
    const nbf = new Date(Math.floor(Date.now() / 1000 - 60) * 1000)
    const updated = await client.updateKeyProperties('updatable', v1.properties.version as string, { enabled: false, notBefore: nbf, tags: { b: '2' }, keyOps: ['verify'] })
    expect(updated.properties.version).toBe(v1.properties.version)
    expect([updated.properties.enabled, updated.properties.notBefore?.getTime(), updated.properties.tags, updated.keyOperations]).toEqual([false, nbf.getTime(), { b: '2' }, ['verify']])
    const latest = await client.updateKeyProperties('updatable', { tags: { c: '3' } })
    expect(latest.properties.version).toBe(v2.properties.version)
    expect(latest.properties.tags).toEqual({ c: '3' })
    expect((await client.getKey('updatable', { version: v1.properties.version as string })).properties.tags).toEqual({ b: '2' })
    const bad = await rejection(client.updateKeyProperties('updatable', { keyOps: ['wrapKey'] }))
    expect([bad.statusCode, bad.message]).toEqual([400, 'Unsupported key operation(s): "wrapKey". Supported values are "sign", "verify".'])
    const missing = await rejection(client.updateKeyProperties('updatable', '0123456789abcdef0123456789abcdef', { enabled: true }))
    expect([missing.statusCode, missing.code]).toEqual([404, 'KeyNotFound'])
  })
})

describe('listing keys', () => {
  it('lists every key once (by name, metadata only) including the managed key behind a certificate', async () => {
    const material = await generateKey({ kty: 'RSA' })
    createManagedKey(em.model('kv-primary'), 'cert-backed', '00112233445566778899aabbccddeeff', material)
    await client.createKey('listed', 'EC', { tags: { l: 'x' } })
    const items = []
    for await (const p of client.listPropertiesOfKeys()) items.push(p)
    const names = items.map((p) => p.name)
    expect(new Set(names).size).toBe(names.length)
    expect(names).toEqual(expect.arrayContaining(['listed', 'cert-backed', 'rsa-2048', 'with-props']))
    expect(items.find((p) => p.name === 'listed')?.tags).toEqual({ l: 'x' })
    expect(items.find((p) => p.name === 'listed')?.version).toBeUndefined()
    expect(items.find((p) => p.name === 'cert-backed')?.managed).toBe(true)
    const raw = await rawRequest(em, 'kv-primary', 'GET', withApi('/keys?maxresults=3'), { auth: true })
    expect(JSON.stringify(raw.body)).not.toMatch(/"(n|x|d)":/)
  })

  it('lists no versions of a key that does not exist', async () => {
    const versions = []
    for await (const v of client.listPropertiesOfKeyVersions('never-created')) versions.push(v)
    expect(versions).toEqual([])
  })
})

describe('release policies and release', () => {
  const policy = { encodedPolicy: Buffer.from(JSON.stringify({ version: '1.0.0', anyOf: [{ authority: 'https://attest.example', allOf: [{ claim: 'x', equals: 'y' }] }] })) }

  it('refuses exportable keys without a policy and policies on keys that are not exportable, as the service words it', async () => {
    const noPolicy = await rejection(client.createKey('exp-no-policy', 'RSA-HSM', { exportable: true }))
    expect([noPolicy.statusCode, noPolicy.message]).toEqual([400, 'AKV.SKR.1004: Exportable keys must have release policy.'])
    const notExportable = await rejection(client.createKey('policy-no-exp', 'RSA-HSM', { releasePolicy: policy }))
    expect(notExportable.message).toBe('AKV.SKR.1005: Non-exportable keys must not have release policy.')
    const garbage = await rejection(client.createKey('policy-garbage', 'RSA-HSM', { exportable: true, releasePolicy: { encodedPolicy: Buffer.from('not json') } }))
    expect(garbage.message).toBe(`Property 'release_policy.data' must be a base64url-encoded JSON release policy.`)
  })

  it('keeps the release policy of an exportable key, and answers release with 501 (not supported) or 400 (not exportable)', async () => {
    const key = await client.createKey('exportable', 'EC-HSM', { exportable: true, releasePolicy: policy })
    expect(key.properties.exportable).toBe(true)
    expect(Buffer.from(key.properties.releasePolicy?.encodedPolicy as Uint8Array).toString()).toBe(policy.encodedPolicy.toString())
    expect(key.properties.releasePolicy?.contentType).toBe('application/json; charset=utf-8')
    const release = await rejection(client.releaseKey('exportable', 'attestation-token'))
    expect([release.statusCode, release.code]).toEqual([501, 'NotImplemented'])
    expect(release.message).toContain('not supported by the kvdr emulator')
    await client.createKey('not-exportable', 'EC')
    const refused = await rejection(client.releaseKey('not-exportable', 'attestation-token'))
    expect([refused.statusCode, refused.code]).toEqual([400, 'BadParameter'])
    expect(refused.message).toMatch(/^Key https:\/\/.+\/keys\/not-exportable\/[0-9a-f]{32} is not exportable/)
  })
})

describe('localhost addressing', () => {
  it('serves the Keys API with ids built from the localhost address', async () => {
    const local = keyClient(em, 'kv-dr', 'localhost')
    const key = await local.createKey('local-key', 'EC')
    expect(key.id).toBe(`${em.vault('kv-dr').url}/keys/local-key/${key.properties.version}`)
    expect((await local.getKey('local-key')).key?.x).toEqual(key.key?.x)
  })
})
