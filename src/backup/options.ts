/**
 * From `kvdr backup` flags to BackupOptions: vault list (--vault / --vault-file), capture modes, kinds, network
 * settings (flags plus KVDR_CA_FILE / KVDR_RESOLVE), budget overrides and the deadline. Bad values are UsageErrors
 * naming the flag.
 */
import { UsageError } from '../core/errors.js'
import { OBJECT_KINDS, type ObjectKind } from '../core/types.js'
import { parseDuration } from '../repo/policy.js'
import { budgetFrom, type BudgetFlagValues, type NetworkFlagValues, transportFrom } from '../cli/vault-flags.js'
import { parseVaultUrl } from '../vault/url.js'
import type { BackupOptions } from './backup.js'
import { checkSubscription, checkTags, readVaultFile } from './vault-file.js'
import type { VaultTarget } from './vault-run.js'

/** The flag values `kvdr backup` passes in. */
export interface BackupFlagValues extends NetworkFlagValues, BudgetFlagValues {
  vault?: string[]
  'vault-file'?: string
  subscription?: string
  tag?: string[]
  description?: string
  full: boolean
  'dry-run': boolean
  capture: string
  kind?: string[]
  deadline?: string
}

/** Build the run's options. Throws UsageError for missing vaults, bad values and unreadable files. */
export async function backupOptionsFrom(flags: BackupFlagValues, env: NodeJS.ProcessEnv = process.env): Promise<Omit<BackupOptions, 'progress' | 'toolVersion'>> {
  const targets: VaultTarget[] = []
  const subscription = flags.subscription === undefined ? undefined : checkSubscription(flags.subscription, '--subscription')
  for (const v of flags.vault ?? []) targets.push({ url: parseVaultUrl(v).url, ...(subscription ? { subscriptionId: subscription } : {}) })
  if (flags['vault-file']) targets.push(...(await readVaultFile(flags['vault-file'])))
  if (targets.length === 0) throw new UsageError('No vault to back up.', { hint: 'Pass --vault https://<name>.vault.azure.net (repeatable) or --vault-file vaults.yaml.' })
  const urls = targets.map((t) => t.url)
  const dup = urls.find((u, i) => urls.indexOf(u) !== i)
  if (dup) throw new UsageError(`${dup} is given twice.`, { hint: 'Name each vault once (flags and --vault-file together).' })

  const kinds = (flags.kind ?? []) as ObjectKind[]
  let deadlineMs: number | undefined
  if (flags.deadline !== undefined) {
    const short = /^(\d+)(s|min)$/.exec(flags.deadline.trim())
    try {
      if (short) deadlineMs = Number(short[1]) * (short[2] === 's' ? 1000 : 60_000)
      else {
        const d = parseDuration(flags.deadline)
        deadlineMs = ((d.years * 365 + d.months * 30 + d.days) * 24 + d.hours) * 3_600_000
      }
    } catch (err) {
      throw new UsageError(`--deadline: ${(err as Error).message}`, { hint: 'For example --deadline 90min, --deadline 2h or --deadline 1d (also 600s).' })
    }
    if (deadlineMs <= 0) throw new UsageError('--deadline must be positive.', { hint: 'For example --deadline 2h.' })
  }
  return {
    targets,
    modes: { native: flags.capture !== 'value', value: flags.capture !== 'native' },
    ...(kinds.length > 0 && kinds.length < OBJECT_KINDS.length ? { kinds } : {}),
    full: flags.full,
    dryRun: flags['dry-run'],
    tags: checkTags(flags.tag ?? [], '--tag'),
    ...(flags.description === undefined ? {} : { description: flags.description }),
    transport: transportFrom(flags, env),
    ...budgetFrom(flags),
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  }
}
