/** A throwaway self-signed certificate for 127.0.0.1/localhost, for test servers that must speak https. */
import forge from 'node-forge'

export interface TestCertificate {
  /** PEM certificate (also the CA to trust). */
  cert: string
  /** PEM private key. */
  key: string
}

/** Generate a self-signed RSA certificate valid for one day for 127.0.0.1 and localhost. */
export function selfSignedCertificate(): TestCertificate {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 })
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = `01${Date.now().toString(16)}`
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 86_400_000)
  const attrs = [{ name: 'commonName', value: '127.0.0.1' }]
  cert.setSubject(attrs)
  cert.setIssuer(attrs)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) }
}
