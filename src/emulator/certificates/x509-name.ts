/**
 * X.500 distinguished names the way Key Vault (Windows CertStrToName / .NET X500DistinguishedName) reads and
 * writes them: "CN=leaf, O=Org, C=US" lists the RDNs most-specific first, the DER holds them in reverse.
 */
import { at, items, readOid, readString, seq, set, type Asn1, ia5, oid, printable, utf8, Tag } from './x509-der.js'
import { BadParameterError, Messages } from './x509-errors.js'

/** One attribute of an RDN. */
export interface NameAttribute {
  oid: string
  value: string
}

/** A distinguished name: RDNs in DER order (most general first), each a set of attributes. */
export type DistinguishedName = NameAttribute[][]

interface AttrSpec {
  oid: string
  /** The short name Key Vault prints. */
  name: string
  /** Other names accepted on input (case-insensitive). */
  aliases: string[]
  /** How the value is encoded: PrintableString when it fits (else UTF8String), or always IA5String. */
  encoding: 'printable' | 'ia5'
}

const ATTRS: AttrSpec[] = [
  { oid: '2.5.4.3', name: 'CN', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.4', name: 'SN', aliases: ['SURNAME'], encoding: 'printable' },
  { oid: '2.5.4.5', name: 'SERIALNUMBER', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.6', name: 'C', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.7', name: 'L', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.8', name: 'S', aliases: ['ST'], encoding: 'printable' },
  { oid: '2.5.4.9', name: 'STREET', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.10', name: 'O', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.11', name: 'OU', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.12', name: 'T', aliases: ['TITLE'], encoding: 'printable' },
  { oid: '2.5.4.13', name: 'Description', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.17', name: 'PostalCode', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.18', name: 'POBox', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.20', name: 'Phone', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.24', name: 'X21Address', aliases: [], encoding: 'printable' },
  { oid: '2.5.4.42', name: 'G', aliases: ['GN', 'GIVENNAME'], encoding: 'printable' },
  { oid: '2.5.4.43', name: 'I', aliases: ['INITIALS'], encoding: 'printable' },
  { oid: '2.5.4.46', name: 'dnQualifier', aliases: [], encoding: 'printable' },
  { oid: '1.2.840.113549.1.9.1', name: 'E', aliases: ['EMAIL', 'EMAILADDRESS'], encoding: 'ia5' },
  { oid: '0.9.2342.19200300.100.1.25', name: 'DC', aliases: [], encoding: 'ia5' },
  { oid: '0.9.2342.19200300.100.1.1', name: 'UID', aliases: [], encoding: 'printable' },
]

const BY_NAME = new Map<string, AttrSpec>()
for (const a of ATTRS) for (const n of [a.name, ...a.aliases]) BY_NAME.set(n.toUpperCase(), a)
const BY_OID = new Map(ATTRS.map((a) => [a.oid, a]))

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/
const SEPARATORS = new Set([',', ';', '+'])

function invalid(): BadParameterError {
  return new BadParameterError(Messages.invalidSubject, {
    hint: 'Write the subject as comma-separated KEY=value pairs, e.g. "CN=www.contoso.com, O=Contoso, C=US"; quote values that contain commas: O="Contoso, Ltd.".',
  })
}

function keyToOid(key: string): string {
  const spec = BY_NAME.get(key.toUpperCase())
  if (spec) return spec.oid
  const m = key.match(/^(?:OID\.)?([0-2](?:\.\d+)+)$/i)
  if (m) return m[1] as string
  throw invalid()
}

/**
 * Parse a policy subject ("CN=a, O=b", separators `,` or `;`, `+` joins a multi-valued RDN, values may be
 * double-quoted with `""` for a quote). Returns the RDNs in DER order. Throws BadParameterError
 * ("Invalid X.500 distinguished name") on anything else.
 */
export function parseSubject(text: string): DistinguishedName {
  const rdns: NameAttribute[][] = []
  let current: NameAttribute[] = []
  let i = 0
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++
  }
  for (;;) {
    skipSpace()
    const eq = text.indexOf('=', i)
    if (eq < 0) throw invalid()
    const key = text.slice(i, eq).trim()
    if (!key || /[,;+"]/.test(key)) throw invalid()
    const attrOid = keyToOid(key)
    i = eq + 1
    skipSpace()
    let value = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) throw invalid()
        const c = text[i] as string
        if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"'
            i += 2
            continue
          }
          i++
          break
        }
        value += c
        i++
      }
      skipSpace()
    } else {
      const start = i
      while (i < text.length && !SEPARATORS.has(text[i] as string)) i++
      value = text.slice(start, i).trim()
      if (value.includes('"')) throw invalid()
    }
    if (!value) throw invalid()
    current.push({ oid: attrOid, value })
    if (i >= text.length) break
    const sep = text[i] as string
    if (!SEPARATORS.has(sep)) throw invalid()
    i++
    if (sep !== '+') {
      rdns.push(current)
      current = []
    }
  }
  rdns.push(current)
  return rdns.reverse()
}

function encodeValue(a: NameAttribute): Buffer {
  const spec = BY_OID.get(a.oid)
  if (spec?.encoding === 'ia5' && Buffer.from(a.value, 'utf8').every((c) => c < 0x80)) return ia5(a.value)
  return PRINTABLE.test(a.value) ? printable(a.value) : utf8(a.value)
}

/** DER Name (SEQUENCE OF RDN) for `dn`. */
export function encodeName(dn: DistinguishedName): Buffer {
  return seq(...dn.map((rdn) => set(...rdn.map((a) => seq(oid(a.oid), encodeValue(a))))))
}

/** Read a DER Name. Throws Asn1Error when malformed. */
export function decodeName(node: Asn1): DistinguishedName {
  return items(node).map((rdn) =>
    items(rdn, Tag.Set).map((atv) => {
      const parts = items(atv)
      return { oid: readOid(at(parts, 0)), value: readString(at(parts, 1)) }
    }),
  )
}

function quoteIfNeeded(v: string): string {
  if (v === '' || /[,+="\n<>#;]/.test(v) || /^\s|\s$/.test(v)) return `"${v.replace(/"/g, '""')}"`
  return v
}

/** Key Vault's text form of a name: most-specific RDN first, ", " between RDNs, " + " inside one. */
export function formatName(dn: DistinguishedName): string {
  return [...dn]
    .reverse()
    .map((rdn) => rdn.map((a) => `${BY_OID.get(a.oid)?.name ?? `OID.${a.oid}`}=${quoteIfNeeded(a.value)}`).join(' + '))
    .join(', ')
}
