/**
 * Client set-ups for the official Azure SDKs against the emulator, in both addressing modes:
 * `host`: `https://<vault>.vault.azure.net:<port>` resolved to the emulator by a custom `lookup`, with the SDK's
 * challenge-resource verification left on; `localhost`: `https://localhost:<vault port>` with
 * `disableChallengeResourceVerification: true`. Both trust the emulator CA through an `https.Agent`.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { Agent } from 'node:https'
import type { LookupFunction } from 'node:net'

export type AddressingMode = 'host' | 'localhost'

/** What to pass to `new SecretClient(vaultUrl, credential, options)` (and the keys and certificates clients). */
export interface SdkClientSetup {
  vaultUrl: string
  options: { agent: Agent; disableChallengeResourceVerification?: boolean }
}

/**
 * A DNS lookup that sends `*.vault.azure.net` and the given extra names to `address` (the emulator) and
 * everything else to the system resolver.
 */
export function emulatorLookup(address: string, extraHostNames: readonly string[] = []): LookupFunction {
  const family = address.includes(':') ? 6 : 4
  const extras = new Set(extraHostNames.map((h) => h.toLowerCase()))
  return ((hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    const h = hostname.toLowerCase()
    if (!h.endsWith('.vault.azure.net') && !extras.has(h)) {
      dnsLookup(hostname, options, callback as never)
      return
    }
    if (options.all) callback(null, [{ address, family }])
    else callback(null, address, family)
  }) as LookupFunction
}

/** An agent trusting `caPem`, resolving vault host names to `address`, keeping connections alive. */
export function emulatorAgent(caPem: string, address: string, extraHostNames: readonly string[] = []): Agent {
  return new Agent({ ca: caPem, lookup: emulatorLookup(address, extraHostNames), keepAlive: true, minVersion: 'TLSv1.2' })
}
