// Importing JWKs: the spec's example and a live recording import as the service imported them; keys that
// do not hold together, are incomplete, or are of a kind a vault does not take are refused with the
// service's errors. Public parts are checked with node:crypto, never only against the library itself.
import { constants, createHash, createPublicKey, generateKeyPairSync, generatePrimeSync, publicEncrypt, verify as nodeVerify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CryptoServiceError, decrypt, defaultKeyOps, describeKey, importJwk, publicJwk, sign } from '../../src/emulator/keys/crypto.js'
import type { EcKeyMaterial } from '../../src/emulator/keys/crypto.js'

const KID = 'https://myvault.vault.azure.net/keys/ImportSoftKeyTest/2eb4a15d74184c6f84159c3ca90f0f4b'

function refused(jwk: unknown, options?: { hsm?: boolean }): CryptoServiceError {
  try {
    importJwk(jwk, options)
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoServiceError)
    return e as CryptoServiceError
  }
  throw new Error('expected the import to be refused')
}

const INVALID_JWK = [400, 'BadParameter', 'The property "key" must be a valid JsonWebKey object.']
const INVALID_RSA = [400, 'BadParameter', 'RSA key is not valid - cannot instantiate crypto service']
const triple = (e: CryptoServiceError): unknown[] => [e.status, e.code, e.message]

/** a⁻¹ mod m, or undefined when they are not coprime. */
function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n]
  while (r1 !== 0n) {
    const t = r0 / r1
    ;[r0, r1, s0, s1] = [r1, r0 - t * r1, s1, s0 - t * s1]
  }
  return r0 === 1n ? ((s0 % m) + m) % m : undefined
}

/** Add `delta` to a base64url integer. */
function bump(b64: string, delta: bigint): string {
  const v = BigInt(`0x${Buffer.from(b64, 'base64url').toString('hex')}`) + delta
  const hex = v.toString(16)
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url')
}

