import { createCipheriv, createDecipheriv, createHmac, hkdfSync, scryptSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { open, seal, NONCE_BYTES, TAG_BYTES } from '../../src/crypto/aead.js'
import { openEnvelope, sealEnvelope } from '../../src/crypto/envelope.js'
import { AuthenticationError } from '../../src/crypto/errors.js'
import { contentIdHex, snapshotIdHex } from '../../src/crypto/ids.js'
import { hkdfSha256, scryptKey } from '../../src/crypto/kdf.js'
import { parseKeyVaultKeyId } from '../../src/crypto/keywrap.js'
import { hmacSha256, randomBytes } from '../../src/crypto/mac.js'
import { generateMasterKeys, unwrapMasterKeys, wrapMasterKeys } from '../../src/crypto/master.js'
import { formatRecoveryKey, generateRecoveryKey, parseRecoveryKey, RecoveryKeyFormatError } from '../../src/crypto/recovery.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))

describe('AES-256-GCM', () => {
  // The GCM specification's test case 16 (AES-256, 96-bit IV, with associated data).
  const K = hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308')
  const P = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39')
  const A = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2')
  const IV = hex('cafebabefacedbaddecaf888')
  const C = hex('522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662')
  const T = hex('76fc6ece0f4e1768cddf8853bb2d551b')

  it('opens the published known-answer vector', () => {
    expect(Buffer.from(open(K, new Uint8Array([...IV, ...C, ...T]), A)).equals(Buffer.from(P))).toBe(true)
  })

  it('seals in the layout nonce || ciphertext || tag, readable by node:crypto used directly', () => {
    const key = randomBytes(32)
    const aad = text('context')
    const sealed = seal(key, P, aad)
    expect(sealed.byteLength).toBe(NONCE_BYTES + P.byteLength + TAG_BYTES)
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES))
    d.setAAD(aad)
    d.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES))
    const plain = Buffer.concat([d.update(sealed.subarray(NONCE_BYTES, sealed.byteLength - TAG_BYTES)), d.final()])
    expect(plain.equals(Buffer.from(P))).toBe(true)
  })

  it('opens what node:crypto sealed directly', () => {
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', key, nonce)
    c.setAAD(A)
    const body = Buffer.concat([c.update(P), c.final()])
    expect(Buffer.from(open(key, new Uint8Array([...nonce, ...body, ...c.getAuthTag()]), A)).equals(Buffer.from(P))).toBe(true)
  })

  it('uses a fresh nonce each time', () => {
    const key = randomBytes(32)
    expect(Buffer.from(seal(key, P, A)).equals(Buffer.from(seal(key, P, A)))).toBe(false)
  })

  it.each([
    ['a flipped ciphertext byte', (s: Uint8Array) => { s[20] = (s[20] as number) ^ 1; return s }],
    ['a flipped tag byte', (s: Uint8Array) => { s[s.length - 1] = (s[s.length - 1] as number) ^ 0x80; return s }],
    ['a flipped nonce byte', (s: Uint8Array) => { s[0] = (s[0] as number) ^ 1; return s }],
    ['truncation', (s: Uint8Array) => s.subarray(0, s.length - 1)],
    ['truncation below the overhead', (s: Uint8Array) => s.subarray(0, 10)],
  ])('refuses %s', (_name, mutate) => {
    const key = randomBytes(32)
    const sealed = mutate(Uint8Array.from(seal(key, P, A)))
    expect(() => open(key, sealed, A)).toThrow(AuthenticationError)
  })

  it('refuses a different key or associated data', () => {
    const key = randomBytes(32)
    const sealed = seal(key, P, A)
    expect(() => open(randomBytes(32), sealed, A)).toThrow(AuthenticationError)
    expect(() => open(key, sealed, text('other'))).toThrow(AuthenticationError)
  })
})

