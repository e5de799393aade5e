/**
 * Self-signed issuance and CSRs, checked with independent parsers: node:crypto X509Certificate and the
 * openssl CLI (x509 -text, verify -check_ss_sig, req -verify, asn1parse).
 */
import { spawnSync } from 'node:child_process'
import { createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BadParameterError,
  certificateFacts,
  completePolicy,
  createCsr,
  issueSelfSigned,
  Messages,
  NODE_CURVE,
  type CertificatePolicy,
  type CurveName,
} from '../../src/emulator/certificates/x509.js'

function openssl(args: string[], input: Buffer | string): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { input })
  return { ok: r.status === 0, out: `${r.stdout.toString()}${r.stderr.toString()}` }
}

const spki = (k: KeyObject): string => (k.type === 'public' ? k : createPublicKey(k)).export({ type: 'spki', format: 'pem' }).toString()
const x509Text = (der: Buffer): string => openssl(['x509', '-inform', 'DER', '-noout', '-text'], der).out
const rfc2253 = (der: Buffer): string => openssl(['x509', '-inform', 'DER', '-noout', '-subject', '-nameopt', 'RFC2253'], der).out.trim()

function badParameter(fn: () => unknown): BadParameterError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(BadParameterError)
    return err as BadParameterError
  }
  throw new Error('expected a BadParameterError')
}

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0)
const RICH: CertificatePolicy = {
  issuer: { name: 'Self' },
  x509_props: {
    subject: 'CN=www.contoso.com, O="Contoso, Ltd.", L=Redmond, S=WA, C=US',
    sans: {
      emails: ['admin@contoso.com'],
      dns_names: ['www.contoso.com', 'contoso.com'],
      upns: ['svc@contoso.com'],
      uris: ['https://contoso.com/app'],
      ipAddresses: ['10.1.2.3', 'fe80::1'],
    },
    ekus: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.3'],
    key_usage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
    validity_months: 13,
  },
}

const CURVES: [CurveName, string][] = [
  ['P-256', 'ecdsa-with-SHA256'],
  ['P-384', 'ecdsa-with-SHA384'],
  ['P-521', 'ecdsa-with-SHA512'],
  ['P-256K', 'ecdsa-with-SHA256'],
]

