/**
 * Issue certificates the way Key Vault does for issuer `Self`, and build the PKCS#10 request it shows in a
 * pending operation. Synchronous (node:crypto signs in-process). Laid out like the service's own output:
 * v3, 16-byte positive serial, subject = issuer, notBefore 10 minutes before `now`, extensions KU (critical),
 * basic constraints, EKU, SAN, AKI, SKI; the CSR carries KU, EKU, SAN, basic constraints.
 */
import { randomBytes } from 'node:crypto'
import { bitString, bool, explicit, implicit, int, octet, oid, seq, set, time, tlv } from './x509-der.js'
import { describeKey, keyIdentifier, signatureAlgorithm, signWith, spkiDer, toPrivateKey, type CertificateKeyInput } from './x509-keys.js'
import { encodeName, parseSubject } from './x509-name.js'
import { OID } from './x509-oids.js'
import { completePolicy, KEY_USAGES, type CertificatePolicy, type CompletePolicy } from './policy.js'
import { encodeSans } from './x509-san.js'

/** Key Vault backdates notBefore by this much (seen in every recorded certificate). */
export const NOT_BEFORE_SKEW_SECONDS = 600

function extension(id: string, value: Uint8Array, critical = false): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octet(value))
}

/** KeyUsage BIT STRING: named bits, trailing zero bits dropped (DER). */
function keyUsageBits(usages: readonly string[]): Buffer {
  const bits = usages.map((u) => KEY_USAGES.indexOf(u as (typeof KEY_USAGES)[number]))
  const highest = Math.max(...bits)
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1)
  for (const b of bits) bytes[b >> 3] = (bytes[b >> 3] as number) | (0x80 >> (b & 7))
  const lastUsed = highest % 8
  return bitString(bytes, 7 - lastUsed)
}

interface Extensions {
  keyUsage?: Buffer
  basicConstraints: Buffer
  extKeyUsage?: Buffer
  subjectAltName?: Buffer
}

function policyExtensions(x509: CompletePolicy['x509_props']): Extensions {
  const sans = encodeSans(x509.sans)
  return {
    ...(x509.key_usage.length > 0 ? { keyUsage: extension(OID.keyUsage, keyUsageBits(x509.key_usage), true) } : {}),
    basicConstraints: extension(OID.basicConstraints, x509.basic_constraints?.ca ? seq(bool(true)) : seq()),
    ...(x509.ekus.length > 0 ? { extKeyUsage: extension(OID.extKeyUsage, seq(...x509.ekus.map((e) => oid(e)))) } : {}),
    ...(sans ? { subjectAltName: extension(OID.subjectAltName, sans) } : {}),
  }
}

function present(...exts: (Buffer | undefined)[]): Buffer[] {
  return exts.filter((e): e is Buffer => e !== undefined)
}

function checkKeyMatchesPolicy(policy: CompletePolicy, shape: ReturnType<typeof describeKey>): void {
  const kty = policy.key_props.kty.replace(/-HSM$/, '')
  if (kty !== shape.kty || policy.key_props.key_size !== shape.key_size || (policy.key_props.crv ?? undefined) !== shape.crv) {
    throw new TypeError(
      `the key (${shape.kty} ${shape.crv ?? shape.key_size}) does not match the policy's key_props (${policy.key_props.kty} ${policy.key_props.crv ?? policy.key_props.key_size})`,
    )
  }
}

/** Add calendar months in UTC, clamping to the month's last day (as .NET DateTime.AddMonths does). */
export function addMonths(d: Date, months: number): Date {
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth() + months
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()))
}

function serialNumber(): Buffer {
  const b = randomBytes(16)
  b[0] = ((b[0] as number) & 0x7f) || 0x01
  return b
}

function subjectOf(policy: CompletePolicy): Buffer {
  return encodeName(parseSubject(policy.x509_props.subject))
}

/** What issueSelfSigned needs. */
export interface IssueRequest {
  /** The certificate policy (wire form); Key Vault's defaults are applied as in completePolicy. */
  policy: CertificatePolicy
  /** The certificate's key pair; must match the policy's key_props. */
  key: CertificateKeyInput
  /** The emulator clock's time, ms since the epoch: notBefore = now - 10 min, notAfter = now + validity_months. */
  now: number
}

/**
 * A self-signed X.509 v3 certificate (DER) for the policy's subject, SANs, key usage, EKUs and validity,
 * signed sha256WithRSA or ECDSA with the curve's hash (P-256/P-256K: SHA-256, P-384: SHA-384, P-521: SHA-512).
 * Throws BadParameterError for a bad policy and TypeError when the key does not match key_props.
 */
export function issueSelfSigned(req: IssueRequest): Buffer {
  const policy = completePolicy(req.policy)
  const key = toPrivateKey(req.key)
  checkKeyMatchesPolicy(policy, describeKey(key))
  const name = subjectOf(policy)
  const nowSeconds = Math.floor(req.now / 1000)
  const notBefore = new Date((nowSeconds - NOT_BEFORE_SKEW_SECONDS) * 1000)
  const notAfter = addMonths(new Date(nowSeconds * 1000), policy.x509_props.validity_months)
  const ext = policyExtensions(policy.x509_props)
  const keyId = keyIdentifier(key)
  const extensions = present(
    ext.keyUsage,
    ext.basicConstraints,
    ext.extKeyUsage,
    ext.subjectAltName,
    extension(OID.authorityKeyIdentifier, seq(implicit(0, keyId))),
    extension(OID.subjectKeyIdentifier, octet(keyId)),
  )
  const algorithm = signatureAlgorithm(key)
  const tbs = seq(
    explicit(0, int(2)),
    int(serialNumber()),
    algorithm,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spkiDer(key),
    explicit(3, seq(...extensions)),
  )
  return seq(tbs, algorithm, bitString(signWith(key, tbs)))
}

/**
 * A PKCS#10 certificate request (DER) for the policy's subject and the key, asking for the policy's key
 * usage, EKUs, SANs and basic constraints. What Key Vault returns base64-encoded as a pending operation's
 * `csr`. Throws BadParameterError for a bad policy and TypeError when the key does not match key_props.
 */
export function createCsr(req: Omit<IssueRequest, 'now'>): Buffer {
  const policy = completePolicy(req.policy)
  const key = toPrivateKey(req.key)
  checkKeyMatchesPolicy(policy, describeKey(key))
  const ext = policyExtensions(policy.x509_props)
  const requested = present(ext.keyUsage, ext.extKeyUsage, ext.subjectAltName, ext.basicConstraints)
  const attributes = tlv(0xa0, seq(oid(OID.extensionRequest), set(seq(...requested))))
  const info = seq(int(0), subjectOf(policy), spkiDer(key), attributes)
  const algorithm = signatureAlgorithm(key)
  return seq(info, algorithm, bitString(signWith(key, info)))
}
