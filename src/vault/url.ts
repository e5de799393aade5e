/** Vault URLs: parse what a user typed into the canonical `https://<host>[:port]` form kvdr records and compares. */
import { UsageError } from '../core/errors.js'

/** A vault address: the canonical URL (no path, no trailing slash) and the vault's name (the first DNS label). */
export interface VaultAddress {
  /** `https://host[:port]`, lower-cased host, default port dropped. Snapshots group by this string. */
  url: string
  /** The vault name, e.g. `prod-kv` for `https://prod-kv.vault.azure.net`. */
  name: string
  host: string
}

const HINT = 'Give the vault URL as shown in the Azure portal, e.g. https://my-vault.vault.azure.net (https only, no path).'

/**
 * Parse a vault URL. Accepts `https://<host>[:port][/]`; throws UsageError for anything else (other schemes,
 * paths, queries, credentials). A bare vault name is refused with a hint naming its public-cloud URL.
 */
export function parseVaultUrl(text: string): VaultAddress {
  const t = text.trim()
  if (/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(t)) {
    throw new UsageError(`"${t}" is a vault name, not a vault URL.`, { hint: `Write https://${t.toLowerCase()}.vault.azure.net (or the URL of your cloud).` })
  }
  let url: URL
  try {
    url = new URL(t)
  } catch {
    throw new UsageError(`"${t}" is not a vault URL.`, { hint: HINT })
  }
  if (url.protocol !== 'https:') throw new UsageError(`"${t}" is not an https URL: Key Vault is only reachable over TLS.`, { hint: HINT })
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new UsageError(`"${t}" is not a vault URL: it has a path, query or credentials.`, { hint: HINT })
  }
  const host = url.hostname.toLowerCase()
  const name = host.split('.')[0] ?? host
  return { url: `https://${host}${url.port ? `:${url.port}` : ''}`, name, host }
}
