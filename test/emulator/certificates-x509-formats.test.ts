/**
 * PFX and PEM: what the library writes opens with the openssl CLI and node:crypto; what openssl writes
 * (OpenSSL 3 defaults, -legacy RC2, no encryption, encrypted PKCS#8) imports; merge of a chain an openssl
 * CA signed for our CSR; Key Vault's refusals.
 */
import { spawnSync } from 'node:child_process'
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BadParameterError,
  certificateSecretValue,
  createCsr,
  importCertificate,
  issueSelfSigned,
  mergeCertificate,
  Messages,
  readCertificateSecret,
  readPfx,
  writePem,
  writePfx,
  type CertificatePolicy,
} from '../../src/emulator/certificates/x509.js'
import { decode, int, items, seq, type Asn1 } from '../../src/emulator/certificates/x509-der.js'

const dir = mkdtempSync(join(tmpdir(), 'kvdr-x509-formats-'))
const file = (name: string): string => join(dir, name)

/** Run openssl in the temp dir; throws with its output when it fails. */
function openssl(...args: string[]): string {
  const r = spawnSync('openssl', args, { cwd: dir })
  const out = `${r.stdout.toString()}${r.stderr.toString()}`
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${out}`)
  return out
}

function opensslFails(...args: string[]): boolean {
  return spawnSync('openssl', args, { cwd: dir }).status !== 0
}

const spki = (k: KeyObject): string => (k.type === 'public' ? k : createPublicKey(k)).export({ type: 'spki', format: 'pem' }).toString()
const pemOf = (der: Buffer): string => new X509Certificate(der).toString()
const subjectOf = (der: Buffer): string => new X509Certificate(der).subject

function badParameter(fn: () => unknown): BadParameterError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(BadParameterError)
    return err as BadParameterError
  }
  throw new Error('expected a BadParameterError')
}

const policy = (subject: string, extra: CertificatePolicy = {}): CertificatePolicy => ({ issuer: { name: 'Self' }, x509_props: { subject }, ...extra })

let rsa: KeyObject
let rsaCert: Buffer
let ec: KeyObject
let ecCert: Buffer
let other: KeyObject

beforeAll(() => {
  rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  rsaCert = issueSelfSigned({ policy: policy('CN=rsa.contoso.com'), key: rsa, now: Date.now() })
  ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey
  ecCert = issueSelfSigned({ policy: policy('CN=ec.contoso.com', { key_props: { kty: 'EC', crv: 'P-384' } }), key: ec, now: Date.now() })
  other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
  // An openssl CA, and a leaf it signed for `other`, for chains.
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Test CA/O=kvdr', '-days', '2')
  writeFileSync(file('other.key'), other.export({ type: 'pkcs8', format: 'pem' }))
  writeFileSync(file('rsa.key'), rsa.export({ type: 'pkcs8', format: 'pem' }))
  writeFileSync(file('rsa.pem'), pemOf(rsaCert))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('PFX written by the library', () => {
  it('opens with openssl 3 without -legacy or a password: 3DES bags, SHA-1 MAC, the same key and certificate', () => {
    writeFileSync(file('nopw.pfx'), writePfx({ key: rsa, chain: [rsaCert] }))
    const info = openssl('pkcs12', '-in', 'nopw.pfx', '-info', '-noout', '-passin', 'pass:')
    expect(info).toContain('MAC: sha1, Iteration 2000')
    expect(info).toContain('Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2000')
    expect(info).toContain('PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2000')
    openssl('pkcs12', '-in', 'nopw.pfx', '-nodes', '-passin', 'pass:', '-out', 'nopw.out.pem')
    const out = readFileSync(file('nopw.out.pem'), 'utf8')
    expect(spki(createPrivateKey(out))).toBe(spki(rsa))
    expect(new X509Certificate(out).raw.equals(rsaCert)).toBe(true)
  })

  it('with a password: opens with it (non-ASCII too) and not without it', () => {
    writeFileSync(file('pw.pfx'), writePfx({ key: ec, chain: [ecCert], password: 'Pässwörd-1' }))
    openssl('pkcs12', '-in', 'pw.pfx', '-nodes', '-passin', 'pass:Pässwörd-1', '-out', 'pw.out.pem')
    expect(spki(createPrivateKey(readFileSync(file('pw.out.pem'))))).toBe(spki(ec))
    expect(opensslFails('pkcs12', '-in', 'pw.pfx', '-noout', '-passin', 'pass:wrong')).toBe(true)
    expect(opensslFails('pkcs12', '-in', 'pw.pfx', '-noout', '-passin', 'pass:')).toBe(true)
  })

  it('keeps a chain: openssl sees the leaf as the client certificate and the CA as a CA certificate', () => {
    openssl('req', '-new', '-key', 'rsa.key', '-subj', '/CN=leaf.contoso.com', '-out', 'leaf.csr')
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'leaf.pem')
    const leaf = new X509Certificate(readFileSync(file('leaf.pem'))).raw
    const ca = new X509Certificate(readFileSync(file('ca.pem'))).raw
    writeFileSync(file('chain.pfx'), writePfx({ key: rsa, chain: [leaf, ca] }))
    expect(openssl('pkcs12', '-in', 'chain.pfx', '-clcerts', '-nokeys', '-passin', 'pass:')).toContain('subject=CN = leaf.contoso.com')
    expect(openssl('pkcs12', '-in', 'chain.pfx', '-cacerts', '-nokeys', '-passin', 'pass:')).toContain('subject=CN = Test CA, O = kvdr')
  })

  it('without a key (a non-exportable certificate\'s secret) holds only certificates', () => {
    writeFileSync(file('nokey.pfx'), writePfx({ chain: [rsaCert] }))
    expect(openssl('pkcs12', '-in', 'nokey.pfx', '-info', '-nodes', '-passin', 'pass:')).not.toContain('PRIVATE KEY')
    expect(readPfx(readFileSync(file('nokey.pfx')))).toMatchObject({ keys: [], certs: [rsaCert] })
  })
})

describe('PFX written by openssl imports', () => {
  it.each([
    ['OpenSSL 3 defaults (PBES2 AES-256, SHA-256 MAC), with a password', ['-passout', 'pass:pw'], 'pw'],
    ['OpenSSL 3 defaults, empty password', ['-passout', 'pass:'], undefined],
    ['-legacy (RC2-40 certificates, 3DES key, SHA-1 MAC)', ['-legacy', '-passout', 'pass:pw'], 'pw'],
    ['no encryption and no MAC', ['-keypbe', 'NONE', '-certpbe', 'NONE', '-nomac', '-passout', 'pass:'], undefined],
  ])('%s', (name, args, password) => {
    const out = `${name.replace(/\W+/g, '-')}.pfx`
    openssl('pkcs12', '-export', '-inkey', 'rsa.key', '-in', 'rsa.pem', '-out', out, ...args)
    const imported = importCertificate({ value: readFileSync(file(out)).toString('base64'), ...(password ? { password } : {}) })
    expect(spki(imported.key)).toBe(spki(rsa))
    expect(imported.chain).toEqual([rsaCert])
    expect(imported.contentType).toBe('application/x-pkcs12')
    expect(imported.policy.x509_props.subject).toBe('CN=rsa.contoso.com')
    expect(imported.policy.key_props).toEqual({ exportable: true, kty: 'RSA', key_size: 2048, reuse_key: false })
  })

  it('an EC key with its CA: leaf first, then the CA, derived policy with the curve', () => {
    openssl('req', '-new', '-key', 'other.key', '-subj', '/CN=ec-leaf.contoso.com', '-addext', 'subjectAltName=DNS:ec-leaf.contoso.com,IP:192.0.2.7', '-out', 'ec-leaf.csr')
    openssl('x509', '-req', '-in', 'ec-leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-copy_extensions', 'copy', '-out', 'ec-leaf.pem')
    openssl('pkcs12', '-export', '-inkey', 'other.key', '-in', 'ec-leaf.pem', '-certfile', 'ca.pem', '-out', 'ec-chain.pfx', '-passout', 'pass:x')
    const imported = importCertificate({ value: readFileSync(file('ec-chain.pfx')).toString('base64'), password: 'x' })
    expect(imported.chain.map(subjectOf)).toEqual(['CN=ec-leaf.contoso.com', 'CN=Test CA\nO=kvdr'])
    expect(imported.policy.key_props).toEqual({ exportable: true, kty: 'EC', key_size: 256, reuse_key: false, crv: 'P-256' })
    expect(imported.policy.x509_props.sans).toEqual({ dns_names: ['ec-leaf.contoso.com'], ipAddresses: ['192.0.2.7'] })
    expect(imported.policy.issuer).toEqual({ name: 'Unknown' })
  })

  it('keeps the sent policy\'s exportable, reuse_key, lifetime actions and issuer', () => {
    const imported = importCertificate({
      value: writePfx({ key: rsa, chain: [rsaCert] }).toString('base64'),
      policy: { key_props: { exportable: false, reuse_key: true }, lifetime_actions: [{ trigger: { days_before_expiry: 30 }, action: { action_type: 'EmailContacts' } }], issuer: { name: 'Self' } },
    })
    expect(imported.policy.key_props).toMatchObject({ exportable: false, reuse_key: true })
    expect(imported.policy.lifetime_actions).toEqual([{ trigger: { days_before_expiry: 30 }, action: { action_type: 'EmailContacts' } }])
    expect(imported.policy.issuer).toEqual({ name: 'Self' })
  })
})

describe('PFX refusals, worded as Key Vault words them', () => {
  beforeAll(() => {
    openssl('pkcs12', '-export', '-inkey', 'rsa.key', '-in', 'rsa.pem', '-out', 'protected.pfx', '-passout', 'pass:right')
    openssl('pkcs12', '-export', '-nokeys', '-in', 'rsa.pem', '-out', 'certonly.pfx', '-passout', 'pass:')
  })
  const protectedPfx = (): string => readFileSync(file('protected.pfx')).toString('base64')

  it.each([
    ['a wrong password', (): unknown => importCertificate({ value: protectedPfx(), password: 'wrong' }), Messages.pfxUnreadable],
    ['no password for a protected file', (): unknown => importCertificate({ value: protectedPfx() }), Messages.pfxUnreadable],
    ['bytes that are not a PFX', (): unknown => importCertificate({ value: Buffer.from('not a pfx at all').toString('base64') }), Messages.pfxUnreadable],
    ['text that is not base64', (): unknown => importCertificate({ value: '-----BEGIN CERTIFICATE-----' }), Messages.pfxUnreadable],
    ['a PFX without a key', (): unknown => importCertificate({ value: readFileSync(file('certonly.pfx')).toString('base64') }), Messages.noCertificateWithKey],
    ['a key that belongs to none of the certificates', (): unknown => importCertificate({ value: writePfx({ key: other, chain: [rsaCert] }).toString('base64') }), Messages.noCertificateWithKey],
  ])('%s', (_name, fn, message) => {
    const err = badParameter(fn)
    expect(err.message).toBe(message)
    expect(err.status).toBe(400)
    expect(err.keyVaultCode).toBe('BadParameter')
  })

  it('refuses an absurd iteration count instead of spinning on it', () => {
    const [version, authSafe, macData] = items(decode(writePfx({ key: rsa, chain: [rsaCert] })))
    const [mac, salt] = items(macData)
    const hostile = seq((version as Asn1).raw, (authSafe as Asn1).raw, seq((mac as Asn1).raw, (salt as Asn1).raw, int(2_000_000_000)))
    expect(badParameter(() => readPfx(hostile)).message).toBe(Messages.pfxUnreadable)
  })

  it('never puts the password in the error', () => {
    const err = badParameter(() => importCertificate({ value: protectedPfx(), password: 'Sup3r-Secret-Value' }))
    expect(JSON.stringify({ ...err.toJSON(), cause: String(err.cause) })).not.toContain('Sup3r-Secret-Value')
  })
})

describe('PEM', () => {
  it('written by the library: PKCS#8 key then certificates, which node:crypto and openssl load', () => {
    const text = writePem({ key: ec, chain: [ecCert, rsaCert] })
    expect(text).toMatch(/^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n/)
    expect(text.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2)
    expect(text.endsWith('-----END CERTIFICATE-----\n')).toBe(true)
    expect(spki(createPrivateKey(text))).toBe(spki(ec))
    expect(new X509Certificate(text).raw.equals(ecCert)).toBe(true)
    writeFileSync(file('bundle.pem'), text)
    expect(openssl('pkey', '-in', 'bundle.pem', '-noout', '-text')).toContain('NIST CURVE: P-384')
    expect(openssl('x509', '-in', 'bundle.pem', '-noout', '-subject')).toContain('CN = ec.contoso.com')
  })

  const pemImport = (value: string, extra: { password?: string; preserveCertOrder?: boolean } = {}): ReturnType<typeof importCertificate> =>
    importCertificate({ value, policy: { secret_props: { contentType: 'application/x-pem-file' } }, ...extra })

  it.each([
    ['RSA', ['-newkey', 'rsa:2048'], 'RSA', 2048],
    ['EC P-521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'], 'EC', 521],
  ])('written by openssl req -x509 (%s) imports', (name, newkey, kty, size) => {
    const base = name.replace(/\W+/g, '')
    openssl('req', '-x509', ...newkey, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`, '-subj', `/CN=${base}.example/O=Example`, '-days', '365')
    const text = readFileSync(file(`${base}.key`), 'utf8') + readFileSync(file(`${base}.pem`), 'utf8')
    const imported = pemImport(text)
    expect(spki(imported.key)).toBe(spki(createPrivateKey(readFileSync(file(`${base}.key`)))))
    expect(imported.policy.x509_props.subject).toBe(`O=Example, CN=${base}.example`)
    expect(imported.policy.key_props).toMatchObject({ kty, key_size: size })
    expect(imported.policy.x509_props.validity_months).toBe(12)
    expect(imported.policy.secret_props.contentType).toBe('application/x-pem-file')
    expect(pemImport(text.replace(/\n/g, '\r\n')).leaf.x5t).toBe(imported.leaf.x5t)
    expect(pemImport(Buffer.from(text).toString('base64')).leaf.x5t).toBe(imported.leaf.x5t)
  })

  it('an encrypted PKCS#8 key (openssl pkcs8 -topk8 -v2 aes-256-cbc) imports with its password only', () => {
    openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', 'rsa.key', '-passout', 'pass:pem-pw', '-out', 'rsa.enc.key')
    const text = readFileSync(file('rsa.enc.key'), 'utf8') + readFileSync(file('rsa.pem'), 'utf8')
    expect(text).toContain('BEGIN ENCRYPTED PRIVATE KEY')
    expect(spki(pemImport(text, { password: 'pem-pw' }).key)).toBe(spki(rsa))
    expect(badParameter(() => pemImport(text)).message).toBe(Messages.pemUnexpectedFormat)
    expect(badParameter(() => pemImport(text, { password: 'wrong' })).message).toBe(Messages.pemUnexpectedFormat)
  })

  it('puts the leaf first unless asked to preserve the order', () => {
    openssl('req', '-new', '-key', 'rsa.key', '-subj', '/CN=leaf2.contoso.com', '-out', 'leaf2.csr')
    openssl('x509', '-req', '-in', 'leaf2.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'leaf2.pem')
    const text = readFileSync(file('ca.pem'), 'utf8') + readFileSync(file('rsa.key'), 'utf8') + readFileSync(file('leaf2.pem'), 'utf8')
    expect(pemImport(text).chain.map(subjectOf)).toEqual(['CN=leaf2.contoso.com', 'CN=Test CA\nO=kvdr'])
    expect(pemImport(text, { preserveCertOrder: true }).chain.map(subjectOf)).toEqual(['CN=Test CA\nO=kvdr', 'CN=leaf2.contoso.com'])
  })

  it.each([
    ['a PKCS#1 RSA key (Key Vault wants PKCS#8)', (): string => openssl('pkey', '-in', 'rsa.key', '-traditional') + readFileSync(file('rsa.pem'), 'utf8'), Messages.pemUnexpectedFormat],
    ['no key', (): string => readFileSync(file('rsa.pem'), 'utf8'), Messages.pemNoKey],
    ['a key for another certificate', (): string => readFileSync(file('other.key'), 'utf8') + readFileSync(file('rsa.pem'), 'utf8'), Messages.noCertificateWithKey],
    ['a key and no certificate', (): string => readFileSync(file('rsa.key'), 'utf8'), Messages.noCertificateWithKey],
    ['text without PEM blocks', (): string => 'hello', Messages.pemUnexpectedFormat],
    ['a block with bad base64', (): string => '-----BEGIN CERTIFICATE-----\nno*base64\n-----END CERTIFICATE-----\n', Messages.pemUnexpectedFormat],
  ])('refuses %s', (_name, text, message) => {
    expect(text()).not.toBe('')
    expect(badParameter(() => pemImport(text())).message).toBe(message)
  })
})

