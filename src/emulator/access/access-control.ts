/**
 * The firewall and authorizer stages: per-vault network rules, then the vault's permission model (Azure RBAC role
 * assignments at root, subscription, resource group, vault or object scope; or vault access policies). Denials are
 * Key Vault's 403s (`ForbiddenByFirewall`, `ForbiddenByRbac`, `ForbiddenByPolicy`) naming the caller, the action
 * and the resource as the service does, and nothing else.
 */
import { randomUUID } from 'node:crypto'
import { KvHttpError } from '../http/errors.js'
import type { Authorizer, Firewall, Principal, StageRequest } from '../http/pipeline.js'
import type { OperationDescriptor } from '../http/router.js'
import { networkAllows, ipv4Of, type NetworkAcls } from './network.js'
import { permissionLabel, policyGrants, policyRequirement, type AccessPolicy } from './policies.js'
import { findRole, roleGrants, type RoleDefinition } from './roles.js'
import { resourceId, scopeCovers, type RequestTarget, type Scope } from './scope.js'

/** A vault's access settings. */
export interface VaultAccess {
  resourceGroup: string
  /** `rbac` (Azure RBAC, the default for new vaults) or `accessPolicy`. */
  permissionModel: 'rbac' | 'accessPolicy'
  accessPolicies: AccessPolicy[]
  networkAcls?: NetworkAcls
}

/** A role assignment: a principal (object id) holds a role at a scope. */
export interface RoleAssignment {
  /** Assignment id (a GUID, as Azure names assignments). */
  id: string
  principalId: string
  /** Role definition id. */
  roleId: string
  scope: Scope
  /** The scope as written, for listings. */
  scopeText: string
}

const OBJECT_TYPES = new Set(['secrets', 'keys', 'certificates', 'keyrotationpolicies'])

/** The caller as Key Vault prints it: `appid=...;oid=...;iss=...`. */
function callerOf(principal: Principal): string {
  const c = principal.claims ?? {}
  return `appid=${String(c.appid ?? '')};oid=${principal.id};iss=${String(c.iss ?? '')}`
}

export class AccessControl {
  private readonly vaults = new Map<string, VaultAccess>()
  private readonly assignmentList: RoleAssignment[] = []

  constructor(private readonly customRoles: readonly RoleDefinition[]) {}

  /** Set (or replace) a vault's access settings. */
  setVault(name: string, access: VaultAccess): void {
    this.vaults.set(name.toLowerCase(), access)
  }

  removeVault(name: string): void {
    this.vaults.delete(name.toLowerCase())
  }

  /** Access settings of a served vault. */
  vault(name: string): VaultAccess | undefined {
    return this.vaults.get(name.toLowerCase())
  }

  /** Add a role assignment; returns it with its id. The role must exist (built-in or custom). */
  assign(principalId: string, role: RoleDefinition, scope: Scope, scopeText: string): RoleAssignment {
    const a: RoleAssignment = { id: randomUUID(), principalId: principalId.toLowerCase(), roleId: role.id, scope, scopeText }
    this.assignmentList.push(a)
    return a
  }

  /** Remove an assignment by id. Returns false when there was none. */
  unassign(id: string): boolean {
    const i = this.assignmentList.findIndex((a) => a.id === id)
    if (i === -1) return false
    this.assignmentList.splice(i, 1)
    return true
  }

  assignments(): readonly RoleAssignment[] {
    return this.assignmentList
  }

  /** A role (built-in or custom) by name or id. */
  role(ref: string): RoleDefinition | undefined {
    return findRole(ref, this.customRoles)
  }

  /** The firewall stage: the vault's network rules against the caller's address. */
  readonly firewall: Firewall = {
    check: (req: StageRequest, principal?: Principal) => {
      const access = this.vault(req.vault.name)
      if (networkAllows(access?.networkAcls, req.sourceAddress)) return
      const address = ipv4Of(req.sourceAddress) ?? req.sourceAddress
      const caller = principal ? `\r\nCaller: ${callerOf(principal)}` : ''
      throw new KvHttpError(
        403,
        'Forbidden',
        `Client address is not authorized and caller is not a trusted service.\r\nClient address: ${address}${caller}\r\nVault: ${req.vault.name};location=${req.vault.region}`,
        { innerCode: 'ForbiddenByFirewall' },
      )
    },
  }

  /** The authorizer stage: RBAC or access policies, per vault. */
  readonly authorizer: Authorizer = {
    authorize: (principal: Principal, operation: OperationDescriptor, req: StageRequest) => {
      const access = this.vault(req.vault.name)
      if (!access) throw new Error(`no access settings for vault ${req.vault.name}`)
      if (access.permissionModel === 'accessPolicy') this.checkPolicy(access, principal, operation, req)
      else this.checkRbac(access, principal, operation, req)
    },
  }

  private target(access: VaultAccess, operation: OperationDescriptor, req: StageRequest): RequestTarget {
    const name = req.params?.name
    const type = /^Microsoft\.KeyVault\/vaults\/([^/]+)\//i.exec(operation.dataAction)?.[1]?.toLowerCase()
    const onObject = name !== undefined && type !== undefined && OBJECT_TYPES.has(type) && operation.kind !== 'vault'
    return {
      subscriptionId: req.vault.subscriptionId,
      resourceGroup: access.resourceGroup,
      vault: req.vault.name,
      ...(onObject ? { object: `${operation.kind}s/${name}` } : {}),
    }
  }

  private checkRbac(access: VaultAccess, principal: Principal, operation: OperationDescriptor, req: StageRequest): void {
    const target = this.target(access, operation, req)
    const granted = this.assignmentList.some((a) => {
      if (a.principalId !== principal.id.toLowerCase() || !scopeCovers(a.scope, target)) return false
      const role = findRole(a.roleId, this.customRoles)
      return role !== undefined && roleGrants(role, operation.dataAction)
    })
    if (granted) return
    throw new KvHttpError(
      403,
      'Forbidden',
      'Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n' +
        `Caller: ${callerOf(principal)}\r\nAction: '${operation.dataAction}'\r\nResource: '${resourceId(target)}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: ${req.vault.name};location=${req.vault.region}\r\n`,
      { innerCode: 'ForbiddenByRbac' },
    )
  }

  private checkPolicy(access: VaultAccess, principal: Principal, operation: OperationDescriptor, req: StageRequest): void {
    const path = new URL(req.url, 'https://x').pathname.split('/').filter((s) => s !== '')
    // One object (a key, a certificate, an issuer): the route names it; listings and `/versions` do not.
    const single = Object.keys(req.params ?? {}).length > 0 && path.at(-1)?.toLowerCase() !== 'versions'
    const need = policyRequirement(operation.dataAction, single)
    const tenant = (principal.tenantId ?? '').toLowerCase()
    const granted =
      need !== undefined &&
      access.accessPolicies.some((p) => p.objectId === principal.id.toLowerCase() && p.tenantId === tenant && policyGrants(p, need))
    if (granted) return
    const what = need ? `${need.kind} ${permissionLabel(need.permission)}` : `'${operation.dataAction}'`
    throw new KvHttpError(
      403,
      'Forbidden',
      `The user, group or application '${callerOf(principal)}' does not have ${what} permission on key vault '${req.vault.name};location=${req.vault.region}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
      { innerCode: 'ForbiddenByPolicy' },
    )
  }
}
