/**
 * From `kvdr restore` flags to RestoreOptions: target and source vaults, snapshot or point in time, selection
 * (kinds, name globs, tags, objects and versions), name mapping, mode and conflict policy, purge, network and
 * budget settings. Bad values are UsageErrors naming the flag.
 */
import { UsageError } from '../core/errors.js'
import { type ObjectKind, parseRef } from '../core/types.js'
import { checkSubscription, readVaultFile } from '../backup/vault-file.js'
import { budgetFrom, type BudgetFlagValues, type NetworkFlagValues, transportFrom } from '../cli/vault-flags.js'
import { parseVaultUrl } from '../vault/url.js'
import type { RestoreOptions } from './restore.js'
import { parseRenames } from './source.js'
import type { ConflictPolicy, RestoreMode } from './types.js'

/** The flag values `kvdr restore` passes in. */
export interface RestoreFlagValues extends NetworkFlagValues, BudgetFlagValues {
  to?: string
  from?: string
  'to-subscription'?: string
  'vault-file'?: string
  snapshot?: string
  'as-of'?: string
  kind?: string[]
  name?: string[]
  tag?: string[]
  object?: string[]
  rename?: string[]
  prefix?: string
  rollback?: string
  mode: string
  'on-conflict': string
  'purge-deleted': boolean
  'dry-run': boolean
}

/** Parse a point in time: ISO 8601 (a date alone means its start, UTC). Throws UsageError. */
export function parseTime(flag: string, text: string): Date {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? Date.parse(`${text.trim()}T00:00:00Z`) : Date.parse(text.trim())
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    throw new UsageError(`--${flag} "${text}" is not a time.`, { hint: `Write an ISO 8601 time, e.g. --${flag} 2026-03-01T12:00:00Z (UTC unless an offset is given) or --${flag} 2026-03-01.` })
  }
  return new Date(t)
}

/**
 * Build the run's options (credential, clock and confirmation are the caller's). The target's subscription comes
 * from --to-subscription, else from the vault file's entry for the target. Throws UsageError.
 */
export async function restoreOptionsFrom(flags: RestoreFlagValues, env: NodeJS.ProcessEnv = process.env): Promise<RestoreOptions> {
  const rollback = flags.rollback === undefined ? undefined : parseRef(flags.rollback)
  const objects = (flags.object ?? []).map(parseRef)
  let to = flags.to
  if (to === undefined && rollback && flags.from) to = flags.from
  if (to === undefined) throw new UsageError('No target vault.', { hint: 'Pass --to https://<name>.vault.azure.net (the vault to restore into).' })
  if (rollback && rollback.version !== undefined) throw new UsageError('--rollback takes secret/<name>, without a version.', { hint: 'The version is chosen by --as-of: the one current at that time.' })
  if (rollback && (objects.length > 0 || (flags.name ?? []).length > 0 || (flags.tag ?? []).length > 0)) {
    throw new UsageError('--rollback restores one secret; it does not combine with --object, --name or --tag.', { hint: 'Run a separate restore for other objects.' })
  }
  if (flags.snapshot !== undefined && flags['as-of'] !== undefined) throw new UsageError('--snapshot and --as-of both choose the snapshot.', { hint: 'Give one: --as-of picks the newest snapshot at or before that time.' })
  const rename = parseRenames(flags.rename ?? [])
  const target = parseVaultUrl(to).url
  let subscription = flags['to-subscription'] === undefined ? undefined : checkSubscription(flags['to-subscription'], '--to-subscription')
  if (subscription === undefined && flags['vault-file'] !== undefined) {
    const entry = (await readVaultFile(flags['vault-file'])).find((v) => v.url === target)
    if (!entry) throw new UsageError(`${flags['vault-file']} does not list ${target}.`, { hint: 'Add the vault with its subscription to the file, or pass --to-subscription.' })
    subscription = entry.subscriptionId
  }
  return {
    to: target,
    ...(flags.from === undefined ? {} : { from: parseVaultUrl(flags.from).url }),
    ...(subscription === undefined ? {} : { targetSubscription: subscription }),
    ...(flags.snapshot === undefined ? {} : { snapshot: flags.snapshot }),
    ...(flags['as-of'] === undefined ? {} : { asOf: parseTime('as-of', flags['as-of']) }),
    selection: {
      ...(flags.kind ? { kinds: flags.kind as ObjectKind[] } : {}),
      ...(flags.name ? { names: flags.name } : {}),
      ...(flags.tag ? { tags: flags.tag } : {}),
      ...(objects.length > 0 ? { objects } : {}),
    },
    mapping: { ...(rename.size > 0 ? { rename } : {}), ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }) },
    ...(rollback ? { rollback } : {}),
    mode: flags.mode as RestoreMode,
    onConflict: flags['on-conflict'] as ConflictPolicy,
    purgeDeleted: flags['purge-deleted'],
    dryRun: flags['dry-run'],
    transport: transportFrom(flags, env),
    ...budgetFrom(flags),
  }
}
