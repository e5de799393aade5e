/**
 * TLS for the emulator: a local CA created once per data directory (and reused), and a server certificate signed
 * by it whose SANs cover localhost, 127.0.0.1, ::1, *.vault.azure.net and any configured host names (kept per set
 * of names). Keys are RSA-2048 made with node:crypto (fast); certificates are built with node-forge.
 */
import { createHash, generateKeyPair as generateKeyPairCb, randomBytes, sign, X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import forge from 'node-forge'
import { ensureDataDir, readOrCreate, writeShared } from './data-dir.js'

const generateKeyPair = promisify(generateKeyPairCb)

export interface TlsMaterial {
  /** The CA certificate clients must trust (PEM). */
  caPem: string
  /** `<dataDir>/ca.pem`, for NODE_EXTRA_CA_CERTS. */
  caPath: string
  /** Server private key and certificate (PEM). */
  keyPem: string
  certPem: string
}

/** DNS names every server certificate covers. */
export const BUILTIN_DNS_NAMES = ['localhost', '*.vault.azure.net']
/** IP addresses every server certificate covers. */
export const BUILTIN_IPS = ['127.0.0.1', '::1']

const CA_SUBJECT = [
  { name: 'commonName', value: 'kvdr Key Vault emulator local CA' },
  { name: 'organizationName', value: 'kvdr emulator' },
]

async function newRsaKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 })
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/** Sign `cert` with sha256WithRSAEncryption using node:crypto (node-forge's pure-JS RSA takes ~0.3 s per signature). */
function signCertificate(cert: forge.pki.Certificate, signerKeyPem: string): void {
  const c = cert as forge.pki.Certificate & { tbsCertificate: forge.asn1.Asn1 }
  c.signatureOid = forge.pki.oids.sha256WithRSAEncryption as string
  c.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption as string
  c.tbsCertificate = (forge.pki as unknown as { getTBSCertificate(x: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(c)
  const tbs = Buffer.from(forge.asn1.toDer(c.tbsCertificate).getBytes(), 'binary')
  c.signature = sign('sha256', tbs, signerKeyPem).toString('binary')
}

function serial(): string {
  const b = randomBytes(16)
  b[0] = (b[0] as number) & 0x7f // positive
  return b.toString('hex')
}

async function createCaBundle(): Promise<string> {
  const keyPem = await newRsaKeyPem()
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(Date.now() - 86_400_000)
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000)
  cert.setSubject(CA_SUBJECT)
  cert.setIssuer(CA_SUBJECT)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  signCertificate(cert, keyPem)
  return `${keyPem}${forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n')}`
}

function splitBundle(bundle: string): { keyPem: string; certPem: string } {
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(bundle)
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(bundle)
  if (!key || !cert) throw new Error('the CA bundle in the emulator data directory is damaged; delete ca.bundle.pem and ca.pem to create a new CA')
  return { keyPem: key[0], certPem: cert[0] }
}

/**
 * Load (or create once) the CA in `dataDir`, write `ca.pem`, and issue a server certificate for the built-in names
 * plus `extraDnsNames`.
 */
export async function prepareTls(dataDir: string, extraDnsNames: readonly string[]): Promise<TlsMaterial> {
  await ensureDataDir(dataDir)
  const [bundle, keyPem] = await Promise.all([readOrCreate(join(dataDir, 'ca.bundle.pem'), createCaBundle), readOrCreate(join(dataDir, 'server.key.pem'), newRsaKeyPem)])
  const ca = splitBundle(bundle)
  const caPath = join(dataDir, 'ca.pem')
  await writeShared(caPath, ca.certPem)

  const dns = [...new Set([...BUILTIN_DNS_NAMES, ...extraDnsNames.map((h) => h.toLowerCase())])].sort()
  // Signing in pure JS is slow; a certificate for the same CA, key and names is kept and reused until near expiry.
  const id = createHash('sha256').update(ca.certPem).update(keyPem).update(dns.join(',')).digest('hex').slice(0, 16)
  const certPath = join(dataDir, `server-${id}.cert.pem`)
  let certPem = await readOrCreate(certPath, () => issueServerCert(ca, keyPem, dns))
  if (new Date(new X509Certificate(certPem).validTo).getTime() - Date.now() < 30 * 86_400_000) {
    certPem = issueServerCert(ca, keyPem, dns)
    await writeShared(certPath, certPem)
  }
  return { caPem: ca.certPem, caPath, keyPem, certPem }
}

function issueServerCert(ca: { keyPem: string; certPem: string }, keyPem: string, dns: readonly string[]): string {
  const caCert = forge.pki.certificateFromPem(ca.certPem)
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(Date.now() - 86_400_000)
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000)
  cert.setSubject([{ name: 'commonName', value: 'localhost' }])
  cert.setIssuer(caCert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2, value })), ...BUILTIN_IPS.map((ip) => ({ type: 7, ip }))] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ])
  signCertificate(cert, ca.keyPem)
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n')
}
