/**
 * Emulator options and vault definitions, their defaults (a ready set of vaults for DR rehearsals) and their
 * validation. The same validator serves `startEmulator` and config files, so every mistake is reported with the
 * source, the field path and what is wrong.
 */
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { geographyOf } from '../core/geography.js'
import type { VaultAccess } from './access/access-control.js'
import type { RoleDefinition } from './access/roles.js'
import { Checker, describe, GUID_RE, type Locator } from './config-check.js'
import type { PagingMode } from './http/paging.js'
import type { VaultSettings } from './model/vault.js'
import {
  checkAssignments,
  checkPrincipals,
  checkRoleDefinitions,
  checkVaultAccess,
  type AccessPolicyInput,
  type NetworkAclsInput,
  type ResolvedAssignment,
  type ResolvedPrincipal,
  type RoleAssignmentInput,
  type RoleDefinitionInput,
} from './options-access.js'
import { checkAudit, checkFaults, checkLatency, checkThrottling, type AuditInput, type FaultInput, type LatencyInput, type ThrottlingInput } from './options-traffic.js'
import type { PrincipalDefinition } from './identity/directory.js'
import type { LatencyRule, NewFaultRule } from './traffic/faults.js'
import type { ThrottleSettings } from './traffic/throttle.js'

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
  /** Resource group named in resource ids and RBAC scopes (default `kvdr-emulator`). */
  resourceGroup?: string
  /** `rbac` (default) or `accessPolicy` (the vault's access policies decide). */
  permissionModel?: 'rbac' | 'accessPolicy'
  /** Access policies (permissionModel accessPolicy). The built-in administrator always has every permission. */
  accessPolicies?: AccessPolicyInput[]
  /** Network rules: `defaultAction: Deny` lets only `ipRules` (IPv4 addresses or CIDR ranges) through. */
  networkAcls?: NetworkAclsInput
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
  /** Keep vault state (objects, versions, soft-deleted objects, the clock) here across restarts; also the default dataDir. */
  stateDir?: string
  /** Plain-HTTP port of the managed-identity endpoints (IMDS and App Service forms); default shared port - 1, or any free port. */
  identityPort?: number
  /** `entra` (default): only tokens the emulator issued. `none`: any bearer token (insecure; quick experiments only). */
  auth?: 'entra' | 'none'
  /** Lifetime of issued access tokens (default 3600 s, emulator time). */
  tokenLifetimeSeconds?: number
  /** Service principals and managed identities that can obtain tokens. */
  principals?: PrincipalDefinition[]
  /** Custom roles (data-action lists with wildcards). */
  roleDefinitions?: RoleDefinitionInput[]
  /** Role assignments (RBAC vaults). The built-in administrator always holds Key Vault Administrator at `/`. */
  roleAssignments?: RoleAssignmentInput[]
  /** Key Vault's throttling: on by default at the published limits, with Retry-After. */
  throttling?: ThrottlingInput
  /** Injected faults. */
  faults?: FaultInput[]
  /** Injected latency (one rule or a list). */
  latency?: LatencyInput | LatencyInput[]
  /** The audit log (JSON-lines file, records kept in memory). */
  audit?: AuditInput
  /** Bearer token of the control API (default: random per start, printed by `kvdr emulator start`). */
  controlToken?: string
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
  access: VaultAccess
  /** The definition it was resolved from (kept with persisted state). */
  definition: VaultDefinition
}

export interface ResolvedConfig {
  vaults: ResolvedVault[]
  port: number
  host: string
  dataDir: string
  hostNames: string[]
  paging: PagingMode
  timing: Timing
  stateDir?: string
  /** 0 = ephemeral. */
  identityPort: number
  auth: 'entra' | 'none'
  tokenLifetimeSeconds: number
  /** The built-in administrator first. */
  principals: ResolvedPrincipal[]
  roleDefinitions: RoleDefinition[]
  roleAssignments: ResolvedAssignment[]
  throttling: ThrottleSettings
  faults: NewFaultRule[]
  latency: LatencyRule[]
  audit: { file?: string; capacity: number }
  controlToken?: string
}