describe('merge', () => {
  let leaf: Buffer
  let ca: Buffer
  const pendingPolicy = policy('CN=pending.contoso.com', { key_props: { kty: 'EC', crv: 'P-256' }, issuer: { name: 'Unknown' }, x509_props: { subject: 'CN=pending.contoso.com', sans: { dns_names: ['pending.contoso.com'] } } })

  beforeAll(() => {
    writeFileSync(file('pending.csr'), createCsr({ policy: pendingPolicy, key: other }))
    openssl('x509', '-req', '-inform', 'DER', '-in', 'pending.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '90', '-copy_extensions', 'copy', '-outform', 'DER', '-out', 'pending.cer')
    leaf = readFileSync(file('pending.cer'))
    ca = new X509Certificate(readFileSync(file('ca.pem'))).raw
  })

  it('takes the chain a CA signed for the pending CSR, leaf first whatever the order given', () => {
    const b64 = (d: Buffer): string => d.toString('base64')
    for (const x5c of [[b64(leaf), b64(ca)], [b64(ca), b64(leaf)]]) {
      const merged = mergeCertificate(x5c, other)
      expect(merged.chain).toEqual([leaf, ca])
      expect(merged.leaf.subject).toBe('CN=pending.contoso.com')
      expect(merged.leaf.sans).toEqual({ dns_names: ['pending.contoso.com'] })
    }
  })

  it('accepts base64 of PEM text (one entry with both certificates) and a public key', () => {
    const x5c = [Buffer.from(pemOf(leaf) + pemOf(ca)).toString('base64')]
    expect(mergeCertificate(x5c, createPublicKey(other)).chain).toEqual([leaf, ca])
  })

  it.each([
    ['a chain for another key pair', (): string[] => [rsaCert.toString('base64')], Messages.mergeNoLeaf],
    ['an entry that is not a certificate', (): string[] => [Buffer.from('not a certificate').toString('base64')], Messages.mergeNoLeaf],
    ['an empty x5c', (): string[] => [], Messages.mergeEmpty],
  ])('refuses %s', (_name, x5c, message) => {
    expect(badParameter(() => mergeCertificate(x5c(), other)).message).toBe(message)
  })
})

describe("a certificate's secret value", () => {
  it('PKCS#12: base64 of a password-less PFX openssl opens', () => {
    const value = certificateSecretValue({ key: rsa, chain: [rsaCert] }, 'application/x-pkcs12')
    writeFileSync(file('secret.pfx'), Buffer.from(value, 'base64'))
    expect(openssl('pkcs12', '-in', 'secret.pfx', '-nodes', '-passin', 'pass:')).toContain('BEGIN PRIVATE KEY')
    const back = readCertificateSecret(value, 'application/x-pkcs12')
    expect(spki(back.key as KeyObject)).toBe(spki(rsa))
    expect(back.chain).toEqual([rsaCert])
  })

  it('PEM: the PEM bundle; without the key for a non-exportable certificate', () => {
    expect(certificateSecretValue({ key: ec, chain: [ecCert] }, 'application/x-pem-file')).toBe(writePem({ key: ec, chain: [ecCert] }))
    const value = certificateSecretValue({ chain: [ecCert] }, 'application/x-pem-file')
    expect(value).not.toContain('PRIVATE KEY')
    expect(readCertificateSecret(value, 'application/x-pem-file')).toEqual({ chain: [ecCert] })
  })

  it('converts between the two content types', () => {
    const pfx = certificateSecretValue({ key: ec, chain: [ecCert] }, 'application/x-pkcs12')
    const asPem = certificateSecretValue(readCertificateSecret(pfx, 'application/x-pkcs12'), 'application/x-pem-file')
    expect(asPem).toBe(writePem({ key: ec, chain: [ecCert] }))
  })
})