describe('importing RSA keys', () => {
  it('imports the REST spec example and answers with exactly the example response key', () => {
    const m = importJwk(SPEC_IMPORT_REQUEST)
    expect(publicJwk(m, KID, defaultKeyOps(m.kty))).toEqual(SPEC_IMPORT_RESPONSE)
    expect(describeKey(m)).toEqual({ kty: 'RSA', keySize: 2048 })
    // The imported private key is usable: node encrypts to the response's public key, the library decrypts.
    const pub = createPublicKey({ key: { kty: 'RSA', n: SPEC_IMPORT_RESPONSE.n, e: SPEC_IMPORT_RESPONSE.e }, format: 'jwk' })
    const ct = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('dek'))
    expect(decrypt({ kid: KID, keyOps: ['decrypt'], material: m }, 'RSA-OAEP-256', ct)).toEqual(Buffer.from('dek'))
    const digest = createHash('sha256').update('m').digest()
    expect(nodeVerify('sha256', Buffer.from('m'), pub, sign({ kid: KID, keyOps: ['sign'], material: m }, 'RS256', digest))).toBe(true)
  })

  it('normalizes integers sent with leading zero bytes, as the live service did in the SDK recording', () => {
    const m = importJwk(RECORDED_IMPORT_REQUEST)
    expect(publicJwk(m, KID, RECORDED_IMPORT_REQUEST.key_ops).n).toBe(RECORDED_IMPORT_RESPONSE_N)
    for (const member of ['n', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      expect(Buffer.from((m as unknown as Record<string, string>)[member]!, 'base64url')[0]).not.toBe(0)
    }
  })

  it('imports as RSA-HSM when asked (the request Hsm flag) or when the JWK says so', () => {
    expect(importJwk(SPEC_IMPORT_REQUEST, { hsm: true }).kty).toBe('RSA-HSM')
    expect(importJwk({ ...SPEC_IMPORT_REQUEST, kty: 'RSA-HSM' }).kty).toBe('RSA-HSM')
    expect(importJwk(SPEC_IMPORT_REQUEST, { hsm: false }).kty).toBe('RSA')
  })

  it('refuses members that do not form one key', () => {
    const k = SPEC_IMPORT_REQUEST
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
    const broken = {
      'd off by two': { ...k, d: bump(k.d, 2n) },
      'dp off by one': { ...k, dp: bump(k.dp, 1n) },
      'dq of another key': { ...k, dq: other.dq },
      'p and q swapped (qi no longer inverts q)': { ...k, p: k.q, q: k.p, dp: k.dq, dq: k.dp },
      'n of another key': { ...k, n: other.n },
      'e changed': { ...k, e: 'AQAD' },
      'q missing': { ...k, q: undefined },
      'no CRT members': { kty: 'RSA', n: k.n, e: k.e, d: k.d },
    }
    for (const [why, jwk] of Object.entries(broken)) expect(triple(refused(jwk)), why).toEqual(INVALID_RSA)
  })

  it('refuses a key whose "prime" is composite even when every equation holds', () => {
    // p = p1·p2 is composite; n, d, dp, dq, qi are computed consistently from it, as a careless or
    // malicious exporter could. Only a primality test tells.
    const e = 65537n
    const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b))
    const enc = (v: bigint): string => Buffer.from(v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0'), 'hex').toString('base64url')
    let jwk: Record<string, string> | undefined
    for (let attempt = 0; jwk === undefined && attempt < 20; attempt++) {
      // Primes come with their top two bits set, so p = p1·p2 has 1024 bits and n = p·q 2048.
      const [p1, p2, q] = [generatePrimeSync(512, { bigint: true }), generatePrimeSync(512, { bigint: true }), generatePrimeSync(1024, { bigint: true })]
      const p = p1 * p2
      const d = modInverse(e, ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n))
      const qi = modInverse(q, p)
      if (d === undefined || qi === undefined) continue // e shares a factor with λ: pick other primes
      jwk = { kty: 'RSA', n: enc(p * q), e: enc(e), d: enc(d), p: enc(p), q: enc(q), dp: enc(d % (p - 1n)), dq: enc(d % (q - 1n)), qi: enc(qi) }
    }
    expect(Buffer.from(jwk!.n!, 'base64url')).toHaveLength(256)
    expect(triple(refused(jwk))).toEqual(INVALID_RSA)
  })

  it('refuses public-only, malformed and non-JWK input as an invalid JsonWebKey', () => {
    const k = SPEC_IMPORT_REQUEST
    const cases: Record<string, unknown> = {
      'public only': { kty: 'RSA', n: k.n, e: k.e },
      'no kty': { ...k, kty: undefined },
      'kty not a string': { ...k, kty: 1 },
      'n in standard base64': { ...k, n: `${k.n.slice(0, 10)}+/${k.n.slice(12)}` },
      'd a number': { ...k, d: 12345 },
      'e empty': { ...k, e: '' },
      'null': null,
      'an array': [k],
      'a string': JSON.stringify(k),
    }
    for (const [why, jwk] of Object.entries(cases)) expect(triple(refused(jwk)), why).toEqual(INVALID_JWK)
  })

  it('refuses key types, sizes and BYOK blobs a vault does not import here', () => {
    expect(refused({ kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAA' }).toWire()).toEqual({ error: { code: 'BadParameter', message: 'Invalid kty value: oct', innererror: { code: 'KeyTypeNotSupported' } } })
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' })
    expect(triple(refused(small))).toEqual([400, 'BadParameter', 'Unsupported key size (1024). Supported sizes are [2048, 3072, 4096].'])
    const byok = refused({ kty: 'RSA-HSM', key_hsm: 'eyJzY2hlbWFfdmVyc2lvbiI6IjEuMCJ9' })
    expect([byok.status, byok.code]).toEqual([400, 'BadParameter'])
    expect(byok.message).toMatch(/key_hsm.*not supported by the kvdr emulator/)
  })
})

describe('importing EC keys', () => {
  const curves = [['P-256', 'P-256', 32], ['P-384', 'P-384', 48], ['P-521', 'P-521', 66], ['P-256K', 'secp256k1', 32]] as const

  it.each(curves)('%s: a private JWK from node imports; its public JWK is node\'s, its signatures verify in node', (crv, nodeCrv, bytes) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: nodeCrv })
    const jwk = { ...privateKey.export({ format: 'jwk' }), crv }
    const m = importJwk(jwk) as EcKeyMaterial
    expect(m).toEqual({ kty: 'EC', crv, x: jwk.x, y: jwk.y, d: jwk.d })
    expect(Buffer.from(m.d, 'base64url')).toHaveLength(bytes)
    const pub = publicJwk(m, KID, ['verify'])
    expect(pub).toEqual({ kid: KID, kty: 'EC', key_ops: ['verify'], crv, x: jwk.x, y: jwk.y })
    const hash = bytes === 48 ? 'sha384' : bytes === 66 ? 'sha512' : 'sha256'
    const alg = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', 'P-256K': 'ES256K' }[crv]
    const sig = sign({ kid: KID, keyOps: ['sign'], material: m }, alg, createHash(hash).update('x').digest())
    expect(nodeVerify(hash, Buffer.from('x'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true)
    expect(importJwk(jwk, { hsm: true }).kty).toBe('EC-HSM')
  })

  it('pads coordinates and scalars sent without their leading zero bytes to the curve length', () => {
    // About 3 in 256 P-256 keys have a member starting with a zero byte; look for one.
    for (let i = 0; i < 5000; i++) {
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
      const member = (['x', 'y', 'd'] as const).find((k) => Buffer.from(jwk[k]!, 'base64url')[0] === 0)
      if (member === undefined) continue
      const stripped = { ...jwk, [member]: Buffer.from(jwk[member]!, 'base64url').subarray(1).toString('base64url') }
      expect((importJwk(stripped) as EcKeyMaterial)[member]).toBe(jwk[member])
      return
    }
    throw new Error('no P-256 key with a leading zero byte in 5000 tries')
  })

  it('refuses a private scalar that does not match the point, points off the curve, and missing members', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
    const cases: Record<string, unknown> = {
      'd of another key': { ...a, d: b.d },
      'y off the curve': { ...a, y: bump(a.y!, 1n) },
      'x beyond the field': { ...a, x: Buffer.concat([Buffer.from([1]), Buffer.from(a.x!, 'base64url')]).toString('base64url') },
      'd zero': { ...a, d: 'AA' },
      'public only': { kty: 'EC', crv: 'P-256', x: a.x, y: a.y },
      'no crv': { ...a, crv: undefined },
    }
    for (const [why, jwk] of Object.entries(cases)) expect(triple(refused(jwk)), why).toEqual(INVALID_JWK)
  })

  it('refuses curves a vault does not have, including node\'s name for P-256K', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'jwk' })
    for (const jwk of [k1, { ...k1, crv: 'P-192' }, { ...k1, crv: 'Ed25519' }]) {
      expect(triple(refused(jwk))).toEqual([400, 'KeyCurveNotSupported', 'The specified key curve is not supported'])
    }
  })
})

