/** A small ASN.1 codec: DER encoders for building certificates, and a BER-tolerant decoder for reading them. */

/** Tag classes as they appear in the identifier octet's top two bits. */
export const TagClass = { Universal: 0, Application: 1, Context: 2, Private: 3 } as const

/** Universal tag numbers used by X.509, PKCS#8, PKCS#10 and PKCS#12. */
export const Tag = {
  Boolean: 1,
  Integer: 2,
  BitString: 3,
  OctetString: 4,
  Null: 5,
  Oid: 6,
  Utf8String: 12,
  Sequence: 16,
  Set: 17,
  PrintableString: 19,
  T61String: 20,
  Ia5String: 22,
  UtcTime: 23,
  GeneralizedTime: 24,
  UniversalString: 28,
  BmpString: 30,
} as const

/** One decoded ASN.1 element. */
export interface Asn1 {
  cls: number
  tag: number
  constructed: boolean
  /** Content octets. For a constructed element: the children's encodings, concatenated. */
  value: Buffer
  /** Children of a constructed element (empty for primitives). */
  children: Asn1[]
  /** The whole element as it appeared in the input (identifier, length and content). */
  raw: Buffer
}

/** Thrown by the decoder and the typed readers on malformed input. Callers turn it into a Key Vault error. */
export class Asn1Error extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Asn1Error'
  }
}

// ---------------------------------------------------------------- encoding

function lengthOctets(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

/** Encode one element from its identifier octet and content. */
export function tlv(identifier: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([identifier]), lengthOctets(content.length), content])
}

export function seq(...items: Uint8Array[]): Buffer {
  return tlv(0x30, Buffer.concat(items))
}

/** DER SET OF: elements sorted by their encodings (X.690 11.6). */
export function set(...items: Uint8Array[]): Buffer {
  const sorted = [...items].map((i) => Buffer.from(i)).sort(Buffer.compare)
  return tlv(0x31, Buffer.concat(sorted))
}

/** INTEGER from a bigint, a safe integer, or an unsigned big-endian magnitude. */
export function int(v: bigint | number | Uint8Array): Buffer {
  let bytes: Buffer
  if (typeof v === 'number' || typeof v === 'bigint') {
    let n = BigInt(v)
    if (n < 0n) throw new RangeError('negative INTEGER not supported')
    const out: number[] = []
    do {
      out.unshift(Number(n & 0xffn))
      n >>= 8n
    } while (n > 0n)
    bytes = Buffer.from(out)
  } else {
    bytes = Buffer.from(v)
    let i = 0
    while (i < bytes.length - 1 && bytes[i] === 0) i++
    bytes = bytes.subarray(i)
    if (bytes.length === 0) bytes = Buffer.from([0])
  }
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return tlv(0x02, bytes)
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map((p) => {
    if (!/^\d+$/.test(p)) throw new RangeError(`bad OID ${dotted}`)
    return BigInt(p)
  })
  if (parts.length < 2) throw new RangeError(`bad OID ${dotted}`)
  const arcs = [(parts[0] as bigint) * 40n + (parts[1] as bigint), ...parts.slice(2)]
  const out: number[] = []
  for (const arc of arcs) {
    const chunk: number[] = [Number(arc & 0x7fn)]
    for (let a = arc >> 7n; a > 0n; a >>= 7n) chunk.unshift(Number((a & 0x7fn) | 0x80n))
    out.push(...chunk)
  }
  return tlv(0x06, Buffer.from(out))
}

export function octet(b: Uint8Array): Buffer {
  return tlv(0x04, b)
}

/** BIT STRING whose content is whole octets (`unused` trailing bits in the last octet). */
export function bitString(b: Uint8Array, unused = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), b]))
}

export function nul(): Buffer {
  return Buffer.from([0x05, 0x00])
}

export function bool(b: boolean): Buffer {
  return tlv(0x01, Buffer.from([b ? 0xff : 0x00]))
}

export function utf8(s: string): Buffer {
  return tlv(0x0c, Buffer.from(s, 'utf8'))
}

export function printable(s: string): Buffer {
  return tlv(0x13, Buffer.from(s, 'latin1'))
}

export function ia5(s: string): Buffer {
  return tlv(0x16, Buffer.from(s, 'latin1'))
}