describe('HMAC-SHA256 and keyed ids', () => {
  it('matches RFC 4231 test case 2', () => {
    const mac = hmacSha256(text('Jefe'), text('what do ya want '), text('for nothing?'))
    expect(Buffer.from(mac).toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
  })

  it('derives content ids as HMAC(idKey, label, type, plaintext), computed independently with node:crypto', () => {
    const idKey = randomBytes(32)
    const plain = text('s3cr3t-value')
    const expected = createHmac('sha256', idKey).update('kvdr/content-id/v1\0secret-value\0').update(plain).digest('hex')
    expect(contentIdHex(idKey, 'secret-value', plain)).toBe(expected)
    const manifest = text('{"a":1}')
    expect(snapshotIdHex(idKey, manifest)).toBe(createHmac('sha256', idKey).update('kvdr/snapshot-id/v1\0').update(manifest).digest('hex'))
  })

  it('gives different ids for another key, another type, or another plaintext', () => {
    const k = randomBytes(32)
    const base = contentIdHex(k, 'secret-value', text('x'))
    expect(contentIdHex(randomBytes(32), 'secret-value', text('x'))).not.toBe(base)
    expect(contentIdHex(k, 'key-backup', text('x'))).not.toBe(base)
    expect(contentIdHex(k, 'secret-value', text('y'))).not.toBe(base)
  })
})

describe('envelopes bind their identity as associated data', () => {
  const key = randomBytes(32)
  const context = 'kvdr/content/v1\0repo\0secret-value\0abcd'
  const sealed = sealEnvelope(key, 'content', context, text('value'))

  it('round-trips', () => {
    expect(Buffer.from(openEnvelope(key, 'content', context, sealed)).toString()).toBe('value')
  })

  it('fails to open when the id or the type in the context changes', () => {
    expect(() => openEnvelope(key, 'content', context.replace('abcd', 'abce'), sealed)).toThrow(AuthenticationError)
    expect(() => openEnvelope(key, 'content', context.replace('secret-value', 'key-backup'), sealed)).toThrow(AuthenticationError)
  })

  it('fails to open as another kind of envelope or with a changed header', () => {
    expect(() => openEnvelope(key, 'snapshot', context, sealed)).toThrow(AuthenticationError)
    const changed = Uint8Array.from(sealed)
    changed[5] = 2 // version byte
    expect(() => openEnvelope(key, 'content', context, changed)).toThrow(AuthenticationError)
  })
})

describe('key derivation', () => {
  it('scrypt matches node:crypto scryptSync with the same parameters (NFC-normalised passphrase)', async () => {
    const salt = randomBytes(16)
    const key = await scryptKey('pa\u0073\u0301word', salt, { N: 1024, r: 8, p: 1 })
    expect(Buffer.from(key).equals(scryptSync('pa\u015bword', salt, 32, { N: 1024, r: 8, p: 1 }))).toBe(true)
  })

  it('refuses scrypt parameters outside the limits (a tampered slot must not ask for gigabytes)', async () => {
    await expect(scryptKey('x', randomBytes(16), { N: 2 ** 30, r: 8, p: 1 })).rejects.toThrow(/power of two/)
    await expect(scryptKey('x', randomBytes(16), { N: 1000, r: 8, p: 1 })).rejects.toThrow(/power of two/)
  })

  it('HKDF matches node:crypto hkdfSync', () => {
    const ikm = randomBytes(32)
    const salt = randomBytes(16)
    expect(Buffer.from(hkdfSha256(ikm, salt, 'info')).equals(Buffer.from(hkdfSync('sha256', ikm, salt, 'info', 32)))).toBe(true)
  })
})

describe('master keys', () => {
  it('wrap and unwrap under a slot key bound to the slot identity', () => {
    const keys = generateMasterKeys()
    const slotKey = randomBytes(32)
    const wrapped = wrapMasterKeys(slotKey, keys, 'slot-a')
    const back = unwrapMasterKeys(slotKey, wrapped, 'slot-a')
    expect(Buffer.from(back.encKey).equals(Buffer.from(keys.encKey))).toBe(true)
    expect(Buffer.from(back.idKey).equals(Buffer.from(keys.idKey))).toBe(true)
    expect(() => unwrapMasterKeys(slotKey, wrapped, 'slot-b')).toThrow(AuthenticationError)
    expect(() => unwrapMasterKeys(randomBytes(32), wrapped, 'slot-a')).toThrow(AuthenticationError)
  })
})

describe('recovery keys', () => {
  it('round-trip through their printed form, tolerating case, spaces and comment lines', () => {
    const key = generateRecoveryKey()
    const printed = formatRecoveryKey(key)
    expect(printed).toMatch(/^KVDR-RK1-([A-Z2-7]{5}-){10}[A-Z2-7]{5}$/)
    const file = `# kvdr recovery key\n# keep offline\n  ${printed.toLowerCase().replace(/-/g, ' - ')}  \n`
    expect(Buffer.from(parseRecoveryKey(file)).equals(Buffer.from(key))).toBe(true)
  })

  it('reports a typo as a typo', () => {
    const printed = formatRecoveryKey(generateRecoveryKey())
    const i = printed.length - 3
    const typo = printed.slice(0, i) + (printed[i] === 'A' ? 'B' : 'A') + printed.slice(i + 1)
    expect(() => parseRecoveryKey(typo)).toThrow(RecoveryKeyFormatError)
    expect(() => parseRecoveryKey(typo)).toThrow(/typo/)
    expect(() => parseRecoveryKey('nothing here')).toThrow(/no line starting with KVDR-RK1-/)
  })
})

describe('Key Vault key ids', () => {
  it('accepts only versioned https key ids', () => {
    expect(parseKeyVaultKeyId('https://dr-kek.vault.azure.net/keys/kvdr-kek/0698c2156c1a4e1da5b6bab6f6422fd6')).toEqual({
      vaultUrl: 'https://dr-kek.vault.azure.net',
      name: 'kvdr-kek',
      version: '0698c2156c1a4e1da5b6bab6f6422fd6',
    })
    expect(parseKeyVaultKeyId('https://dr-kek.vault.azure.net/keys/kvdr-kek')).toBeUndefined()
    expect(parseKeyVaultKeyId('http://dr-kek.vault.azure.net/keys/k/1')).toBeUndefined()
    expect(parseKeyVaultKeyId('https://dr-kek.vault.azure.net/secrets/k/1')).toBeUndefined()
  })
})
