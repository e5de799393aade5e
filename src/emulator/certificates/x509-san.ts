/** Subject alternative names: Key Vault's `sans` object to and from the X.509 GeneralNames of a subjectAltName extension. */
import { isIPv4, isIPv6 } from 'node:net'
import { Asn1Error, explicit, implicit, items, octetContent, oid, readOid, readString, seq, TagClass, utf8, type Asn1, at } from './x509-der.js'
import { OID } from './x509-oids.js'
import type { SubjectAlternativeNames } from './policy.js'

/** IPv4 (4 bytes) or IPv6 (16 bytes) address bytes, or undefined when `text` is neither. */
export function parseIpAddress(text: string): Buffer | undefined {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number))
  if (!isIPv6(text)) return undefined
  let s = text.replace(/%.*$/, '')
  const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/)
  if (v4) {
    const b = (v4[1] as string).split('.').map(Number) as [number, number, number, number]
    s = s.slice(0, -(v4[1] as string).length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}

/** Text form of IP address bytes: dotted IPv4, or RFC 5952 compressed IPv6. */
function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.')
  if (bytes.length !== 16) throw new Asn1Error('bad iPAddress length')
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number))
  let best = { start: -1, len: 0 }
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best.start < 0) return hex.join(':')
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`
}

function ascii(s: string): Buffer {
  return Buffer.from(s, 'latin1')
}

/**
 * DER GeneralNames for `sans`, in the order emails, DNS names, UPNs, URIs, IP addresses. Returns undefined
 * when there are none (Key Vault then leaves the extension out). Expects `sans` checked by checkSans.
 */
export function encodeSans(sans: SubjectAlternativeNames | undefined): Buffer | undefined {
  if (!sans) return undefined
  const names: Buffer[] = [
    ...(sans.emails ?? []).map((e) => implicit(1, ascii(e))),
    ...(sans.dns_names ?? []).map((d) => implicit(2, ascii(d))),
    ...(sans.upns ?? []).map((u) => implicit(0, Buffer.concat([oid(OID.upn), explicit(0, utf8(u))]), true)),
    ...(sans.uris ?? []).map((u) => implicit(6, ascii(u))),
    ...(sans.ipAddresses ?? []).map((ip) => implicit(7, parseIpAddress(ip) as Buffer)),
  ]
  return names.length === 0 ? undefined : seq(...names)
}

/** Key Vault's `sans` from a subjectAltName extension value; name forms it has no field for are skipped. */
export function decodeSans(extValue: Asn1): SubjectAlternativeNames {
  const out: Required<SubjectAlternativeNames> = { emails: [], dns_names: [], upns: [], uris: [], ipAddresses: [] }
  for (const name of items(extValue)) {
    if (name.cls !== TagClass.Context) continue
    const text = (): string => octetContent(name).toString('latin1')
    switch (name.tag) {
      case 0: {
        const parts = name.children
        if (readOid(at(parts, 0)) === OID.upn) out.upns.push(readString(at(at(parts, 1).children, 0)))
        break
      }
      case 1:
        out.emails.push(text())
        break
      case 2:
        out.dns_names.push(text())
        break
      case 6:
        out.uris.push(text())
        break
      case 7:
        out.ipAddresses.push(formatIpAddress(octetContent(name)))
        break
    }
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v.length > 0)) as SubjectAlternativeNames
}