let rsa: KeyObject
const ec = new Map<CurveName, KeyObject>()
const dir = mkdtempSync(join(tmpdir(), 'kvdr-x509-issue-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

beforeAll(() => {
  rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  for (const [crv] of CURVES) ec.set(crv, generateKeyPairSync('ec', { namedCurve: NODE_CURVE[crv] }).privateKey)
})

type KeyCase = [name: string, key: () => KeyObject, keyProps: { kty?: string; crv?: string }, signature: string, keyLine: string]
describe.each<KeyCase>([
  ['RSA 2048', (): KeyObject => rsa, {}, 'sha256WithRSAEncryption', 'Public-Key: (2048 bit)'],
  ...CURVES.map(([crv, sig]): KeyCase => [`EC ${crv}`, (): KeyObject => ec.get(crv) as KeyObject, { kty: 'EC', crv }, sig, `ASN1 OID: ${NODE_CURVE[crv]}`]),
])('a self-signed %s certificate', (_name, key, keyProps, signature, keyLine) => {
  let der: Buffer
  let x: X509Certificate

  beforeAll(() => {
    der = issueSelfSigned({ policy: { ...RICH, key_props: keyProps }, key: key(), now: NOW })
    x = new X509Certificate(der)
  })

  it('parses with node:crypto: subject = issuer, SANs, validity, public key, self-signature', () => {
    expect(x.subject).toBe(x.issuer)
    expect(x.subject.split('\n')).toEqual(['C=US', 'ST=WA', 'L=Redmond', 'O=Contoso\\, Ltd.', 'CN=www.contoso.com'])
    expect(x.subjectAltName).toBe(
      'email:admin@contoso.com, DNS:www.contoso.com, DNS:contoso.com, othername:UPN:svc@contoso.com, URI:https://contoso.com/app, IP Address:10.1.2.3, IP Address:FE80:0:0:0:0:0:0:1',
    )
    expect(new Date(x.validFrom).getTime()).toBe(NOW - 10 * 60_000)
    expect(new Date(x.validTo).getTime()).toBe(Date.UTC(2027, 1, 28, 12, 0, 0)) // Jan 31 + 13 months, clamped to Feb 28
    expect(spki(x.publicKey)).toBe(spki(key()))
    expect(x.verify(createPublicKey(key()))).toBe(true)
    expect(x.checkIssued(x)).toBe(true) // this policy has keyCertSign
    expect(x.checkPrivateKey(key())).toBe(true)
    expect(x.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/)
  })

  it('shows the asked-for extensions and algorithms in openssl x509 -text', () => {
    const text = x509Text(der)
    expect(text).toContain('Version: 3 (0x2)')
    expect(text).toContain(`Signature Algorithm: ${signature}`)
    expect(text).toContain(keyLine)
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/)
    expect(text).toMatch(/X509v3 Basic Constraints: \n\s+CA:FALSE\n/)
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, Code Signing\n/)
    expect(text).toMatch(
      /X509v3 Subject Alternative Name: \n\s+email:admin@contoso.com, DNS:www.contoso.com, DNS:contoso.com, othername: UPN::svc@contoso.com, URI:https:\/\/contoso.com\/app, IP Address:10.1.2.3, IP Address:FE80:0:0:0:0:0:0:1\n/,
    )
    const ski = text.match(/Subject Key Identifier: \n\s+([0-9A-F:]+)/)?.[1]
    expect(ski).toBeDefined()
    expect(text).toMatch(new RegExp(`Authority Key Identifier: \\n\\s+(keyid:)?${ski}`))
  })

  it('has a self-signature openssl verifies', () => {
    const file = join(dir, `${_name.replace(/\W/g, '')}.pem`)
    writeFileSync(file, x.toString())
    const r = openssl(['verify', '-check_ss_sig', '-CAfile', file, file], '')
    expect(r.out).toContain('OK')
    expect(r.ok).toBe(true)
  })

  it('comes with a CSR openssl verifies, for the same subject, key and extensions', () => {
    const csr = createCsr({ policy: { ...RICH, key_props: keyProps }, key: key() })
    const r = openssl(['req', '-inform', 'DER', '-verify', '-noout', '-text', '-nameopt', 'RFC2253'], csr)
    expect(r.out).toContain('verify OK')
    expect(r.out).toContain('Subject: CN=www.contoso.com,O=Contoso\\, Ltd.,L=Redmond,ST=WA,C=US')
    expect(r.out).toMatch(/Requested Extensions:\n\s+X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/)
    expect(r.out).toContain('othername: UPN::svc@contoso.com')
    expect(openssl(['req', '-inform', 'DER', '-pubkey', '-noout'], csr).out).toBe(spki(key()))
  })
})

describe("Key Vault's defaults", () => {
  it('RSA: digitalSignature + keyEncipherment, serverAuth + clientAuth, no SAN, 12 months', () => {
    const der = issueSelfSigned({ policy: { issuer: { name: 'Self' }, x509_props: { subject: 'CN=defaults' } }, key: rsa, now: NOW })
    const text = x509Text(der)
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/)
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/)
    expect(text).not.toContain('Subject Alternative Name')
    expect(new Date(new X509Certificate(der).validTo).getTime()).toBe(Date.UTC(2027, 0, 31, 12, 0, 0))
  })

  it('EC: digitalSignature only, P-256 when no curve is named', () => {
    const der = issueSelfSigned({ policy: { issuer: { name: 'Self' }, key_props: { kty: 'EC' }, x509_props: { subject: 'CN=ec' } }, key: ec.get('P-256') as KeyObject, now: NOW })
    expect(x509Text(der)).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/)
    expect(completePolicy({ issuer: { name: 'Self' }, key_props: { kty: 'EC-HSM' }, x509_props: { subject: 'CN=ec' } }).key_props).toEqual({
      exportable: true,
      kty: 'EC-HSM',
      key_size: 256,
      reuse_key: false,
      crv: 'P-256',
    })
  })

  it('lifetime action: AutoRenew for Self and named issuers, EmailContacts for Unknown', () => {
    const action = (name: string): unknown => completePolicy({ issuer: { name }, x509_props: { subject: 'CN=x' } }).lifetime_actions
    expect(action('Self')).toEqual([{ trigger: { lifetime_percentage: 80 }, action: { action_type: 'AutoRenew' } }])
    expect(action('my-digicert')).toEqual([{ trigger: { lifetime_percentage: 80 }, action: { action_type: 'AutoRenew' } }])
    expect(action('Unknown')).toEqual([{ trigger: { lifetime_percentage: 80 }, action: { action_type: 'EmailContacts' } }])
  })

  it('a CA policy gets basic constraints CA:TRUE', () => {
    const der = issueSelfSigned({ policy: { issuer: { name: 'Self' }, x509_props: { subject: 'CN=ca', basic_constraints: { ca: true }, key_usage: ['keyCertSign'] } }, key: rsa, now: NOW })
    expect(x509Text(der)).toMatch(/X509v3 Basic Constraints: \n\s+CA:TRUE\n/)
  })
})

