/**
 * Azure RBAC role definitions for the Key Vault data plane: the built-in roles with their real dataActions and
 * notDataActions (Azure built-in roles reference, Security category) and custom roles given as dataAction lists.
 * Matching follows Azure: case-insensitive, `*` matches any run of characters (including `/`), and a role grants an
 * action when it matches a dataAction and no notDataAction.
 */

/** A role definition's data-plane permissions. */
export interface RoleDefinition {
  /** Role name, e.g. `Key Vault Secrets User`. */
  name: string
  /** Role definition id (the GUID in `/providers/Microsoft.Authorization/roleDefinitions/<id>`). */
  id: string
  dataActions: readonly string[]
  notDataActions: readonly string[]
  builtIn: boolean
}

/** The Key Vault data-plane built-in roles, as Azure defines them. */
export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  {
    name: 'Key Vault Administrator',
    id: '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    dataActions: ['Microsoft.KeyVault/vaults/*'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Reader',
    id: '21090545-7ca7-4776-b22c-e363652d74d2',
    dataActions: ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Secrets Officer',
    id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Secrets User',
    id: '4633458b-17de-408a-b874-0445c86b69e6',
    dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Crypto Officer',
    id: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
    dataActions: ['Microsoft.KeyVault/vaults/keys/*', 'Microsoft.KeyVault/vaults/keyrotationpolicies/*'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Crypto User',
    id: '12338af0-0e69-4776-bea7-57ae8d297424',
    dataActions: [
      'Microsoft.KeyVault/vaults/keys/read',
      'Microsoft.KeyVault/vaults/keys/update/action',
      'Microsoft.KeyVault/vaults/keys/backup/action',
      'Microsoft.KeyVault/vaults/keys/encrypt/action',
      'Microsoft.KeyVault/vaults/keys/decrypt/action',
      'Microsoft.KeyVault/vaults/keys/wrap/action',
      'Microsoft.KeyVault/vaults/keys/unwrap/action',
      'Microsoft.KeyVault/vaults/keys/sign/action',
      'Microsoft.KeyVault/vaults/keys/verify/action',
    ],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Crypto Service Encryption User',
    id: 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
    dataActions: ['Microsoft.KeyVault/vaults/keys/read', 'Microsoft.KeyVault/vaults/keys/wrap/action', 'Microsoft.KeyVault/vaults/keys/unwrap/action'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Crypto Service Release User',
    id: '08bbd89e-9f13-488c-ac41-acfcb10c90ab',
    dataActions: ['Microsoft.KeyVault/vaults/keys/release/action'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Certificates Officer',
    id: 'a4417e6f-fecd-4de8-b567-7b0420556985',
    dataActions: ['Microsoft.KeyVault/vaults/certificatecas/*', 'Microsoft.KeyVault/vaults/certificates/*', 'Microsoft.KeyVault/vaults/certificatecontacts/write'],
    notDataActions: [],
    builtIn: true,
  },
  {
    name: 'Key Vault Certificate User',
    id: 'db79e9a7-68ee-4b58-9aeb-b90e7c24fcba',
    dataActions: [
      'Microsoft.KeyVault/vaults/certificates/read',
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      'Microsoft.KeyVault/vaults/keys/read',
    ],
    notDataActions: [],
    builtIn: true,
  },
]

/** True when `action` matches the Azure permission `pattern` (case-insensitive; `*` matches anything, `/` included). */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i')
  return re.test(action)
}

/** True when `role` grants `dataAction`. */
export function roleGrants(role: Pick<RoleDefinition, 'dataActions' | 'notDataActions'>, dataAction: string): boolean {
  return role.dataActions.some((p) => actionMatches(p, dataAction)) && !role.notDataActions.some((p) => actionMatches(p, dataAction))
}

/** The role named `ref` (name or id, case-insensitive) among built-in and `custom` roles. */
export function findRole(ref: string, custom: readonly RoleDefinition[]): RoleDefinition | undefined {
  const r = ref.trim().toLowerCase()
  return [...BUILT_IN_ROLES, ...custom].find((d) => d.name.toLowerCase() === r || d.id === r)
}
