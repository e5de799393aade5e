/**
 * Key Vault certificate policies in their wire form (snake_case JSON): the defaults the service fills in on
 * create, validation of the fields the certificate library consumes, and the policy derived for an import.
 */
import { invalidProperty } from './x509-errors.js'
import type { CurveName, KeyShape } from './x509-keys.js'
import { parseSubject } from './x509-name.js'
import { parseIpAddress } from './x509-san.js'

export const CONTENT_TYPE_PKCS12 = 'application/x-pkcs12'
export const CONTENT_TYPE_PEM = 'application/x-pem-file'
export type SecretContentType = typeof CONTENT_TYPE_PKCS12 | typeof CONTENT_TYPE_PEM

/** The KeyUsageType enum, in X.509 bit order (bit 0 = digitalSignature). */
export const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const
export type KeyUsageName = (typeof KEY_USAGES)[number]

/** serverAuth, clientAuth: the EKUs Key Vault puts in a policy that names none. */
export const DEFAULT_EKUS = ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']

export interface KeyProperties {
  exportable?: boolean
  kty?: string
  key_size?: number
  reuse_key?: boolean
  crv?: string
}

export interface SecretProperties {
  contentType?: string
}

export interface SubjectAlternativeNames {
  emails?: string[]
  dns_names?: string[]
  upns?: string[]
  uris?: string[]
  ipAddresses?: string[]
}

export interface X509Properties {
  subject?: string
  sans?: SubjectAlternativeNames
  ekus?: string[]
  key_usage?: string[]
  validity_months?: number
  basic_constraints?: { ca: boolean }
}

export interface LifetimeAction {
  trigger?: { lifetime_percentage?: number; days_before_expiry?: number }
  action?: { action_type?: string }
}

export interface IssuerParameters {
  name?: string
  cty?: string
  cert_transparency?: boolean
}

/** A CertificatePolicy as sent on the wire (every part optional). */
export interface CertificatePolicy {
  id?: string
  key_props?: KeyProperties
  secret_props?: SecretProperties
  x509_props?: X509Properties
  lifetime_actions?: LifetimeAction[]
  issuer?: IssuerParameters
  attributes?: Record<string, unknown>
}

/** A policy with Key Vault's defaults filled in: what the service stores and returns. */
export interface CompletePolicy extends CertificatePolicy {
  key_props: { exportable: boolean; kty: 'RSA' | 'RSA-HSM' | 'EC' | 'EC-HSM'; key_size: number; reuse_key: boolean; crv?: CurveName }
  secret_props: { contentType: SecretContentType }
  x509_props: {
    subject: string
    sans?: SubjectAlternativeNames
    ekus: string[]
    key_usage: KeyUsageName[]
    validity_months: number
    /** Always set on create; on import only when the certificate has the extension. */
    basic_constraints?: { ca: boolean }
  }
  lifetime_actions: LifetimeAction[]
  issuer: IssuerParameters & { name: string }
}

const RSA_SIZES = [2048, 3072, 4096]
const CURVE_BITS: Record<CurveName, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521, 'P-256K': 256 }
const CURVE_FOR_SIZE: Record<number, CurveName> = { 256: 'P-256', 384: 'P-384', 521: 'P-521' }
const OID_RE = /^[0-2](\.\d+)+$/

function completeKeyProps(k: KeyProperties): CompletePolicy['key_props'] {
  const kty = k.kty ?? 'RSA'
  const common = { exportable: k.exportable ?? true, reuse_key: k.reuse_key ?? false }
  if (kty === 'RSA' || kty === 'RSA-HSM') {
    if (k.crv !== undefined) throw invalidProperty('policy.key_props.crv', 'A curve applies only to EC keys.')
    const key_size = k.key_size ?? 2048
    if (!RSA_SIZES.includes(key_size)) throw invalidProperty('policy.key_props.key_size', `RSA key size must be one of ${RSA_SIZES.join(', ')}.`)
    return { exportable: common.exportable, kty, key_size, reuse_key: common.reuse_key }
  }
  if (kty === 'EC' || kty === 'EC-HSM') {
    const crv = (k.crv ?? (k.key_size === undefined ? 'P-256' : CURVE_FOR_SIZE[k.key_size])) as CurveName | undefined
    if (crv === undefined || !(crv in CURVE_BITS)) throw invalidProperty('policy.key_props.crv', 'Curve must be one of P-256, P-384, P-521, P-256K.')
    const key_size = k.key_size ?? CURVE_BITS[crv]
    if (key_size !== CURVE_BITS[crv]) throw invalidProperty('policy.key_props.key_size', `Curve ${crv} has a ${CURVE_BITS[crv]}-bit key.`)
    return { exportable: common.exportable, kty, key_size, reuse_key: common.reuse_key, crv }
  }
  throw invalidProperty('policy.key_props.kty', 'Key type must be one of RSA, RSA-HSM, EC, EC-HSM.')
}

