/** PEM bundles as Key Vault stores and imports them: a PKCS#8 private key followed by the certificates. */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { BadParameterError, Messages } from './x509-errors.js'

/** What a PEM bundle holds. */
export interface PemContents {
  /** Private keys, in text order. */
  keys: KeyObject[]
  /** DER certificates, in text order. */
  certs: Buffer[]
}

/** One PEM block for DER bytes: 64-character lines, LF line ends. */
function pemBlock(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64')
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}(?=.)/g, '$&\n')}\n-----END ${label}-----\n`
}

/**
 * Key Vault's PEM secret value: `-----BEGIN PRIVATE KEY-----` (unencrypted PKCS#8) when there is a key,
 * then one `CERTIFICATE` block per chain entry, leaf first; LF line ends, trailing newline.
 */
export function writePem(input: { key?: KeyObject; chain: Uint8Array[] }): string {
  const key = input.key ? pemBlock('PRIVATE KEY', input.key.export({ type: 'pkcs8', format: 'der' })) : ''
  return key + input.chain.map((c) => pemBlock('CERTIFICATE', c)).join('')
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g

function unexpected(hint?: string, cause?: unknown): BadParameterError {
  return new BadParameterError(Messages.pemUnexpectedFormat, { ...(hint ? { hint } : {}), ...(cause === undefined ? {} : { cause }) })
}

/**
 * Read the blocks of a PEM bundle (CRLF or LF). Keys must be PKCS#8: `PRIVATE KEY`, or `ENCRYPTED PRIVATE
 * KEY` opened with `password`. Other block types are skipped. Throws BadParameterError with Key Vault's
 * "unexpected format" message for text without PEM blocks, bad base64, a PKCS#1/SEC1 key (the service
 * accepts only PKCS#8), or an encrypted key without the right password.
 */
export function readPem(text: string, password?: string): PemContents {
  const out: PemContents = { keys: [], certs: [] }
  let blocks = 0
  for (const m of text.replace(/\r\n?/g, '\n').matchAll(BLOCK)) {
    blocks++
    const label = m[1] as string
    if (label === 'RSA PRIVATE KEY' || label === 'EC PRIVATE KEY') {
      throw unexpected('Key Vault accepts only PKCS#8 keys: convert with `openssl pkcs8 -topk8 -nocrypt -in key.pem`.')
    }
    const body = (m[2] as string).replace(/\s+/g, '')
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw unexpected()
    const der = Buffer.from(body, 'base64')
    switch (label) {
      case 'CERTIFICATE':
        out.certs.push(der)
        break
      case 'PRIVATE KEY':
        try {
          out.keys.push(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }))
        } catch (err) {
          throw unexpected(undefined, err)
        }
        break
      case 'ENCRYPTED PRIVATE KEY':
        if (!password) throw unexpected('The private key is encrypted: send its password as pwd.')
        try {
          out.keys.push(createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: password }))
        } catch (err) {
          throw unexpected('The private key could not be decrypted: check the password sent as pwd.', err)
        }
        break
    }
  }
  if (blocks === 0) throw unexpected()
  return out
}