// Fixtures, copied from public Microsoft material (MIT):
// - the ImportKey example of the Key Vault REST spec 2025-07-01 (azure-rest-api-specs,
//   specification/keyvault/data-plane/Keys/stable/2025-07-01/examples/ImportKey-example.json);
// - the SDK recording keys_client__import_keys/recording_can_import_a_key.json (azure-sdk-assets,
//   js/sdk/keyvault/keyvault-keys/recordings/node/), a session against the live service whose request
//   sends every integer with a leading zero byte and whose response returns n without it.
// These are published test keys, not secrets.

/** ImportKey example: the request's JWK. */
const SPEC_IMPORT_REQUEST = {
  kty: 'RSA',
  n: 'nKAwarTrOpzd1hhH4cQNdVTgRF-b0ubPD8ZNVf0UXjb62QuAk3Dn68ESThcF7SoDYRx2QVcfoMC9WCcuQUQDieJF-lvJTSer1TwH72NBovwKlHvrXqEI0a6_uVYY5n-soGt7qFZNbwQLdWWA6PrbqTLIkv6r01dcuhTiQQAn6OWEa0JbFvWfF1kILQIaSBBBaaQ4R7hZs7-VQTHGD7J1xGteof4gw2VTiwNdcE8p5UG5b6S9KQwAeET4yB4KFPwQ3TDdzxJQ89mwYVi_sgAIggN54hTq4oEKYJHBOMtFGIN0_HQ60ZSUnpOi87xNC-8VFqnv4rfTQ7nkK6XMvjMVfw',
  e: 'AQAB',
  d: 'GeT1_D5LAZa7qlC7WZ0DKJnOth8kcPrN0urTEFtWCbmHQWkAad_px_VUpGp0BWDDzENbXbQcu4QCCdf4crve5eXt8dVI86OSah-RpEdBq8OFsETIhg2Tmq8MbYTJexoynRcIC62xAaCmkFMmu931gQSvWnYWTEuOPgmD2oE_F-bP9TFlGRc69a6MSbtcSRyFTsd5KsUr40QS4zf2W4kZCOWejyLuxk88SXgUqcJx86Ulc1Ol1KkTBLadvReAZCyCMwKBlNRGw46BU_iK0vK7rTD9fmEd639Gjti6eLpnyQYpnVe8uGgwVU1fHBkAKyapWoEG6VMhMntcrvgukKLIsQ',
  dp: 'ZGnmWx-Nca71z9a9vvT4g02iv3S-3kSgmhl8JST09YQwK8tfiK7nXnNMtXJi2K4dLKKnLicGtCzB6W3mXdLcP2SUOWDOeStoBt8HEBT4MrI1psCKqnBum78WkHju90rBFj99amkP6UeQy5EASAzgmKQu2nUaUnRV0lYP8LHMCkE',
  dq: 'dtpke0foFs04hPS6XYLA5lc7-1MAHfZKN4CkMAofwDqPmRQzCxpDJUk0gMWGJEdU_Lqfbg22Py44cci0dczH36NW3UU5BL86T2_SPPDOuyX7kDscrIJCdowxQCGJHGRBEozM_uTL46wu6UnUIv7m7cuGgodJyZBcdwpo6ziFink',
  qi: 'Y9KD5GaHkAYmAqpOfAQUMr71QuAAaBb0APzMuUvoEYw39PD3_vJeh9HZ15QmJ8zCX10-nlzUB-bWwvK-rGcJXbK4pArilr5MiaYv7e8h5eW2zs2_itDJ6Oebi-wVbMhg7DvUTBbkCvPhhIedE4UlDQmMYP7RhzVVs7SfmkGs_DQ',
  p: 'v1jeCPnuJQM2PW2690Q9KJk0Ulok8VFGjkcHUHVi3orKdy7y_TCIWM6ZGvgFzI6abinzYbTEPKV4wFdMAwvOWmawXj5YrsoeB44_HXJ0ak_5_iP6XXR8MLGXbd0ZqsxvAZyzMj9vyle7EN2cBod6aenI2QZoRDucPvjPwZsZotk',
  q: '0Yv-Dj6qnvx_LL70lUnKA6MgHE_bUC4drl5ZNDDsUdUUYfxIK4G1rGU45kHGtp-Qg-Uyf9s52ywLylhcVE3jfbjOgEozlSwKyhqfXkLpMLWHqOKj9fcfYd4PWKPOgpzWsqjA6fJbBUMYo0CU2G9cWCtVodO7sBJVSIZunWrAlBc'
}

