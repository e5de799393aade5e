/**
 * Validation of the identity and access parts of the emulator configuration: principals, custom roles, role
 * assignments, and per-vault permission model, access policies and network rules. References to principals (by
 * name, client id or object id) and roles (by name or id) are resolved here, so mistakes are reported with the
 * config file's field and line.
 */
import { GUID_RE, type Checker } from './config-check.js'
import { ADMIN_PRINCIPAL_NAME, derivedGuid, type PrincipalDefinition } from './identity/directory.js'
import { parseIpRule, type NetworkAcls } from './access/network.js'
import { POLICY_PERMISSIONS, type AccessPolicy, type PolicyKind } from './access/policies.js'
import { BUILT_IN_ROLES, findRole, type RoleDefinition } from './access/roles.js'
import { parseScope, type Scope } from './access/scope.js'
import type { VaultAccess } from './access/access-control.js'

/** A custom role: a name and data-action patterns. */
export interface RoleDefinitionInput {
  name: string
  /** Role definition id; default derived from the name. */
  id?: string
  dataActions: string[]
  notDataActions?: string[]
}

/** A role assignment as configured. */
export interface RoleAssignmentInput {
  /** Principal name, client id or object id. */
  principal: string
  /** Role name or id (built-in or custom). */
  role: string
  /** `/`, `/subscriptions/<id>[/resourceGroups/<rg>[/providers/Microsoft.KeyVault/vaults/<vault>[/secrets/<name>]]]`, `<vault>` or `<vault>/secrets/<name>`. Default `/`. */
  scope?: string
}

/** An access policy entry as configured. */
export interface AccessPolicyInput {
  /** Principal name, client id or object id (principals of the configuration, or any object id GUID). */
  principal: string
  /** Tenant of the principal; default the principal's tenant (or the vault's for unknown object ids). */
  tenantId?: string
  permissions: Partial<Record<PolicyKind, string[]>>
}

/** Network rules as configured. */
export interface NetworkAclsInput {
  defaultAction?: 'Allow' | 'Deny'
  ipRules?: string[]
}

/** A resolved role assignment (principal object id, role id). */
export interface ResolvedAssignment {
  principalId: string
  roleId: string
  scope: Scope
  scopeText: string
}

/** Principals with their ids filled in (no secrets yet: those come from the world secret). */
export interface ResolvedPrincipal extends PrincipalDefinition {
  type: 'servicePrincipal' | 'managedIdentity'
  clientId: string
  objectId: string
  tenantId: string
}

const PRINCIPAL_KEYS = ['name', 'type', 'clientId', 'objectId', 'tenantId', 'clientSecret', 'systemAssigned']
const ROLE_KEYS = ['name', 'id', 'dataActions', 'notDataActions']
const ASSIGNMENT_KEYS = ['principal', 'role', 'scope']
const POLICY_KEYS = ['principal', 'tenantId', 'permissions']
const ACL_KEYS = ['defaultAction', 'ipRules']

