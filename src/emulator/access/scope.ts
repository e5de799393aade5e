/**
 * Azure resource scopes for role assignments and the resource ids Key Vault names in its 403s: the root `/`, a
 * subscription, a resource group, a vault, or one object in a vault (`.../vaults/<vault>/secrets/<name>`). Config
 * files may also write a vault scope as `<vault>` and an object scope as `<vault>/secrets/<name>`.
 */
import { UsageError } from '../../core/errors.js'

/** A parsed scope; absent parts are wildcards. */
export interface Scope {
  subscriptionId?: string
  resourceGroup?: string
  vault?: string
  /** `secrets/<name>`, `keys/<name>` or `certificates/<name>`, lower-cased. */
  object?: string
}

/** Where a request lands, for matching against scopes. */
export interface RequestTarget {
  subscriptionId: string
  resourceGroup: string
  vault: string
  /** Object path (`secrets/<name>`) for operations on one object; undefined for vault-wide operations. */
  object?: string
}

const KINDS = ['secrets', 'keys', 'certificates']

/** Parse a scope string. Throws UsageError naming `where` for malformed scopes. */
export function parseScope(text: string, where: string): Scope {
  const t = text.trim()
  const fail = (): never => {
    throw new UsageError(`${where}: '${text}' is not a role assignment scope.`, {
      hint: "Use '/', '/subscriptions/<id>', '/subscriptions/<id>/resourceGroups/<rg>', '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>[/secrets|keys|certificates/<name>]', or the short forms '<vault>' and '<vault>/secrets/<name>'.",
    })
  }
  if (t === '/') return {}
  const parts = t.split('/').filter((p) => p !== '')
  if (!t.startsWith('/')) {
    if (parts.length === 1) return { vault: (parts[0] as string).toLowerCase() }
    if (parts.length === 3 && KINDS.includes((parts[1] as string).toLowerCase())) return { vault: (parts[0] as string).toLowerCase(), object: `${(parts[1] as string).toLowerCase()}/${(parts[2] as string).toLowerCase()}` }
    return fail()
  }
  const lower = parts.map((p) => p.toLowerCase())
  if (lower[0] !== 'subscriptions' || parts.length < 2) return fail()
  const scope: Scope = { subscriptionId: lower[1] as string }
  if (parts.length === 2) return scope
  if (lower[2] !== 'resourcegroups' || parts.length < 4) return fail()
  scope.resourceGroup = lower[3] as string
  if (parts.length === 4) return scope
  if (lower[4] !== 'providers' || lower[5] !== 'microsoft.keyvault' || lower[6] !== 'vaults' || parts.length < 8) return fail()
  scope.vault = lower[7] as string
  if (parts.length === 8) return scope
  if (parts.length === 10 && KINDS.includes(lower[8] as string)) return { ...scope, object: `${lower[8]}/${lower[9]}` }
  return fail()
}

/** True when an assignment at `scope` applies to `target` (a vault scope covers every object in it). */
export function scopeCovers(scope: Scope, target: RequestTarget): boolean {
  if (scope.subscriptionId !== undefined && scope.subscriptionId !== target.subscriptionId.toLowerCase()) return false
  if (scope.resourceGroup !== undefined && scope.resourceGroup !== target.resourceGroup.toLowerCase()) return false
  if (scope.vault !== undefined && scope.vault !== target.vault.toLowerCase()) return false
  if (scope.object !== undefined && scope.object !== target.object?.toLowerCase()) return false
  return true
}

/** The resource id Key Vault prints in RBAC denials (lower-case provider path, object name as requested). */
export function resourceId(target: RequestTarget): string {
  const vault = `/subscriptions/${target.subscriptionId}/resourcegroups/${target.resourceGroup}/providers/microsoft.keyvault/vaults/${target.vault.toLowerCase()}`
  return target.object === undefined ? vault : `${vault}/${target.object}`
}
