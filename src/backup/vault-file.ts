/**
 * `--vault-file`: the vaults of a run in YAML or JSON - each a URL plus what the data plane cannot tell (its
 * subscription) and snapshot tags. Errors name the file, the entry and the field.
 */
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { UsageError } from '../core/errors.js'
import { parseVaultUrl } from '../vault/url.js'
import type { VaultTarget } from './vault-run.js'

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9._:=-]{0,63}$/
const FORMAT_HINT = 'Write `vaults:` as a list of {url, subscription, tags}, e.g.\n  vaults:\n    - url: https://prod-kv.vault.azure.net\n      subscription: 00000000-0000-0000-0000-000000000000\n      tags: [prod]'

/** Check a subscription id (a GUID). Throws UsageError naming `where`. */
export function checkSubscription(value: string, where: string): string {
  if (!GUID_RE.test(value)) throw new UsageError(`${where}: "${value}" is not a subscription id (a GUID).`, { hint: 'Find it with `az account show --query id` or in the portal (Subscriptions).' })
  return value.toLowerCase()
}

/** Check snapshot tags. Throws UsageError naming `where`. */
export function checkTags(tags: readonly string[], where: string): string[] {
  for (const t of tags) {
    if (!TAG_RE.test(t)) throw new UsageError(`${where}: "${t}" is not a valid tag.`, { hint: 'Tags are 1-64 letters, digits and . _ : = - starting with a letter or digit.' })
  }
  return [...tags]
}

/** Parse the text of a vault file named `file`. Throws UsageError with the entry and field at fault. */
export function parseVaultFile(text: string, file: string): VaultTarget[] {
  let doc: unknown
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new UsageError(`${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, { hint: FORMAT_HINT })
  }
  const list = Array.isArray(doc) ? doc : (doc as { vaults?: unknown } | null)?.vaults
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`${file} lists no vaults.`, { hint: FORMAT_HINT })
  const seen = new Set<string>()
  return list.map((item, i) => {
    const where = `${file}: vaults[${i}]`
    const o = typeof item === 'string' ? { url: item } : item
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new UsageError(`${where} must be a URL or an object.`, { hint: FORMAT_HINT })
    const rec = o as Record<string, unknown>
    const unknown = Object.keys(rec).filter((k) => !['url', 'subscription', 'subscriptionId', 'tags'].includes(k))
    if (unknown.length > 0) throw new UsageError(`${where} has unknown field(s) ${unknown.join(', ')}.`, { hint: FORMAT_HINT })
    if (typeof rec.url !== 'string') throw new UsageError(`${where}.url is missing.`, { hint: FORMAT_HINT })
    let url: string
    try {
      url = parseVaultUrl(rec.url).url
    } catch (err) {
      throw new UsageError(`${where}.url: ${(err as UsageError).message}`, { hint: (err as UsageError).hint ?? FORMAT_HINT })
    }
    if (seen.has(url)) throw new UsageError(`${where}.url: ${url} is listed twice.`)
    seen.add(url)
    const sub = rec.subscription ?? rec.subscriptionId
    if (sub !== undefined && typeof sub !== 'string') throw new UsageError(`${where}.subscription must be a string.`)
    const tags = rec.tags ?? []
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw new UsageError(`${where}.tags must be a list of strings.`)
    return { url, ...(sub ? { subscriptionId: checkSubscription(sub, `${where}.subscription`) } : {}), ...(tags.length ? { tags: checkTags(tags, `${where}.tags`) } : {}) }
  })
}

/** Read and parse a vault file. Throws UsageError when it cannot be read or is malformed. */
export async function readVaultFile(file: string): Promise<VaultTarget[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`Cannot read the vault file ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}).`, { hint: FORMAT_HINT })
  }
  return parseVaultFile(text, file)
}