function completeContentType(s: SecretProperties): SecretContentType {
  const ct = s.contentType ?? CONTENT_TYPE_PKCS12
  if (ct !== CONTENT_TYPE_PKCS12 && ct !== CONTENT_TYPE_PEM) {
    throw invalidProperty('policy.secret_props.contentType', `Content type must be ${CONTENT_TYPE_PKCS12} or ${CONTENT_TYPE_PEM}.`)
  }
  return ct
}

function checkStrings(path: string, list: unknown): void {
  if (list === undefined) return
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s.trim() === '')) throw invalidProperty(path)
}

/** Validate the subject alternative names. Throws BadParameterError naming the bad field. */
function checkSans(sans: SubjectAlternativeNames): void {
  checkStrings('policy.x509_props.sans.emails', sans.emails)
  checkStrings('policy.x509_props.sans.dns_names', sans.dns_names)
  checkStrings('policy.x509_props.sans.upns', sans.upns)
  checkStrings('policy.x509_props.sans.uris', sans.uris)
  checkStrings('policy.x509_props.sans.ipAddresses', sans.ipAddresses)
  for (const [field, list] of [['emails', sans.emails], ['dns_names', sans.dns_names], ['uris', sans.uris]] as const) {
    const bad = (list ?? []).find((s) => !/^[\x21-\x7e]+$/.test(s))
    if (bad !== undefined) throw invalidProperty(`policy.x509_props.sans.${field}`, `"${bad}" must be ASCII without spaces (use punycode for international names).`)
  }
  for (const u of sans.uris ?? []) {
    if (!URL.canParse(u)) throw invalidProperty('policy.x509_props.sans.uris', `"${u}" is not an absolute URI.`)
  }
  for (const ip of sans.ipAddresses ?? []) {
    if (!parseIpAddress(ip)) throw invalidProperty('policy.x509_props.sans.ipAddresses', `"${ip}" is not an IPv4 or IPv6 address.`)
  }
}

function completeX509(x: X509Properties, keyType: string): CompletePolicy['x509_props'] {
  if (typeof x.subject !== 'string' || x.subject.trim() === '') throw invalidProperty('policy.x509_props.subject', 'A subject is required.')
  parseSubject(x.subject)
  if (x.sans !== undefined) checkSans(x.sans)
  const ekus = x.ekus ?? DEFAULT_EKUS
  if (!Array.isArray(ekus) || ekus.some((e) => typeof e !== 'string' || !OID_RE.test(e))) {
    throw invalidProperty('policy.x509_props.ekus', 'Each EKU must be a dotted object identifier such as 1.3.6.1.5.5.7.3.1.')
  }
  // Key Vault's default for RSA is in its responses; for EC keyEncipherment is meaningless (RFC 8813), so EC gets digitalSignature.
  const key_usage = x.key_usage ?? (keyType.startsWith('EC') ? ['digitalSignature'] : ['digitalSignature', 'keyEncipherment'])
  if (!Array.isArray(key_usage) || key_usage.some((u) => !(KEY_USAGES as readonly string[]).includes(u))) {
    throw invalidProperty('policy.x509_props.key_usage', `Key usages must be among ${KEY_USAGES.join(', ')}.`)
  }
  const validity_months = x.validity_months ?? 12
  if (!Number.isInteger(validity_months) || validity_months < 1) {
    throw invalidProperty('policy.x509_props.validity_months', 'Validity must be a whole number of months, at least 1.')
  }
  return {
    subject: x.subject,
    ...(x.sans === undefined ? {} : { sans: x.sans }),
    ekus: [...ekus],
    key_usage: key_usage as KeyUsageName[],
    validity_months,
    basic_constraints: { ca: x.basic_constraints?.ca ?? false },
  }
}

