/**
 * Key Vault network rules (`networkAcls`): a default action and IPv4 address rules (single addresses or CIDR
 * ranges), matched against the caller's address. Key Vault's IP rules are IPv4 only; IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.2`) count as their IPv4 address.
 */
import { isIPv4 } from 'node:net'

export interface NetworkAcls {
  defaultAction: 'Allow' | 'Deny'
  /** `a.b.c.d` or `a.b.c.d/n`. */
  ipRules: string[]
}

interface Range {
  base: number
  mask: number
}

/** Parse `a.b.c.d[/n]`; undefined when malformed. */
export function parseIpRule(rule: string): Range | undefined {
  const [addr, bits, extra] = rule.trim().split('/')
  if (extra !== undefined || addr === undefined || !isIPv4(addr)) return undefined
  const n = bits === undefined ? 32 : Number(bits)
  if (!Number.isInteger(n) || n < 0 || n > 32 || (bits !== undefined && !/^\d{1,2}$/.test(bits))) return undefined
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0
  return { base: (ipv4ToInt(addr) & mask) >>> 0, mask }
}

/** The IPv4 form of a socket address, or undefined for (non-mapped) IPv6. */
export function ipv4Of(address: string): string | undefined {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address
  return isIPv4(a) ? a : undefined
}

/** True when the network rules let `address` through. */
export function networkAllows(acls: NetworkAcls | undefined, address: string): boolean {
  if (!acls || acls.defaultAction === 'Allow') return true
  const v4 = ipv4Of(address)
  if (v4 === undefined) return false
  const ip = ipv4ToInt(v4)
  return acls.ipRules.some((r) => {
    const range = parseIpRule(r)
    return range !== undefined && ((ip & range.mask) >>> 0) === range.base
  })
}

function ipv4ToInt(a: string): number {
  return a.split('.').reduce((n, octet) => ((n << 8) | Number(octet)) >>> 0, 0)
}
