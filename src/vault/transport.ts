/**
 * How kvdr reaches a vault over the network: one keep-alive https.Agent per run with TLS 1.2 as the minimum,
 * extra trusted CAs (`--ca-file`, for TLS-inspecting proxies and the emulator) added to Node's roots, and
 * `--resolve host=ip` pins (private endpoints without DNS) applied through the agent's `lookup`. Certificate
 * and host-name verification are never turned off.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { readFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { createSecureContext, rootCertificates } from 'node:tls'
import { UsageError } from '../core/errors.js'

/** Network settings of a run. */
export interface TransportOptions {
  /** PEM file(s) of extra trusted CAs, added to Node's built-in roots and NODE_EXTRA_CA_CERTS. */
  caFiles?: readonly string[]
  /** Host name -> IP address pins (`--resolve`). Other names use the system resolver. */
  resolve?: ReadonlyMap<string, string>
  /** Most sockets per vault host (default 64; the request limiter keeps the real number lower). */
  maxSockets?: number
}

/** Parse `--resolve host=ip` values into a map. Throws UsageError naming the bad value. */
export function parseResolve(values: readonly string[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const v of values) {
    const m = /^([A-Za-z0-9.-]+)=(.+)$/.exec(v.trim())
    const ip = m?.[2]?.replace(/^\[(.*)\]$/, '$1')
    if (!m || !ip || isIP(ip) === 0) {
      throw new UsageError(`--resolve "${v}" is not host=ip.`, { hint: 'Write --resolve my-vault.vault.azure.net=10.1.2.3 (an IPv4 or IPv6 address; repeat the flag for more hosts).' })
    }
    map.set((m[1] as string).toLowerCase(), ip)
  }
  return map
}

/** Read CA files (and NODE_EXTRA_CA_CERTS, which an explicit CA list would otherwise drop). Throws UsageError. */
function trustedCas(caFiles: readonly string[]): string[] | undefined {
  if (caFiles.length === 0) return undefined
  const extra: string[] = []
  const env = process.env.NODE_EXTRA_CA_CERTS
  if (env) {
    try {
      extra.push(readFileSync(env, 'utf8'))
    } catch {
      // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start-up; nothing to add.
    }
  }
  for (const file of caFiles) {
    let pem: string
    try {
      pem = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsageError(`Cannot read the CA file ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}).`, { hint: 'Pass a PEM file holding the CA certificate(s) your proxy or private endpoint presents.' })
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new UsageError(`The CA file ${file} holds no PEM certificate.`, { hint: 'Export the CA certificate in PEM form (-----BEGIN CERTIFICATE-----).' })
    }
    extra.push(pem)
  }
  return [...rootCertificates, ...extra]
}

/** A DNS lookup honouring the pins, falling back to the system resolver. */
export function pinnedLookup(pins: ReadonlyMap<string, string>): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    const pinned = pins.get(hostname.toLowerCase())
    if (pinned === undefined) {
      dnsLookup(hostname, options, callback as never)
      return
    }
    const family = isIP(pinned)
    if (options.all) callback(null, [{ address: pinned, family }])
    else callback(null, pinned, family)
  }) as LookupFunction
}

/** The agent for a run. Throws UsageError for unreadable CA files. Destroy it when the run ends. */
export function createAgent(options: TransportOptions = {}): Agent {
  const ca = trustedCas(options.caFiles ?? [])
  return new Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 64,
    minVersion: 'TLSv1.2',
    // One secure context for every connection: a CA list given per connection would be parsed for each
    // socket and stringified into the pool key of every request.
    ...(ca ? { secureContext: createSecureContext({ ca, minVersion: 'TLSv1.2' }) } : {}),
    ...(options.resolve && options.resolve.size > 0 ? { lookup: pinnedLookup(options.resolve) } : {}),
  })
}