/** ImportKey example: the key in the 200 response. */
const SPEC_IMPORT_RESPONSE = {
  kid: 'https://myvault.vault.azure.net/keys/ImportSoftKeyTest/2eb4a15d74184c6f84159c3ca90f0f4b',
  kty: 'RSA',
  key_ops: [
    'encrypt',
    'decrypt',
    'sign',
    'verify',
    'wrapKey',
    'unwrapKey'
  ],
  n: 'nKAwarTrOpzd1hhH4cQNdVTgRF-b0ubPD8ZNVf0UXjb62QuAk3Dn68ESThcF7SoDYRx2QVcfoMC9WCcuQUQDieJF-lvJTSer1TwH72NBovwKlHvrXqEI0a6_uVYY5n-soGt7qFZNbwQLdWWA6PrbqTLIkv6r01dcuhTiQQAn6OWEa0JbFvWfF1kILQIaSBBBaaQ4R7hZs7-VQTHGD7J1xGteof4gw2VTiwNdcE8p5UG5b6S9KQwAeET4yB4KFPwQ3TDdzxJQ89mwYVi_sgAIggN54hTq4oEKYJHBOMtFGIN0_HQ60ZSUnpOi87xNC-8VFqnv4rfTQ7nkK6XMvjMVfw',
  e: 'AQAB'
}

