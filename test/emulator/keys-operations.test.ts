/**
 * The key operations through the official CryptographyClient over HTTPS, and independently with node:crypto using
 * only the public JWK the emulator returned: what one side encrypts or signs, the other decrypts or verifies.
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, publicEncrypt, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import type { KeyClient, KeyVaultKey } from '@azure/keyvault-keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { cryptographyClient, keyClient, rawRequest, startTestEmulator, withApi } from '../support/emulator.js'

let em: EmulatorHandle
let keys: KeyClient
let rsa: KeyVaultKey
beforeAll(async () => {
  em = await startTestEmulator({ vaults: [{ name: 'kv-ops' }] })
  keys = keyClient(em, 'kv-ops')
  rsa = await keys.createRsaKey('ops-rsa')
})
afterAll(async () => {
  await em?.stop()
})

const b64 = (b: Uint8Array | undefined): string => Buffer.from(b as Uint8Array).toString('base64url')
const NODE_CRV: Record<string, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', 'P-256K': 'secp256k1' }

/** node:crypto's view of the public JWK in a service response. */
function publicKeyOf(key: KeyVaultKey): KeyObject {
  const jwk = key.key
  if (jwk?.kty?.startsWith('RSA')) return createPublicKey({ key: { kty: 'RSA', n: b64(jwk.n), e: b64(jwk.e) }, format: 'jwk' })
  return createPublicKey({ key: { kty: 'EC', crv: NODE_CRV[jwk?.crv as string], x: b64(jwk?.x), y: b64(jwk?.y) }, format: 'jwk' })
}

async function rejection(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string; details?: unknown }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect((err as Error | undefined)?.name).toBe('RestError')
  return err as { statusCode?: number; code?: string; message: string }
}

describe('encryption and key wrapping', () => {
  it('round-trips encrypt/decrypt and wrapKey/unwrapKey with every RSA algorithm through the CryptographyClient', async () => {
    const crypto = cryptographyClient(em, 'kv-ops', rsa.id as string)
    const plaintext = Buffer.from('attack at dawn')
    for (const algorithm of ['RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256'] as const) {
      const encrypted = await crypto.encrypt({ algorithm, plaintext })
      expect(Buffer.from(encrypted.result).equals(plaintext)).toBe(false)
      expect(encrypted.result.length).toBe(256)
      const decrypted = await crypto.decrypt({ algorithm, ciphertext: encrypted.result })
      expect(Buffer.from(decrypted.result).toString()).toBe('attack at dawn')
      expect(decrypted.keyID).toBe(rsa.id)
      const dek = Buffer.from(createHash('sha256').update(algorithm).digest())
      const wrapped = await crypto.wrapKey(algorithm, dek)
      expect(Buffer.from((await crypto.unwrapKey(algorithm, wrapped.result)).result).equals(dek)).toBe(true)
    }
  })

  it('decrypts and unwraps what node:crypto encrypted with only the public JWK the service returned', async () => {
    const publicKey = publicKeyOf(rsa)
    const crypto = cryptographyClient(em, 'kv-ops', rsa.id as string)
    const secret = Buffer.from('0123456789abcdef0123456789abcdef', 'hex')
    const oaep256 = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret)
    expect(Buffer.from((await crypto.unwrapKey('RSA-OAEP-256', oaep256)).result).equals(secret)).toBe(true)
    const pkcs1 = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, secret)
    expect(Buffer.from((await crypto.decrypt({ algorithm: 'RSA1_5', ciphertext: pkcs1 })).result).equals(secret)).toBe(true)
  })

  it('answers a ciphertext made for another key with 400, not with garbage', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
    const foreign = publicEncrypt({ key: other, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('x'))
    const err = await rejection(cryptographyClient(em, 'kv-ops', rsa.id as string).decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: foreign }))
    expect([err.statusCode, err.code]).toEqual([400, 'BadParameter'])
  })
})