function two(n: number): string {
  return String(n).padStart(2, '0')
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear()
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${two(y % 100)}${rest}`, 'latin1'))
  return tlv(0x18, Buffer.from(`${String(y).padStart(4, '0')}${rest}`, 'latin1'))
}

/** [n] EXPLICIT: a constructed context-specific wrapper around one element. */
export function explicit(n: number, inner: Uint8Array): Buffer {
  return tlv(0xa0 | n, inner)
}

/** [n] IMPLICIT: context-specific tag replacing the element's own (primitive unless `constructed`). */
export function implicit(n: number, content: Uint8Array, constructed = false): Buffer {
  return tlv((constructed ? 0xa0 : 0x80) | n, content)
}

// ---------------------------------------------------------------- decoding

interface Parsed {
  node: Asn1
  end: number
}

function parseAt(buf: Buffer, start: number, depth: number): Parsed {
  if (depth > 64) throw new Asn1Error('ASN.1 nesting too deep')
  let pos = start
  const need = (n: number): void => {
    if (pos + n > buf.length) throw new Asn1Error('truncated ASN.1 element')
  }
  need(2)
  const id = buf[pos++] as number
  const cls = id >> 6
  const constructed = (id & 0x20) !== 0
  let tag = id & 0x1f
  if (tag === 0x1f) {
    tag = 0
    let b: number
    do {
      need(1)
      b = buf[pos++] as number
      tag = tag * 128 + (b & 0x7f)
      if (tag > 0xffffff) throw new Asn1Error('ASN.1 tag too large')
    } while (b & 0x80)
  }
  need(1)
  const first = buf[pos++] as number
  if (first === 0x80) {
    // BER indefinite length (seen in PKCS#12 files from some tools): children until end-of-contents.
    if (!constructed) throw new Asn1Error('indefinite length on a primitive element')
    const children: Asn1[] = []
    const contentStart = pos
    for (;;) {
      need(2)
      if (buf[pos] === 0 && buf[pos + 1] === 0) break
      const child = parseAt(buf, pos, depth + 1)
      children.push(child.node)
      pos = child.end
    }
    const value = buf.subarray(contentStart, pos)
    pos += 2
    return { node: { cls, tag, constructed, value, children, raw: buf.subarray(start, pos) }, end: pos }
  }
  let length = first
  if (first & 0x80) {
    const n = first & 0x7f
    if (n > 4) throw new Asn1Error('ASN.1 length too large')
    need(n)
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + (buf[pos++] as number)
  }
  need(length)
  const value = buf.subarray(pos, pos + length)
  const end = pos + length
  const children: Asn1[] = []
  if (constructed) {
    let p = pos
    while (p < end) {
      const child = parseAt(buf.subarray(0, end), p, depth + 1)
      children.push(child.node)
      p = child.end
    }
  }
  return { node: { cls, tag, constructed, value, children, raw: buf.subarray(start, end) }, end }
}

/** Decode exactly one element filling `input`. Throws Asn1Error on malformed or trailing data. */
export function decode(input: Uint8Array): Asn1 {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const { node, end } = parseAt(buf, 0, 0)
  if (end !== buf.length) throw new Asn1Error('trailing data after ASN.1 element')
  return node
}

// ---------------------------------------------------------------- typed readers

function expectUniversal(n: Asn1, tag: number, what: string): void {
  if (n.cls !== TagClass.Universal || n.tag !== tag) throw new Asn1Error(`expected ${what}`)
}

/** The children of a SEQUENCE (or SET), checking the tag. */
export function items(n: Asn1 | undefined, tag: number = Tag.Sequence): Asn1[] {
  if (!n) throw new Asn1Error('missing element')
  expectUniversal(n, tag, tag === Tag.Set ? 'SET' : 'SEQUENCE')
  return n.children
}

/** Child `i`, or an Asn1Error when it is missing. */
export function at(list: Asn1[], i: number): Asn1 {
  const n = list[i]
  if (!n) throw new Asn1Error('missing element')
  return n
}

export function readOid(n: Asn1 | undefined): string {
  if (!n) throw new Asn1Error('missing OID')
  expectUniversal(n, Tag.Oid, 'OBJECT IDENTIFIER')
  const arcs: bigint[] = []
  let acc = 0n
  for (const b of n.value) {
    acc = (acc << 7n) | BigInt(b & 0x7f)
    if (!(b & 0x80)) {
      arcs.push(acc)
      acc = 0n
    }
  }
  if (arcs.length === 0) throw new Asn1Error('empty OID')
  const first = arcs[0] as bigint
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n]
  return [...head, ...arcs.slice(1)].join('.')
}

export function readInt(n: Asn1 | undefined): bigint {
  if (!n) throw new Asn1Error('missing INTEGER')
  expectUniversal(n, Tag.Integer, 'INTEGER')
  if (n.value.length === 0) throw new Asn1Error('empty INTEGER')
  let v = 0n
  for (const b of n.value) v = (v << 8n) | BigInt(b)
  if ((n.value[0] as number) & 0x80) v -= 1n << BigInt(n.value.length * 8)
  return v
}

/** Content of an OCTET STRING, joining the segments of a BER constructed one. */
export function readOctets(n: Asn1 | undefined): Buffer {
  if (!n) throw new Asn1Error('missing OCTET STRING')
  if (n.cls !== TagClass.Universal || n.tag !== Tag.OctetString) throw new Asn1Error('expected OCTET STRING')
  return octetContent(n)
}

/** Content octets of a (possibly BER-constructed) string element, whatever its tag. */
export function octetContent(n: Asn1): Buffer {
  if (!n.constructed) return n.value
  return Buffer.concat(n.children.map(octetContent))
}

/** Bytes of a BIT STRING with whole octets (the unused-bits count must be 0). */
export function readBitStringBytes(n: Asn1 | undefined): Buffer {
  if (!n) throw new Asn1Error('missing BIT STRING')
  expectUniversal(n, Tag.BitString, 'BIT STRING')
  if (n.value.length === 0) throw new Asn1Error('empty BIT STRING')
  return n.value.subarray(1)
}

/** The bits of a BIT STRING, most significant first: bit i of the ASN.1 NamedBitList. */
export function readBits(n: Asn1 | undefined): boolean[] {
  if (!n) throw new Asn1Error('missing BIT STRING')
  expectUniversal(n, Tag.BitString, 'BIT STRING')
  const unused = n.value[0] ?? 0
  const data = n.value.subarray(1)
  const bits: boolean[] = []
  data.forEach((byte, i) => {
    const last = i === data.length - 1
    for (let b = 0; b < 8 - (last ? unused : 0); b++) bits.push(((byte >> (7 - b)) & 1) === 1)
  })
  return bits
}

export function readBool(n: Asn1 | undefined): boolean {
  if (!n) throw new Asn1Error('missing BOOLEAN')
  expectUniversal(n, Tag.Boolean, 'BOOLEAN')
  return n.value[0] !== 0
}

/** Any of the X.500 string types, as a JS string. */
export function readString(n: Asn1 | undefined): string {
  if (!n || n.cls !== TagClass.Universal) throw new Asn1Error('expected a string')
  const v = octetContent(n)
  switch (n.tag) {
    case Tag.Utf8String:
      return v.toString('utf8')
    case Tag.BmpString:
      return Buffer.from(v).swap16().toString('utf16le')
    case Tag.UniversalString: {
      let s = ''
      for (let i = 0; i + 3 < v.length; i += 4) s += String.fromCodePoint(v.readUInt32BE(i))
      return s
    }
    case Tag.PrintableString:
    case Tag.Ia5String:
    case Tag.T61String:
    case 18: // NumericString
    case 26: // VisibleString
      return v.toString('latin1')
    default:
      throw new Asn1Error(`unsupported string type ${n.tag}`)
  }
}

/** UTCTime or GeneralizedTime (whole seconds, Zulu) as a Date. */
export function readTime(n: Asn1 | undefined): Date {
  if (!n || n.cls !== TagClass.Universal) throw new Asn1Error('expected a time')
  const s = n.value.toString('latin1')
  let m: RegExpMatchArray | null
  if (n.tag === Tag.UtcTime && (m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/))) {
    const yy = Number(m[1])
    return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)))
  }
  if (n.tag === Tag.GeneralizedTime && (m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
  }
  throw new Asn1Error(`unsupported time ${s}`)
}

/** True when `n` is the context-specific tag [k] (constructed or not). */
export function isContext(n: Asn1 | undefined, k: number): n is Asn1 {
  return n !== undefined && n.cls === TagClass.Context && n.tag === k
}
