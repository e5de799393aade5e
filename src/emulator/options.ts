/**
 * Emulator options and vault definitions, their defaults (a ready set of vaults for DR rehearsals) and their
 * validation. The same validator serves `startEmulator` and config files, so every mistake is reported with the
 * source, the field path and what is wrong.
 */
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { UsageError } from '../core/errors.js'
import { geographyOf } from '../core/geography.js'
import type { PagingMode } from './http/paging.js'
import type { VaultSettings } from './model/vault.js'

/** One vault to serve. Only `name` is required. */
export interface VaultDefinition {
  /** 3-24 characters: letters, digits and single hyphens; starts with a letter. */
  name: string
  /** Azure region (default `westeurope`). */
  region?: string
  /** Azure geography; derived from the region when the emulator knows it. */
  geography?: string
  subscriptionId?: string
  tenantId?: string
  /** 7-90 (default 90). */
  softDeleteRetentionDays?: number
  /** Default false. */
  purgeProtection?: boolean
  /** Dedicated port for `https://localhost:<port>` access; default: shared port + position + 1, or ephemeral. */
  port?: number
  /** More host names that reach this vault on the shared port (added to the TLS certificate). */
  hostNames?: string[]
  deleteDelayMs?: number
  recoverDelayMs?: number
  purgeDelayMs?: number
  issueDelayMs?: number
}

/** How long the soft-delete transitions take (emulator clock). */
export interface Timing {
  /** After DELETE: the deleted object is not visible yet and the name cannot be reused. */
  deleteDelayMs: number
  /** After recover: the live object still answers 404. */
  recoverDelayMs: number
  /** After purge: the name cannot be reused yet. */
  purgeDelayMs: number
  /** After a certificate create with issuer Self (or a CA issuer): the operation stays `inProgress`. */
  issueDelayMs: number
}

/** Options as they can appear in a config file (everything but the programmatic hooks). */
export interface EmulatorConfig {
  vaults?: VaultDefinition[]
  /** Shared port serving every vault by host name (`<vault>.vault.azure.net:<port>`); 0 = ephemeral (default). */
  port?: number
  /** Address to bind (default 127.0.0.1). */
  host?: string
  /** Where the CA, the server key and the world secret are kept (default `<tmp>/kvdr-emulator`). */
  dataDir?: string
  /** Extra DNS names for the TLS certificate. */
  hostNames?: string[]
  /** Default `ragged` (short and empty pages while nextLink continues). */
  paging?: PagingMode
  /** Defaults for vaults that do not set their own delays. */
  timing?: Partial<Timing>
}

/** The default tenant of emulated vaults. */
export const DEFAULT_TENANT_ID = '7e0c6a1d-4a4f-4c43-9c38-6b0e9d0e0a01'
/** Subscription of the default vaults. */
export const DEFAULT_SUBSCRIPTION_ID = '5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01'

export const DEFAULT_TIMING: Timing = { deleteDelayMs: 2000, recoverDelayMs: 2000, purgeDelayMs: 2000, issueDelayMs: 2000 }

/**
 * The vaults served when none are given: a primary and a DR vault in one subscription and geography (native
 * backups move between them) and a vault in another geography (native restore fails there, as on Azure).
 */
export const DEFAULT_VAULTS: readonly VaultDefinition[] = [
  { name: 'kv-primary', region: 'westeurope' },
  { name: 'kv-dr', region: 'northeurope' },
  { name: 'kv-us', region: 'eastus' },
]

export function defaultDataDir(): string {
  return join(tmpdir(), 'kvdr-emulator')
}

/** A vault ready to serve. */
export interface ResolvedVault {
  settings: VaultSettings
  /** 0 = ephemeral. */
  port: number
  hostNames: string[]
}

export interface ResolvedConfig {
  vaults: ResolvedVault[]
  port: number
  host: string
  dataDir: string
  hostNames: string[]
  paging: PagingMode
  timing: Timing
}