describe('subjects, parsed as Key Vault parses them', () => {
  const issue = (subject: string): Buffer =>
    issueSelfSigned({ policy: { issuer: { name: 'Self' }, key_props: { kty: 'EC' }, x509_props: { subject } }, key: ec.get('P-256') as KeyObject, now: NOW })
  const subjectOf = (subject: string): string => rfc2253(issue(subject))

  it.each([
    ['cn=MyCert', 'subject=CN=MyCert'],
    ['CN=a, O=b', 'subject=CN=a,O=b'],
    ['CN=a;OU=x;O=y', 'subject=CN=a,OU=x,O=y'],
    ['CN="a, b", O="""quoted"" Inc"', 'subject=CN=a\\, b,O=\\"quoted\\" Inc'],
    ['  CN = spaced value , C = US ', 'subject=CN=spaced value,C=US'],
    ['E=admin@contoso.com, CN=a', 'subject=emailAddress=admin@contoso.com,CN=a'],
    ['OID.2.5.4.3=by-oid, 2.5.4.10=org', 'subject=CN=by-oid,O=org'],
    ['CN=a + OU=b, O=c', 'subject=OU=b+CN=a,O=c'], // openssl prints a multi-valued RDN's members in reverse
  ])('%s', (subject, expected) => {
    expect(subjectOf(subject)).toBe(expected)
  })

  it.each([
    ['cn=MyCert', 'CN=MyCert'],
    ['CN=a;OU=x;  O=y', 'CN=a, OU=x, O=y'],
    ['CN=www.contoso.com, O="Contoso, Ltd.", L=Redmond, ST=WA, C=US', 'CN=www.contoso.com, O="Contoso, Ltd.", L=Redmond, S=WA, C=US'],
    ['E=admin@contoso.com, CN=a', 'E=admin@contoso.com, CN=a'],
    ['CN=a + OU=b, O=c', 'CN=a + OU=b, O=c'],
  ])('reads %s back as Key Vault writes it: %s', (subject, expected) => {
    expect(certificateFacts(issue(subject)).subject).toBe(expected)
  })

  it('picks PrintableString, UTF8String or IA5String per value, as the service does', () => {
    const asn1 = openssl(['asn1parse', '-inform', 'DER'], issue('CN=*.contoso.com, O=Contoso, E=a@b.c, L=Zürich')).out
    expect(asn1).toMatch(/UTF8STRING\s+:\*\.contoso\.com/)
    expect(asn1).toMatch(/PRINTABLESTRING\s+:Contoso/)
    expect(asn1).toMatch(/IA5STRING\s+:a@b\.c/)
    expect(asn1).toMatch(/UTF8STRING\s+:Z/)
  })

  it.each(['', 'contoso.com', 'CN=', 'XX=a', 'CN="unterminated', 'CN=a"b', 'CN=a,,O=b', '=a'])('refuses %j', (subject) => {
    const err = badParameter(() => completePolicy({ issuer: { name: 'Self' }, x509_props: { subject } }))
    expect(err.message).toMatch(subject === '' ? /^Property policy\.x509_props\.subject has invalid value/ : new RegExp(`^${Messages.invalidSubject.replace(/\./g, '\\.')}$`))
    expect(err.status).toBe(400)
  })
})