/** Validate `principals` and fill in derived ids. The built-in administrator comes first. */
export function checkPrincipals(c: Checker, raw: unknown, defaultTenantId: string): ResolvedPrincipal[] {
  const out: ResolvedPrincipal[] = [
    { name: ADMIN_PRINCIPAL_NAME, type: 'servicePrincipal', clientId: derivedGuid(`client/${ADMIN_PRINCIPAL_NAME}`), objectId: derivedGuid(`object/${ADMIN_PRINCIPAL_NAME}`), tenantId: defaultTenantId },
  ]
  if (raw === undefined) return out
  const list = c.list(raw, 'principals', 'principal definitions')
  let systemAssigned = false
  for (const [i, item] of list.entries()) {
    const path = `principals[${i}]`
    const p = c.object(item, path, PRINCIPAL_KEYS)
    const name = c.string(p.name, `${path}.name`, /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, '1-64 letters, digits, spaces, dots, underscores or hyphens')
    const type = p.type === undefined ? 'servicePrincipal' : c.oneOf(p.type, `${path}.type`, ['servicePrincipal', 'managedIdentity'] as const)
    const guid = (k: string): string | undefined => (p[k] === undefined ? undefined : c.string(p[k], `${path}.${k}`, GUID_RE, 'a GUID').toLowerCase())
    if (p.clientSecret !== undefined) {
      if (type !== 'servicePrincipal') c.fail(`${path}.clientSecret`, 'is only for service principals (managed identities get tokens from the identity endpoint).')
      if (typeof p.clientSecret !== 'string' || p.clientSecret.length < 8) c.fail(`${path}.clientSecret`, 'must be a string of at least 8 characters (the value is not shown).')
    }
    const sys = p.systemAssigned === undefined ? false : c.bool(p.systemAssigned, `${path}.systemAssigned`)
    if (sys && type !== 'managedIdentity') c.fail(`${path}.systemAssigned`, 'is only for managed identities.')
    if (sys && systemAssigned) c.fail(`${path}.systemAssigned`, 'is set on more than one managed identity; there is one system-assigned identity.')
    systemAssigned ||= sys
    const r: ResolvedPrincipal = {
      name,
      type,
      clientId: guid('clientId') ?? derivedGuid(`client/${name.toLowerCase()}`),
      objectId: guid('objectId') ?? derivedGuid(`object/${name.toLowerCase()}`),
      tenantId: guid('tenantId') ?? defaultTenantId,
      ...(typeof p.clientSecret === 'string' ? { clientSecret: p.clientSecret } : {}),
      ...(sys ? { systemAssigned: true } : {}),
    }
    const clash = out.find((q) => q.name.toLowerCase() === name.toLowerCase() || q.clientId === r.clientId || q.objectId === r.objectId)
    if (clash) c.fail(path, `clashes with principal '${clash.name}' (same name, client id or object id).`, `Names, client ids and object ids must be unique; '${ADMIN_PRINCIPAL_NAME}' is the built-in administrator.`)
    out.push(r)
  }
  return out
}

/** Validate custom role definitions. */
export function checkRoleDefinitions(c: Checker, raw: unknown): RoleDefinition[] {
  if (raw === undefined) return []
  const out: RoleDefinition[] = []
  for (const [i, item] of c.list(raw, 'roleDefinitions', 'role definitions').entries()) {
    const path = `roleDefinitions[${i}]`
    const r = c.object(item, path, ROLE_KEYS)
    const name = c.string(r.name, `${path}.name`)
    const actions = (k: string): string[] =>
      r[k] === undefined ? [] : c.list(r[k], `${path}.${k}`, 'data-action patterns').map((a, j) => c.string(a, `${path}.${k}[${j}]`, /^[A-Za-z0-9.*/_-]+$/, "a data action such as 'Microsoft.KeyVault/vaults/secrets/getSecret/action' (wildcards: *)"))
    const dataActions = actions('dataActions')
    if (dataActions.length === 0) c.fail(`${path}.dataActions`, 'must list at least one data action.')
    const id = r.id === undefined ? derivedGuid(`role/${name.toLowerCase()}`) : c.string(r.id, `${path}.id`, GUID_RE, 'a GUID').toLowerCase()
    if (findRole(name, out) || findRole(id, out)) c.fail(`${path}.name`, `'${name}' is already a role name or id.`, `Built-in roles: ${BUILT_IN_ROLES.map((b) => b.name).join(', ')}.`)
    out.push({ name, id, dataActions, notDataActions: actions('notDataActions'), builtIn: false })
  }
  return out
}

/** Find a principal by name, client id or object id. */
function principalByRef(principals: readonly ResolvedPrincipal[], ref: string): ResolvedPrincipal | undefined {
  const r = ref.trim().toLowerCase()
  return principals.find((p) => p.name.toLowerCase() === r || p.clientId === r || p.objectId === r)
}

/** Validate one role assignment against the principals and roles. */
export function checkAssignment(c: Checker, raw: unknown, path: string, principals: readonly ResolvedPrincipal[], roles: readonly RoleDefinition[]): ResolvedAssignment {
  const a = c.object(raw, path, ASSIGNMENT_KEYS)
  const ref = c.string(a.principal, `${path}.principal`)
  const principal = principalByRef(principals, ref)
  if (!principal) c.fail(`${path}.principal`, `'${ref}' is not a configured principal.`, `Configured principals: ${principals.map((p) => p.name).join(', ')}.`)
  const roleRef = c.string(a.role, `${path}.role`)
  const role = findRole(roleRef, roles)
  if (!role) c.fail(`${path}.role`, `'${roleRef}' is not a built-in or custom role.`, `Built-in roles: ${BUILT_IN_ROLES.map((b) => b.name).join(', ')}; custom roles go in roleDefinitions.`)
  const scopeText = a.scope === undefined ? '/' : c.string(a.scope, `${path}.scope`)
  let scope: Scope
  try {
    scope = parseScope(scopeText, `${path}.scope`)
  } catch {
    c.fail(`${path}.scope`, `'${scopeText}' is not a role assignment scope.`, "Use '/', '/subscriptions/<id>', a vault's ARM id (optionally with /secrets/<name>, /keys/<name> or /certificates/<name>), '<vault>' or '<vault>/secrets/<name>'.")
  }
  return { principalId: principal.objectId, roleId: role.id, scope, scopeText }
}