describe('signatures', () => {
  const message = Buffer.from('the quick brown fox')

  it('signs with every RSA algorithm; node:crypto verifies with the public JWK, and so does the service', async () => {
    const crypto = cryptographyClient(em, 'kv-ops', rsa.id as string)
    const publicKey = publicKeyOf(rsa)
    for (const [algorithm, hash, pss] of [['RS256', 'sha256', false], ['RS384', 'sha384', false], ['RS512', 'sha512', false], ['PS256', 'sha256', true], ['PS384', 'sha384', true], ['PS512', 'sha512', true]] as const) {
      const digest = createHash(hash).update(message).digest()
      const signed = await crypto.sign(algorithm, digest)
      const options = pss ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length } : publicKey
      expect(nodeVerify(hash, message, options, signed.result), algorithm).toBe(true)
      expect(nodeVerify(hash, Buffer.from('tampered'), options, signed.result), algorithm).toBe(false)
      expect((await crypto.verify(algorithm, digest, signed.result)).result, algorithm).toBe(true)
      expect((await crypto.verify(algorithm, createHash(hash).update('other').digest(), signed.result)).result, algorithm).toBe(false)
    }
  })

  it('signs with EC keys on every curve (JOSE r||s); node:crypto verifies, and the service verifies node:crypto signatures of an imported key', async () => {
    for (const [curve, algorithm, hash] of [['P-256', 'ES256', 'sha256'], ['P-384', 'ES384', 'sha384'], ['P-521', 'ES512', 'sha512'], ['P-256K', 'ES256K', 'sha256']] as const) {
      const key = await keys.createEcKey(`ops-${curve}`, { curve })
      const crypto = cryptographyClient(em, 'kv-ops', key)
      const digest = createHash(hash).update(message).digest()
      const signed = await crypto.sign(algorithm, digest)
      expect(nodeVerify(hash, message, { key: publicKeyOf(key), dsaEncoding: 'ieee-p1363' }, signed.result), algorithm).toBe(true)
      expect((await crypto.verify(algorithm, digest, signed.result)).result).toBe(true)
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
    const jwk = privateKey.export({ format: 'jwk' })
    const imported = await keys.importKey('ops-imported-k', { kty: 'EC', crv: 'P-256K', x: Buffer.from(jwk.x as string, 'base64url'), y: Buffer.from(jwk.y as string, 'base64url'), d: Buffer.from(jwk.d as string, 'base64url') })
    const localSignature = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' })
    const remote = cryptographyClient(em, 'kv-ops', imported.id as string)
    const digest = createHash('sha256').update(message).digest()
    expect((await remote.verify('ES256K', digest, localSignature)).result).toBe(true)
    const flipped = Buffer.from(localSignature)
    flipped[5] = (flipped[5] as number) ^ 1
    expect((await remote.verify('ES256K', digest, flipped)).result).toBe(false)
  })

  it('refuses a digest of the wrong length and an algorithm for another curve with 400', async () => {
    const crypto = cryptographyClient(em, 'kv-ops', rsa.id as string)
    const short = await rejection(crypto.sign('RS256', Buffer.alloc(20)))
    expect([short.statusCode, short.message]).toEqual([400, "Invalid length of 'value': 20 bytes. RS256 requires 32 bytes, encoded with base64url."])
    const p256 = await keys.getKey('ops-P-256')
    const wrongCurve = await rejection(cryptographyClient(em, 'kv-ops', p256.id as string).sign('ES384', Buffer.alloc(48)))
    expect(wrongCurve.message).toMatch(/^Key and signing algorithm are incompatible\. Key https:\/\/.+ uses curve 'P-256', and algorithm 'ES384' can only be used with curve 'P-384'\.$/)
  })
})

describe('what the service refuses', () => {
  it('refuses private-key operations on a disabled key (403 KeyDisabled) and allows the public-key ones', async () => {
    const key = await keys.createRsaKey('ops-disabled')
    await keys.updateKeyProperties('ops-disabled', key.properties.version as string, { enabled: false })
    const crypto = cryptographyClient(em, 'kv-ops', key.id as string)
    const encrypted = await crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('still allowed') })
    for (const [operation, call] of [
      ['decrypt', () => crypto.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: encrypted.result })],
      ['unwrapKey', () => crypto.unwrapKey('RSA-OAEP-256', encrypted.result)],
      ['sign', () => crypto.sign('RS256', Buffer.alloc(32))],
    ] as const) {
      const err = await rejection(call())
      expect([err.statusCode, err.code, err.message]).toEqual([403, 'Forbidden', `Operation ${operation} is not allowed on a disabled key.`])
      expect(JSON.stringify(err.details)).toContain('"innerError":{"code":"KeyDisabled"}')
    }
    expect((await crypto.verify('RS256', Buffer.alloc(32), Buffer.alloc(256))).result).toBe(false)
  })

  it('refuses operations the key_ops of the version do not allow (403 KeyOperationForbidden)', async () => {
    const key = await keys.createRsaKey('ops-sign-only', { keyOps: ['sign', 'verify'] })
    const res = await rawRequest(em, 'kv-ops', 'POST', withApi(`/keys/ops-sign-only/${key.properties.version}/encrypt`), {
      auth: true,
      body: JSON.stringify({ alg: 'RSA-OAEP-256', value: Buffer.from('x').toString('base64url') }),
    })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ error: { code: 'Forbidden', message: 'Operation encrypt is not permitted on this key.', innererror: { code: 'KeyOperationForbidden' } } })
  })

  it('runs an operation on the latest version when the version segment is empty, and 404s unknown versions', async () => {
    const plaintext = Buffer.from('latest')
    const cipher = publicEncrypt({ key: publicKeyOf(rsa), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext)
    const res = await rawRequest(em, 'kv-ops', 'POST', withApi('/keys/ops-rsa//decrypt'), { auth: true, body: JSON.stringify({ alg: 'RSA-OAEP-256', value: cipher.toString('base64url') }) })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ kid: rsa.id, value: plaintext.toString('base64url') })
    const missing = await rawRequest(em, 'kv-ops', 'POST', withApi('/keys/ops-rsa/0123456789abcdef0123456789abcdef/sign'), { auth: true, body: JSON.stringify({ alg: 'RS256', value: Buffer.alloc(32).toString('base64url') }) })
    expect(missing.status).toBe(404)
    expect((missing.body as { error: { code: string } }).error.code).toBe('KeyNotFound')
    const badValue = await rawRequest(em, 'kv-ops', 'POST', withApi('/keys/ops-rsa/sign'), { auth: true, body: JSON.stringify({ alg: 'RS256', value: 'not base64url!' }) })
    expect(badValue.body).toEqual({ error: { code: 'BadParameter', message: "Property 'value' must be base64url encoded." } })
  })
})