describe('policy validation', () => {
  it.each<[string, CertificatePolicy, RegExp]>([
    ['kty', { key_props: { kty: 'oct' } }, /^Property policy\.key_props\.kty has invalid value/],
    ['RSA size', { key_props: { kty: 'RSA', key_size: 1024 } }, /^Property policy\.key_props\.key_size has invalid value/],
    ['curve', { key_props: { kty: 'EC', crv: 'P-192' } }, /^Property policy\.key_props\.crv has invalid value/],
    ['curve on RSA', { key_props: { kty: 'RSA', crv: 'P-256' } }, /^Property policy\.key_props\.crv has invalid value/],
    ['curve size', { key_props: { kty: 'EC', crv: 'P-384', key_size: 256 } }, /^Property policy\.key_props\.key_size has invalid value/],
    ['content type', { secret_props: { contentType: 'text/plain' } }, /^Property policy\.secret_props\.contentType has invalid value/],
    ['IP', { x509_props: { subject: 'CN=a', sans: { ipAddresses: ['10.0.0.256'] } } }, /^Property policy\.x509_props\.sans\.ipAddresses has invalid value/],
    ['URI', { x509_props: { subject: 'CN=a', sans: { uris: ['not a uri'] } } }, /^Property policy\.x509_props\.sans\.uris has invalid value/],
    ['DNS', { x509_props: { subject: 'CN=a', sans: { dns_names: ['bücher.example'] } } }, /^Property policy\.x509_props\.sans\.dns_names has invalid value/],
    ['EKU', { x509_props: { subject: 'CN=a', ekus: ['serverAuth'] } }, /^Property policy\.x509_props\.ekus has invalid value/],
    ['key usage', { x509_props: { subject: 'CN=a', key_usage: ['sign'] } }, /^Property policy\.x509_props\.key_usage has invalid value/],
    ['validity', { x509_props: { subject: 'CN=a', validity_months: 0 } }, /^Property policy\.x509_props\.validity_months has invalid value/],
    ['issuer', { issuer: {}, x509_props: { subject: 'CN=a' } }, /^Property policy\.issuer\.name has invalid value/],
  ])('refuses a bad %s with BadParameter', (_what, policy, message) => {
    const err = badParameter(() => completePolicy({ issuer: { name: 'Self' }, x509_props: { subject: 'CN=a' }, ...policy }))
    expect(err.message).toMatch(message)
    expect(err.keyVaultCode).toBe('BadParameter')
  })

  it('refuses to sign with a key that is not the policy\'s', () => {
    expect(() => issueSelfSigned({ policy: { issuer: { name: 'Self' }, key_props: { kty: 'EC', crv: 'P-384' }, x509_props: { subject: 'CN=a' } }, key: ec.get('P-256') as KeyObject, now: NOW })).toThrow(TypeError)
    expect(() => createCsr({ policy: { issuer: { name: 'Self' }, x509_props: { subject: 'CN=a' } }, key: ec.get('P-256') as KeyObject })).toThrow(TypeError)
  })
})

describe('key inputs', () => {
  it.each([
    ['a PKCS#8 PEM string', (): string => rsa.export({ type: 'pkcs8', format: 'pem' }).toString(), {}],
    ['a node JWK', (): object => rsa.export({ format: 'jwk' }), {}],
    ['a Key Vault JWK (EC-HSM, P-256K, key_ops)', (): object => ({ ...(ec.get('P-256K') as KeyObject).export({ format: 'jwk' }), kty: 'EC-HSM', crv: 'P-256K', key_ops: ['sign', 'verify'] }), { kty: 'EC-HSM', crv: 'P-256K' }],
  ])('accepts %s', (_name, input, keyProps) => {
    const der = issueSelfSigned({ policy: { issuer: { name: 'Self' }, key_props: keyProps, x509_props: { subject: 'CN=a' } }, key: input() as never, now: NOW })
    const expected = 'crv' in keyProps ? (ec.get('P-256K') as KeyObject) : rsa
    expect(spki(new X509Certificate(der).publicKey)).toBe(spki(expected))
  })
})
