/**
 * The flags every command that talks to Key Vault shares - network (--ca-file, --resolve, with KVDR_CA_FILE and
 * KVDR_RESOLVE) and throttling budget (--concurrency, --secrets-limit, --keys-limit, --budget-percent) - and the
 * settings they give. Bad values are UsageErrors naming the flag.
 */
import { delimiter } from 'node:path'
import { Flags } from '@oclif/core'
import { UsageError } from '../core/errors.js'
import { type BudgetLimits, DEFAULT_LIMITS } from '../vault/budget.js'
import { parseResolve, type TransportOptions } from '../vault/transport.js'

/**
 * --ca-file and --resolve. Non-greedy, so `--resolve host=ip secret/x` never takes an argument as a second value
 * (repeat the flag for more).
 */
export const networkFlags = {
  'ca-file': Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    description: 'Extra trusted CA certificate(s), PEM, for TLS-inspecting proxies (repeatable). Also $KVDR_CA_FILE.',
    helpGroup: 'NETWORK',
  }),
  resolve: Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    description: 'Pin host=ip: reach a private endpoint without DNS (repeatable). Also $KVDR_RESOLVE.',
    helpGroup: 'NETWORK',
  }),
}

/** How fast kvdr may go against one vault. */
export const budgetFlags = {
  concurrency: Flags.integer({ min: 1, max: 256, default: 32, description: 'Most requests in flight per vault (it adapts below this).', helpGroup: 'BUDGET' }),
  'secrets-limit': Flags.integer({ min: 10, description: "Vault transactions per 10 s to plan with (default 4000, Key Vault's limit).", helpGroup: 'BUDGET' }),
  'keys-limit': Flags.integer({ min: 10, description: 'Key transaction units per 10 s (default 4000).', helpGroup: 'BUDGET' }),
  'budget-percent': Flags.integer({ min: 5, max: 100, description: 'Share of those limits kvdr uses (default 95).', helpGroup: 'BUDGET' }),
}

export interface NetworkFlagValues {
  'ca-file'?: string[]
  resolve?: string[]
}

export interface BudgetFlagValues {
  concurrency: number
  'secrets-limit'?: number
  'keys-limit'?: number
  'budget-percent'?: number
}

/** TLS trust and host pins from the flags plus KVDR_CA_FILE (path-list) and KVDR_RESOLVE (comma-separated). Throws UsageError for a malformed pin. */
export function transportFrom(flags: NetworkFlagValues, env: NodeJS.ProcessEnv = process.env): TransportOptions {
  const caFiles = [...(env.KVDR_CA_FILE ?? '').split(delimiter).filter(Boolean), ...(flags['ca-file'] ?? [])]
  const pins = [
    ...(env.KVDR_RESOLVE ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(flags.resolve ?? []),
  ]
  return { ...(caFiles.length ? { caFiles } : {}), ...(pins.length ? { resolve: parseResolve(pins) } : {}) }
}

/** The concurrency cap and the limits to plan with. Throws UsageError for a share outside 5-100%. */
export function budgetFrom(flags: BudgetFlagValues): { maxConcurrency: number; limits: BudgetLimits } {
  const percent = flags['budget-percent'] ?? DEFAULT_LIMITS.share * 100
  if (percent < 5 || percent > 100) throw new UsageError(`--budget-percent ${percent} is out of range.`, { hint: "Use 5-100: the share of Key Vault's published limits kvdr may use (default 95)." })
  return {
    maxConcurrency: flags.concurrency,
    limits: {
      ...DEFAULT_LIMITS,
      vault: { ...DEFAULT_LIMITS.vault, other: flags['secrets-limit'] ?? DEFAULT_LIMITS.vault.other },
      keys: { ...DEFAULT_LIMITS.keys, other: flags['keys-limit'] ?? DEFAULT_LIMITS.keys.other },
      share: percent / 100,
    },
  }
}