/** Recorded live import: the request's JWK (leading zero bytes on n, dp, dq, qi, p, q). */
const RECORDED_IMPORT_REQUEST = {
  kty: 'RSA',
  key_ops: [
    'encrypt',
    'decrypt',
    'sign',
    'verify',
    'wrapKey',
    'unwrapKey'
  ],
  n: 'AKCRTQAjSsaDshtMFdW-2Ie9yVnC5Xr1Suc06PAHINd10nXkVSB-N4TO62ClCkZV3XKnqU0nHo7o95WaZpym53W_DiO62umRtFKdl4UotL2QUh0y3SZWeWuoK2u_x2aMj17rUFN0f9GZMZ0pqEQNCPRBLVJ_-TEe2nGCWSC0exxGsRqz6R1zFkB-icfzQPe4WjQELOUXQ7J9RxhAPTTHtDivYYG-BeTRHrmF04JT1_6b9T_C8bAC0i0teT-nmlBLarQtBJKATXBx1yegbPOoiTqlQrFQP4MrKWNxtnB9Tcbjcvj-Z9je0ckI_eRc4DvAhqcUh_p15Dqg4GeaoNIO_jU',
  e: 'AQAB',
  d: 'Ynx9JGaBSP4iUsf6ZJ6opantRNdcdmzaQrKbZg6ZQE8Ohi1FYabJWvaoPSE-CiJEsDzShXZHMhUHN4X7Bn8BXaGQhK3p9HXgiwQKmix7oAJTu4ElUIyd8UC3UWHSZr40el4PaQD-HYu_eMzCXus34MnRiNbh_BUWm6T-Eidhk9d3kNIyaSi9YNDQHW6tjWrEhhq63O7JU1j9ZonFChZxpKk20jdkQKQURVAdpOdL-5j4I70ZxFuU6wHZj8DS8oRQfwGOvZKbgYDb5jgf3UNL_7eACqq92XPVX56vm7iKbqeyjCqAIx5y3hrSRIJtZlWCwjYnYQGd4unxDLi8wmJWSQ',
  dp: 'AMmhWb5yZcu6vJr8xJZ-t0_likxJRUMZAtEULaWZt2DgODj4y9JrZDJP6mvckzhQP0WXk2NuWbU2HR5pUeCN2wieG1B76VKoH76vfnaJDqT1NuJVBcP2SLHog3ffwZtMME5zjfygchG3kihqOSpwTQ9ETAqAJTkRC38fEhwAz_Cp',
  dq: 'AKC9TAo9n2RDaggjdLXK8kiLrBVoaWFTpqXkzYXRhtsx4vWPAkxhfSnze05rVMl6HiXv7FnE0f0wYawzUJzoyuXBH0zS6D9BqCZPeF543AmWB27iPf38Q9Z8Rjr6oBgMSnGDV_mm8nDVQkeaDyE4cOZh-5UKvKShTKKQVwunmDNH',
  qi: 'AJ_nrkLpK8BPzVeARkvSHQyKwMWZ-a8CD95qsKfn0dOZAvXY-2xhQYTEwbED-0bpTNEKbIpA-ZkaHygmnzJkNbbFAnb9pkkzU8ZQqDP3JNgMfVIroWx58Oth9nJza2j7i-MkPRCUPEq3Ao0J52z7WJIiLji8TTVYW_NaiM1oxzsH',
  p: 'ANHerI1o3dLB_VLVmZZVss8VZSYN5SaeQ_0qhfOSgOFwj__waCFmy2EG7l6l6f_Z-Y0L7Mn_LNov68lyWSFa2EuQUeVj4UoFHc5Di8ZUGiSsTwFM-XMtNuv8HmGgDYLL5BIJD3eTz71LdgW-Ez38OZH34b7VeG8zfeUDb8Hi30zz',
  q: 'AMPcZrZBqbc82DO8Q5zTT8ZXRGWrW36KktMllaIk1W2RHnRiQiW0jBWmcCgqUcQNHa1LwumjyNqwx28QBS37BTvG7ULGUoio6LrOeoiBGEMj-U19sX6m37plEhj5Mak7j3OPPY_T9rohjTW5aGGg9YSwq4jdz0RrmBX00ofYOjI3'
}

/** Recorded live import: the n the service returned. */
const RECORDED_IMPORT_RESPONSE_N =
  'oJFNACNKxoOyG0wV1b7Yh73JWcLlevVK5zTo8Acg13XSdeRVIH43hM7rYKUKRlXdcqepTScejuj3lZpmnKbndb8OI7ra6ZG0Up2XhSi0vZBSHTLdJlZ5a6gra7_HZoyPXutQU3R_0ZkxnSmoRA0I9EEtUn_5MR7acYJZILR7HEaxGrPpHXMWQH6Jx_NA97haNAQs5RdDsn1HGEA9NMe0OK9hgb4F5NEeuYXTglPX_pv1P8LxsALSLS15P6eaUEtqtC0EkoBNcHHXJ6Bs86iJOqVCsVA_gyspY3G2cH1NxuNy-P5n2N7RyQj95FzgO8CGpxSH-nXkOqDgZ5qg0g7-NQ'