const CONFIG_KEYS = [
  'vaults', 'port', 'host', 'dataDir', 'hostNames', 'paging', 'timing', 'stateDir', 'identityPort', 'auth', 'tokenLifetimeSeconds', 'principals',
  'roleDefinitions', 'roleAssignments', 'throttling', 'faults', 'latency', 'audit', 'controlToken',
]
const VAULT_KEYS = [
  'name', 'region', 'geography', 'subscriptionId', 'tenantId', 'softDeleteRetentionDays', 'purgeProtection', 'port', 'hostNames',
  'deleteDelayMs', 'recoverDelayMs', 'purgeDelayMs', 'issueDelayMs', 'resourceGroup', 'permissionModel', 'accessPolicies', 'networkAcls',
]
const TIMING_KEYS = ['deleteDelayMs', 'recoverDelayMs', 'purgeDelayMs', 'issueDelayMs']
const VAULT_NAME_RE = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/
const HOST_NAME_RE = /^(?=.{1,253}$)(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

/** Extra `hostNames` checks shared by the config and vault definitions. */
function hostNamesOf(c: Checker, v: unknown, path: string): string[] {
  if (v === undefined) return []
  return c.list(v, path, 'DNS names').map((h, i) => c.string(h, `${path}[${i}]`, HOST_NAME_RE, 'a DNS name').toLowerCase())
}

/**
 * Validate options (from code or a config file named `source`) and fill in defaults. `locate` maps a field path to
 * its line and column in the file. Throws UsageError naming the source, the field and the problem.
 */
export function resolveConfig(config: EmulatorConfig, source = 'emulator options', locate?: Locator): ResolvedConfig {
  const c: Checker = new Checker(source, locate)
  const raw = c.object(config, 'the configuration', CONFIG_KEYS)
  const port = raw.port === undefined ? 0 : c.int(raw.port, 'port', 0, 65535)
  const host = raw.host === undefined ? '127.0.0.1' : c.string(raw.host, 'host')
  const stateDir = raw.stateDir === undefined ? undefined : resolve(c.string(raw.stateDir, 'stateDir'))
  const dataDir = resolve(raw.dataDir === undefined ? (stateDir ?? defaultDataDir()) : c.string(raw.dataDir, 'dataDir'))
  const hostNames = hostNamesOf(c, raw.hostNames, 'hostNames')
  if (raw.paging !== undefined && raw.paging !== 'ragged' && raw.paging !== 'full') c.fail('paging', `must be 'ragged' or 'full' (got ${describe(raw.paging)}).`)
  const paging: PagingMode = (raw.paging as PagingMode | undefined) ?? 'ragged'
  const t = raw.timing === undefined ? {} : c.object(raw.timing, 'timing', TIMING_KEYS)
  const timing: Timing = {
    deleteDelayMs: t.deleteDelayMs === undefined ? DEFAULT_TIMING.deleteDelayMs : c.int(t.deleteDelayMs, 'timing.deleteDelayMs', 0, 3_600_000),
    recoverDelayMs: t.recoverDelayMs === undefined ? DEFAULT_TIMING.recoverDelayMs : c.int(t.recoverDelayMs, 'timing.recoverDelayMs', 0, 3_600_000),
    purgeDelayMs: t.purgeDelayMs === undefined ? DEFAULT_TIMING.purgeDelayMs : c.int(t.purgeDelayMs, 'timing.purgeDelayMs', 0, 3_600_000),
    issueDelayMs: t.issueDelayMs === undefined ? DEFAULT_TIMING.issueDelayMs : c.int(t.issueDelayMs, 'timing.issueDelayMs', 0, 3_600_000),
  }
  const identityPort = raw.identityPort === undefined ? (port > 1 ? port - 1 : 0) : c.int(raw.identityPort, 'identityPort', 0, 65535)
  const auth = raw.auth === undefined ? 'entra' : c.oneOf(raw.auth, 'auth', ['entra', 'none'] as const)
  const tokenLifetimeSeconds = raw.tokenLifetimeSeconds === undefined ? 3600 : c.int(raw.tokenLifetimeSeconds, 'tokenLifetimeSeconds', 300, 86_400)
  const principals = checkPrincipals(c, raw.principals, DEFAULT_TENANT_ID)
  const roleDefinitions = checkRoleDefinitions(c, raw.roleDefinitions)
  const roleAssignments = checkAssignments(c, raw.roleAssignments, principals, roleDefinitions)
  const defs = raw.vaults === undefined ? DEFAULT_VAULTS : raw.vaults
  if (!Array.isArray(defs) || defs.length === 0) c.fail('vaults', `must be a non-empty list of vault definitions (got ${describe(defs)}).`)
  const vaults = defs.map((d, i) => resolveVaultWith(c, d, `vaults[${i}]`, port === 0 ? 0 : port + i + 1, timing, principals))
  checkUnique(c, vaults, port)
  if (identityPort !== 0 && (identityPort === port || vaults.some((v) => v.port === identityPort))) {
    c.fail('identityPort', `${identityPort} is already used by the shared port or a vault.`)
  }
  return {
    vaults,
    port,
    host,
    dataDir,
    hostNames,
    paging,
    timing,
    ...(stateDir === undefined ? {} : { stateDir }),
    identityPort,
    auth,
    tokenLifetimeSeconds,
    principals,
    roleDefinitions,
    roleAssignments,
    throttling: checkThrottling(c, raw.throttling),
    faults: checkFaults(c, raw.faults),
    latency: checkLatency(c, raw.latency),
    audit: checkAudit(c, raw.audit),
    ...(raw.controlToken === undefined ? {} : { controlToken: c.string(raw.controlToken, 'controlToken', /^[\x21-\x7e]{16,}$/, 'at least 16 printable characters without spaces') }),
  }
}

/**
 * Validate one vault definition added at run time. `existing` vaults and the shared port must not clash with it;
 * access policies may name `principals`.
 */
export function resolveVault(
  def: VaultDefinition,
  timing: Timing,
  existing: readonly ResolvedVault[],
  sharedPort: number,
  principals: readonly ResolvedPrincipal[],
  source = 'vault definition',
): ResolvedVault {
  const c: Checker = new Checker(source)
  const vault = resolveVaultWith(c, def, 'vault', 0, timing, principals)
  checkUnique(c, [...existing, vault], sharedPort)
  return vault
}

function resolveVaultWith(c: Checker, d: unknown, path: string, defaultPort: number, timing: Timing, principals: readonly ResolvedPrincipal[]): ResolvedVault {
  const v = c.object(d, path, VAULT_KEYS)
  const name = c.string(v.name, `${path}.name`, VAULT_NAME_RE, '3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit')
  const region = v.region === undefined ? 'westeurope' : c.string(v.region, `${path}.region`).toLowerCase().replace(/\s+/g, '')
  const geography = v.geography === undefined ? geographyOf(region) : c.string(v.geography, `${path}.geography`)
  if (geography === undefined) {
    c.fail(`${path}.geography`, `is required because region '${region}' is not in the emulator's region table.`, `Add geography (for example 'Europe' or 'United States') to vault '${name}'.`)
  }
  const delay = (key: keyof Timing): number => (v[key] === undefined ? timing[key] : c.int(v[key], `${path}.${key}`, 0, 3_600_000))
  const tenantId = v.tenantId === undefined ? DEFAULT_TENANT_ID : c.string(v.tenantId, `${path}.tenantId`, GUID_RE, 'a GUID')
  return {
    settings: {
      name,
      region,
      geography,
      subscriptionId: v.subscriptionId === undefined ? DEFAULT_SUBSCRIPTION_ID : c.string(v.subscriptionId, `${path}.subscriptionId`, GUID_RE, 'a GUID'),
      tenantId,
      softDeleteRetentionDays: v.softDeleteRetentionDays === undefined ? 90 : c.int(v.softDeleteRetentionDays, `${path}.softDeleteRetentionDays`, 7, 90),
      purgeProtection: v.purgeProtection === undefined ? false : c.bool(v.purgeProtection, `${path}.purgeProtection`),
      deleteDelayMs: delay('deleteDelayMs'),
      recoverDelayMs: delay('recoverDelayMs'),
      purgeDelayMs: delay('purgeDelayMs'),
      issueDelayMs: delay('issueDelayMs'),
    },
    port: v.port === undefined ? defaultPort : c.int(v.port, `${path}.port`, 0, 65535),
    hostNames: hostNamesOf(c, v.hostNames, `${path}.hostNames`),
    access: checkVaultAccess(c, v, path, principals, tenantId.toLowerCase()),
    definition: structuredClone(v) as unknown as VaultDefinition,
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
