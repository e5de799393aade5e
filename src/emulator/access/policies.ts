/**
 * The vault access-policy permission model: per object id, lists of key, secret and certificate permissions
 * (`get`, `list`, `set`, `delete`, `backup`, `restore`, `recover`, `purge`, ...; `all` grants every one). Each
 * operation needs the permission the REST reference names for it ("This operation requires the secrets/get
 * permission"), derived here from the operation's RBAC data action and whether it reads one object or a list.
 */

export type PolicyKind = 'keys' | 'secrets' | 'certificates'

/** The permission names Azure accepts per kind (ARM `Permissions` schema). */
export const POLICY_PERMISSIONS: Readonly<Record<PolicyKind, readonly string[]>> = {
  keys: ['all', 'backup', 'create', 'decrypt', 'delete', 'encrypt', 'get', 'getrotationpolicy', 'import', 'list', 'purge', 'recover', 'release', 'restore', 'rotate', 'setrotationpolicy', 'sign', 'unwrapkey', 'update', 'verify', 'wrapkey'],
  secrets: ['all', 'backup', 'delete', 'get', 'list', 'purge', 'recover', 'restore', 'set'],
  certificates: ['all', 'backup', 'create', 'delete', 'deleteissuers', 'get', 'getissuers', 'import', 'list', 'listissuers', 'managecontacts', 'manageissuers', 'purge', 'recover', 'restore', 'setissuers', 'update'],
}

/** One access policy entry: who, and what per kind (permission names lower-cased). */
export interface AccessPolicy {
  objectId: string
  tenantId: string
  permissions: Record<PolicyKind, string[]>
}

/** What an operation needs under the access-policy model, e.g. `{ kind: 'secrets', permission: 'get' }`. */
export interface PolicyRequirement {
  kind: PolicyKind
  permission: string
}

/**
 * The access-policy permission an operation needs. `single` is true when the request addresses one object (a
 * name, not a `/versions` listing). Returns undefined for data actions outside keys, secrets and certificates.
 */
export function policyRequirement(dataAction: string, single: boolean): PolicyRequirement | undefined {
  const m = /^Microsoft\.KeyVault\/vaults\/([^/]+)\/([^/]+)/i.exec(dataAction)
  if (!m) return undefined
  const type = (m[1] as string).toLowerCase()
  const verb = (m[2] as string).toLowerCase()
  const readOrList = single ? 'get' : 'list'
  switch (type) {
    case 'secrets': {
      const map: Record<string, string> = { getsecret: 'get', readmetadata: readOrList, setsecret: 'set', update: 'set' }
      return { kind: 'secrets', permission: map[verb] ?? verb }
    }
    case 'keys': {
      const map: Record<string, string> = { read: readOrList, wrap: 'wrapkey', unwrap: 'unwrapkey' }
      return { kind: 'keys', permission: map[verb] ?? verb }
    }
    case 'keyrotationpolicies':
      return { kind: 'keys', permission: verb === 'read' ? 'getrotationpolicy' : 'setrotationpolicy' }
    case 'certificates':
      return { kind: 'certificates', permission: verb === 'read' ? readOrList : verb }
    case 'certificatecas': {
      const map: Record<string, string> = { read: single ? 'getissuers' : 'listissuers', write: 'setissuers', delete: 'deleteissuers' }
      return { kind: 'certificates', permission: map[verb] ?? 'manageissuers' }
    }
    case 'certificatecontacts':
      return { kind: 'certificates', permission: 'managecontacts' }
    default:
      return undefined
  }
}

/** True when `policy` grants `need` (`all` grants everything of its kind; `manageissuers` every issuer permission). */
export function policyGrants(policy: AccessPolicy, need: PolicyRequirement): boolean {
  const have = policy.permissions[need.kind]
  if (have.includes('all') || have.includes(need.permission)) return true
  return need.kind === 'certificates' && need.permission.endsWith('issuers') && have.includes('manageissuers')
}

/** The display form of a permission in denials (`unwrapKey`, not `unwrapkey`). */
export function permissionLabel(permission: string): string {
  return { unwrapkey: 'unwrapKey', wrapkey: 'wrapKey' }[permission] ?? permission
}