function defaultLifetimeActions(issuerName: string): LifetimeAction[] {
  return [{ trigger: { lifetime_percentage: 80 }, action: { action_type: issuerName === 'Unknown' ? 'EmailContacts' : 'AutoRenew' } }]
}

/**
 * The policy Key Vault stores for a create request: defaults filled in (RSA 2048 exportable, PKCS#12, EKU
 * serverAuth+clientAuth, key usage digitalSignature+keyEncipherment for RSA or digitalSignature for EC,
 * 12 months, CA false, one lifetime action at 80%: AutoRenew, or EmailContacts for issuer Unknown).
 * Idempotent. Pure: `id` and `attributes` pass through untouched. Throws BadParameterError on bad fields.
 */
export function completePolicy(policy: CertificatePolicy): CompletePolicy {
  const issuerName = policy.issuer?.name
  if (typeof issuerName !== 'string' || issuerName === '') throw invalidProperty('policy.issuer.name', 'Name an issuer: Self, Unknown or a configured issuer.')
  const key_props = completeKeyProps(policy.key_props ?? {})
  return {
    ...(policy.id === undefined ? {} : { id: policy.id }),
    key_props,
    secret_props: { contentType: completeContentType(policy.secret_props ?? {}) },
    x509_props: completeX509(policy.x509_props ?? {}, key_props.kty),
    lifetime_actions: policy.lifetime_actions ?? defaultLifetimeActions(issuerName),
    issuer: { ...policy.issuer, name: issuerName },
    ...(policy.attributes === undefined ? {} : { attributes: policy.attributes }),
  }
}

/**
 * Months between nbf and exp as Key Vault reports them for imported certificates: whole calendar months,
 * plus one when the end day-of-month is later than the start's (fits the service's 12 for a
 * 12-month-and-10-minute certificate and 297 for 2015-04-29..2039-12-31).
 */
export function validityMonths(nbf: Date, exp: Date): number {
  const months = (exp.getUTCFullYear() - nbf.getUTCFullYear()) * 12 + exp.getUTCMonth() - nbf.getUTCMonth()
  return Math.max(1, months + (exp.getUTCDate() > nbf.getUTCDate() ? 1 : 0))
}

/** What an imported certificate's policy is derived from. */
export interface ImportedCertificateFacts {
  subject: string
  sans?: SubjectAlternativeNames
  ekus: string[]
  keyUsage: KeyUsageName[]
  basicConstraints?: { ca: boolean }
  notBefore: Date
  notAfter: Date
}

/**
 * The policy Key Vault gives an imported certificate: subject, SANs, EKUs, key usage, validity and basic
 * constraints from the leaf certificate; kty/key_size/crv from its key; the content type of the imported
 * value; issuer Unknown with an EmailContacts action at 80%. From a policy sent with the import, `exportable`,
 * `reuse_key`, `lifetime_actions` and `issuer` are kept. Pure; throws nothing.
 */
export function deriveImportPolicy(cert: ImportedCertificateFacts, key: KeyShape, contentType: SecretContentType, requested: CertificatePolicy = {}): CompletePolicy {
  const kty = key.kty
  const issuer = requested.issuer?.name ? { ...requested.issuer, name: requested.issuer.name } : { name: 'Unknown' }
  const sans = cert.sans && Object.keys(cert.sans).length > 0 ? { sans: cert.sans } : {}
  return {
    key_props: {
      exportable: requested.key_props?.exportable ?? true,
      kty,
      key_size: key.key_size,
      reuse_key: requested.key_props?.reuse_key ?? false,
      ...(key.crv === undefined ? {} : { crv: key.crv }),
    },
    secret_props: { contentType },
    x509_props: {
      subject: cert.subject,
      ...sans,
      ekus: cert.ekus,
      key_usage: cert.keyUsage,
      validity_months: validityMonths(cert.notBefore, cert.notAfter),
      ...(cert.basicConstraints === undefined ? {} : { basic_constraints: cert.basicConstraints }),
    },
    lifetime_actions: requested.lifetime_actions ?? defaultLifetimeActions('Unknown'),
    issuer,
  }
}