const CONFIG_KEYS = ['vaults', 'port', 'host', 'dataDir', 'hostNames', 'paging', 'timing']
const VAULT_KEYS = [
  'name', 'region', 'geography', 'subscriptionId', 'tenantId', 'softDeleteRetentionDays', 'purgeProtection', 'port', 'hostNames',
  'deleteDelayMs', 'recoverDelayMs', 'purgeDelayMs', 'issueDelayMs',
]
const TIMING_KEYS = ['deleteDelayMs', 'recoverDelayMs', 'purgeDelayMs', 'issueDelayMs']
const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const VAULT_NAME_RE = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/
const HOST_NAME_RE = /^(?=.{1,253}$)(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

class Checker {
  constructor(private readonly source: string) {}

  fail(path: string, problem: string, hint?: string): never {
    throw new UsageError(`${this.source}: ${path} ${problem}`, {
      hint: hint ?? 'Fix the value and start the emulator again. docs/emulator.md describes every option.',
    })
  }

  object(v: unknown, path: string, allowed: string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `must be an object (got ${describe(v)}).`)
    const unknown = Object.keys(v).filter((k) => !allowed.includes(k))
    if (unknown.length > 0) this.fail(path, `has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}.`, `Allowed fields: ${allowed.join(', ')}.`)
    return v as Record<string, unknown>
  }

  int(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `must be an integer from ${min} to ${max} (got ${describe(v)}).`)
    return v
  }

  string(v: unknown, path: string, re?: RegExp, what?: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(path, `must be a non-empty string (got ${describe(v)}).`)
    if (re && !re.test(v)) this.fail(path, `must be ${what ?? `a string matching ${re}`} (got '${v}').`)
    return v
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `must be true or false (got ${describe(v)}).`)
    return v
  }

  hostNames(v: unknown, path: string): string[] {
    if (v === undefined) return []
    if (!Array.isArray(v)) this.fail(path, `must be a list of DNS names (got ${describe(v)}).`)
    return v.map((h, i) => this.string(h, `${path}[${i}]`, HOST_NAME_RE, 'a DNS name').toLowerCase())
  }
}

/**
 * Validate options (from code or a config file named `source`) and fill in defaults. Throws UsageError naming
 * the source, the field and the problem.
 */
export function resolveConfig(config: EmulatorConfig, source = 'emulator options'): ResolvedConfig {
  const c: Checker = new Checker(source)
  const raw = c.object(config, 'the configuration', CONFIG_KEYS)
  const port = raw.port === undefined ? 0 : c.int(raw.port, 'port', 0, 65535)
  const host = raw.host === undefined ? '127.0.0.1' : c.string(raw.host, 'host')
  const dataDir = resolve(raw.dataDir === undefined ? defaultDataDir() : c.string(raw.dataDir, 'dataDir'))
  const hostNames = c.hostNames(raw.hostNames, 'hostNames')
  if (raw.paging !== undefined && raw.paging !== 'ragged' && raw.paging !== 'full') c.fail('paging', `must be 'ragged' or 'full' (got ${describe(raw.paging)}).`)
  const paging: PagingMode = (raw.paging as PagingMode | undefined) ?? 'ragged'
  const t = raw.timing === undefined ? {} : c.object(raw.timing, 'timing', TIMING_KEYS)
  const timing: Timing = {
    deleteDelayMs: t.deleteDelayMs === undefined ? DEFAULT_TIMING.deleteDelayMs : c.int(t.deleteDelayMs, 'timing.deleteDelayMs', 0, 3_600_000),
    recoverDelayMs: t.recoverDelayMs === undefined ? DEFAULT_TIMING.recoverDelayMs : c.int(t.recoverDelayMs, 'timing.recoverDelayMs', 0, 3_600_000),
    purgeDelayMs: t.purgeDelayMs === undefined ? DEFAULT_TIMING.purgeDelayMs : c.int(t.purgeDelayMs, 'timing.purgeDelayMs', 0, 3_600_000),
    issueDelayMs: t.issueDelayMs === undefined ? DEFAULT_TIMING.issueDelayMs : c.int(t.issueDelayMs, 'timing.issueDelayMs', 0, 3_600_000),
  }
  const defs = raw.vaults === undefined ? DEFAULT_VAULTS : raw.vaults
  if (!Array.isArray(defs) || defs.length === 0) c.fail('vaults', `must be a non-empty list of vault definitions (got ${describe(defs)}).`)
  const vaults = defs.map((d, i) => resolveVaultWith(c, d, `vaults[${i}]`, port === 0 ? 0 : port + i + 1, timing))
  checkUnique(c, vaults, port)
  return { vaults, port, host, dataDir, hostNames, paging, timing }
}

