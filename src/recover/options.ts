/**
 * From `kvdr recover` flags to what a run needs: the vault, the selection, and network settings as `kvdr backup`
 * takes them (--ca-file / --resolve plus KVDR_CA_FILE / KVDR_RESOLVE). Bad values are UsageErrors naming the flag.
 */
import { UsageError } from '../core/errors.js'
import { type NetworkFlagValues, transportFrom } from '../cli/vault-flags.js'
import type { TransportOptions } from '../vault/transport.js'
import { parseVaultUrl } from '../vault/url.js'
import { parseSelection, type Selection } from './select.js'

export interface RecoverFlagValues extends NetworkFlagValues {
  vault?: string
  kind?: string[]
  all: boolean
  purge: boolean
  yes: boolean
  'dry-run': boolean
  timeout: number
}

export interface RecoverRunOptions {
  url: string
  selection: Selection
  transport: TransportOptions
}

/** Parse flags and arguments. Throws UsageError for a missing or malformed vault, selection or network value. */
export function recoverOptionsFrom(flags: RecoverFlagValues, args: readonly string[], env: NodeJS.ProcessEnv = process.env): RecoverRunOptions {
  if (!flags.vault) throw new UsageError('No vault given.', { hint: 'Pass --vault https://<name>.vault.azure.net.' })
  const url = parseVaultUrl(flags.vault).url
  const selection = parseSelection(args, { ...(flags.kind ? { kinds: flags.kind } : {}), all: flags.all })
  if (flags.purge && args.length === 0 && !flags.all) throw new UsageError('--purge needs the objects to purge.', { hint: 'Name them (secret/old-cert, \'tmp-*\') or pass --all; add --dry-run to see what would be purged.' })
  if (flags.yes && !flags.purge) throw new UsageError('--yes confirms a purge; it does nothing without --purge.', { hint: 'Drop --yes (recovering needs no confirmation).' })
  return { url, selection, transport: transportFrom(flags, env) }
}