/** Validate `roleAssignments`. */
export function checkAssignments(c: Checker, raw: unknown, principals: readonly ResolvedPrincipal[], roles: readonly RoleDefinition[]): ResolvedAssignment[] {
  if (raw === undefined) return []
  return c.list(raw, 'roleAssignments', 'role assignments').map((a, i) => checkAssignment(c, a, `roleAssignments[${i}]`, principals, roles))
}

/** Validate a vault's access settings (`permissionModel`, `accessPolicies`, `networkAcls`, `resourceGroup`). */
export function checkVaultAccess(c: Checker, v: Record<string, unknown>, path: string, principals: readonly ResolvedPrincipal[], vaultTenant: string): VaultAccess {
  const resourceGroup = v.resourceGroup === undefined ? 'kvdr-emulator' : c.string(v.resourceGroup, `${path}.resourceGroup`, /^[-\w._()]{1,90}$/, 'a resource group name')
  const permissionModel = v.permissionModel === undefined ? 'rbac' : c.oneOf(v.permissionModel, `${path}.permissionModel`, ['rbac', 'accessPolicy'] as const)
  const accessPolicies: AccessPolicy[] = []
  if (v.accessPolicies !== undefined) {
    if (permissionModel !== 'accessPolicy') c.fail(`${path}.accessPolicies`, "only apply with permissionModel: accessPolicy (the vault uses Azure RBAC).")
    for (const [i, item] of c.list(v.accessPolicies, `${path}.accessPolicies`, 'access policies').entries()) {
      const pp = `${path}.accessPolicies[${i}]`
      const p = c.object(item, pp, POLICY_KEYS)
      const ref = c.string(p.principal, `${pp}.principal`)
      const known = principalByRef(principals, ref)
      if (!known && !GUID_RE.test(ref)) c.fail(`${pp}.principal`, `'${ref}' is neither a configured principal nor an object id.`)
      const perms = c.object(p.permissions, `${pp}.permissions`, ['keys', 'secrets', 'certificates'])
      const permissions = { keys: [], secrets: [], certificates: [] } as Record<PolicyKind, string[]>
      for (const kind of ['keys', 'secrets', 'certificates'] as const) {
        if (perms[kind] === undefined) continue
        permissions[kind] = c.list(perms[kind], `${pp}.permissions.${kind}`, 'permission names').map((x, j) => c.oneOf(x, `${pp}.permissions.${kind}[${j}]`, POLICY_PERMISSIONS[kind]).toLowerCase())
      }
      accessPolicies.push({
        objectId: known?.objectId ?? ref.toLowerCase(),
        tenantId: p.tenantId === undefined ? (known?.tenantId ?? vaultTenant) : c.string(p.tenantId, `${pp}.tenantId`, GUID_RE, 'a GUID').toLowerCase(),
        permissions,
      })
    }
  }
  let networkAcls: NetworkAcls | undefined
  if (v.networkAcls !== undefined) {
    const n = c.object(v.networkAcls, `${path}.networkAcls`, ACL_KEYS)
    const defaultAction = n.defaultAction === undefined ? 'Allow' : c.oneOf(n.defaultAction, `${path}.networkAcls.defaultAction`, ['Allow', 'Deny'] as const)
    const ipRules = n.ipRules === undefined ? [] : c.list(n.ipRules, `${path}.networkAcls.ipRules`, 'IPv4 addresses or CIDR ranges').map((r, i) => {
      const s = c.string(r, `${path}.networkAcls.ipRules[${i}]`)
      if (!parseIpRule(s)) c.fail(`${path}.networkAcls.ipRules[${i}]`, `must be an IPv4 address or CIDR range such as 10.0.0.0/24 (got '${s}').`, 'Key Vault IP rules are IPv4 only.')
      return s
    })
    networkAcls = { defaultAction, ipRules }
  }
  return { resourceGroup, permissionModel, accessPolicies, ...(networkAcls ? { networkAcls } : {}) }
}