/** Validate one vault definition added at run time. `existing` vaults and the shared port must not clash with it. */
export function resolveVault(def: VaultDefinition, timing: Timing, existing: readonly ResolvedVault[], sharedPort: number, source = 'vault definition'): ResolvedVault {
  const c: Checker = new Checker(source)
  const vault = resolveVaultWith(c, def, 'vault', 0, timing)
  checkUnique(c, [...existing, vault], sharedPort)
  return vault
}

function resolveVaultWith(c: Checker, d: unknown, path: string, defaultPort: number, timing: Timing): ResolvedVault {
  const v = c.object(d, path, VAULT_KEYS)
  const name = c.string(v.name, `${path}.name`, VAULT_NAME_RE, '3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit')
  const region = v.region === undefined ? 'westeurope' : c.string(v.region, `${path}.region`).toLowerCase().replace(/\s+/g, '')
  const geography = v.geography === undefined ? geographyOf(region) : c.string(v.geography, `${path}.geography`)
  if (geography === undefined) {
    c.fail(`${path}.geography`, `is required because region '${region}' is not in the emulator's region table.`, `Add geography (for example 'Europe' or 'United States') to vault '${name}'.`)
  }
  const delay = (key: keyof Timing): number => (v[key] === undefined ? timing[key] : c.int(v[key], `${path}.${key}`, 0, 3_600_000))
  return {
    settings: {
      name,
      region,
      geography,
      subscriptionId: v.subscriptionId === undefined ? DEFAULT_SUBSCRIPTION_ID : c.string(v.subscriptionId, `${path}.subscriptionId`, GUID_RE, 'a GUID'),
      tenantId: v.tenantId === undefined ? DEFAULT_TENANT_ID : c.string(v.tenantId, `${path}.tenantId`, GUID_RE, 'a GUID'),
      softDeleteRetentionDays: v.softDeleteRetentionDays === undefined ? 90 : c.int(v.softDeleteRetentionDays, `${path}.softDeleteRetentionDays`, 7, 90),
      purgeProtection: v.purgeProtection === undefined ? false : c.bool(v.purgeProtection, `${path}.purgeProtection`),
      deleteDelayMs: delay('deleteDelayMs'),
      recoverDelayMs: delay('recoverDelayMs'),
      purgeDelayMs: delay('purgeDelayMs'),
      issueDelayMs: delay('issueDelayMs'),
    },
    port: v.port === undefined ? defaultPort : c.int(v.port, `${path}.port`, 0, 65535),
    hostNames: c.hostNames(v.hostNames, `${path}.hostNames`),
  }
}

function checkUnique(c: Checker, vaults: readonly ResolvedVault[], sharedPort: number): void {
  const names = new Set<string>()
  const ports = new Set<number>(sharedPort === 0 ? [] : [sharedPort])
  const hosts = new Set<string>()
  for (const v of vaults) {
    const n = v.settings.name.toLowerCase()
    if (names.has(n)) c.fail(`vault '${v.settings.name}'`, 'is defined twice.', 'Vault names are case-insensitive and must be unique.')
    names.add(n)
    if (v.port !== 0) {
      if (ports.has(v.port)) c.fail(`vault '${v.settings.name}'.port`, `${v.port} is already used by the shared port or another vault.`)
      ports.add(v.port)
    }
    for (const h of v.hostNames) {
      if (hosts.has(h)) c.fail(`vault '${v.settings.name}'.hostNames`, `'${h}' is used by another vault.`)
      hosts.add(h)
    }
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'string') return `'${v}'`
  if (typeof v === 'object') return 'an object'
  return String(v)
}
