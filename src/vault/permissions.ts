/**
 * What each Key Vault operation kvdr performs needs: the Azure RBAC data action, the access-policy permission
 * (vaults on the legacy model) and the least built-in role that grants it. Used to turn a 403 into an
 * actionable message. Source: the Key Vault RBAC guide and the Azure permissions reference (Microsoft.KeyVault).
 */

/** The operations kvdr sends (read side and write side share this table). */
export type VaultOperation =
  | 'secrets.list'
  | 'secrets.listVersions'
  | 'secrets.get'
  | 'secrets.backup'
  | 'secrets.listDeleted'
  | 'keys.list'
  | 'keys.listVersions'
  | 'keys.get'
  | 'keys.backup'
  | 'keys.getRotationPolicy'
  | 'keys.listDeleted'
  | 'keys.wrapKey'
  | 'keys.unwrapKey'
  | 'certificates.list'
  | 'certificates.listVersions'
  | 'certificates.get'
  | 'certificates.getPolicy'
  | 'certificates.backup'
  | 'certificates.listDeleted'
  | 'certificates.listIssuers'
  | 'certificates.getIssuer'
  | 'certificates.getContacts'
  | 'secrets.getDeleted'
  | 'secrets.recover'
  | 'secrets.purge'
  | 'keys.getDeleted'
  | 'keys.recover'
  | 'keys.purge'
  | 'certificates.getDeleted'
  | 'certificates.recover'
  | 'certificates.purge'
  // write side (restore)
  | 'secrets.set'
  | 'secrets.restore'
  | 'keys.restore'
  | 'keys.setRotationPolicy'
  | 'certificates.import'
  | 'certificates.updatePolicy'
  | 'certificates.restore'
  | 'certificates.setIssuer'
  | 'certificates.setContacts'

/** What an operation needs. */
export interface Permission {
  /** Azure RBAC data action, e.g. `Microsoft.KeyVault/vaults/secrets/backup/action`. */
  dataAction: string
  /** Access-policy permission, e.g. `secrets: backup`. */
  accessPolicy: string
  /** The least-privileged built-in role that grants the data action. */
  role: string
}

const KV = 'Microsoft.KeyVault/vaults'

export const PERMISSIONS: Record<VaultOperation, Permission> = {
  'secrets.list': { dataAction: `${KV}/secrets/readMetadata/action`, accessPolicy: 'secrets: list', role: 'Key Vault Reader' },
  'secrets.listVersions': { dataAction: `${KV}/secrets/readMetadata/action`, accessPolicy: 'secrets: list', role: 'Key Vault Reader' },
  'secrets.get': { dataAction: `${KV}/secrets/getSecret/action`, accessPolicy: 'secrets: get', role: 'Key Vault Secrets User' },
  'secrets.backup': { dataAction: `${KV}/secrets/backup/action`, accessPolicy: 'secrets: backup', role: 'Key Vault Secrets Officer' },
  'secrets.listDeleted': { dataAction: `${KV}/secrets/readMetadata/action`, accessPolicy: 'secrets: list', role: 'Key Vault Reader' },
  'keys.list': { dataAction: `${KV}/keys/read`, accessPolicy: 'keys: list', role: 'Key Vault Reader' },
  'keys.listVersions': { dataAction: `${KV}/keys/read`, accessPolicy: 'keys: list', role: 'Key Vault Reader' },
  'keys.get': { dataAction: `${KV}/keys/read`, accessPolicy: 'keys: get', role: 'Key Vault Reader' },
  'keys.backup': { dataAction: `${KV}/keys/backup/action`, accessPolicy: 'keys: backup', role: 'Key Vault Crypto Officer' },
  'keys.getRotationPolicy': { dataAction: `${KV}/keyrotationpolicies/read`, accessPolicy: 'keys: getrotationpolicy', role: 'Key Vault Reader' },
  'keys.listDeleted': { dataAction: `${KV}/keys/read`, accessPolicy: 'keys: list', role: 'Key Vault Reader' },
  'keys.wrapKey': { dataAction: `${KV}/keys/wrap/action`, accessPolicy: 'keys: wrapKey', role: 'Key Vault Crypto Service Encryption User' },
  'keys.unwrapKey': { dataAction: `${KV}/keys/unwrap/action`, accessPolicy: 'keys: unwrapKey', role: 'Key Vault Crypto Service Encryption User' },
  'certificates.list': { dataAction: `${KV}/certificates/read`, accessPolicy: 'certificates: list', role: 'Key Vault Reader' },
  'certificates.listVersions': { dataAction: `${KV}/certificates/read`, accessPolicy: 'certificates: list', role: 'Key Vault Reader' },
  'certificates.get': { dataAction: `${KV}/certificates/read`, accessPolicy: 'certificates: get', role: 'Key Vault Reader' },
  'certificates.getPolicy': { dataAction: `${KV}/certificates/read`, accessPolicy: 'certificates: get', role: 'Key Vault Reader' },
  'certificates.backup': { dataAction: `${KV}/certificates/backup/action`, accessPolicy: 'certificates: backup', role: 'Key Vault Certificates Officer' },
  'certificates.listDeleted': { dataAction: `${KV}/certificates/read`, accessPolicy: 'certificates: list', role: 'Key Vault Reader' },
  'certificates.listIssuers': { dataAction: `${KV}/certificatecas/read`, accessPolicy: 'certificates: listissuers', role: 'Key Vault Reader' },
  'certificates.getIssuer': { dataAction: `${KV}/certificatecas/read`, accessPolicy: 'certificates: getissuers', role: 'Key Vault Reader' },
  // The permissions reference has no read action for contacts: reading them needs write (managecontacts).
  'certificates.getContacts': { dataAction: `${KV}/certificatecontacts/write`, accessPolicy: 'certificates: managecontacts', role: 'Key Vault Certificates Officer' },
  // Soft-deleted objects (src/vault/deleted-ops.ts): reading them is covered by the kind's read action.
  'secrets.getDeleted': { dataAction: `${KV}/secrets/readMetadata/action`, accessPolicy: 'secrets: get', role: 'Key Vault Reader' },
  'secrets.recover': { dataAction: `${KV}/secrets/recover/action`, accessPolicy: 'secrets: recover', role: 'Key Vault Secrets Officer' },
  'secrets.purge': { dataAction: `${KV}/secrets/purge/action`, accessPolicy: 'secrets: purge', role: 'Key Vault Secrets Officer' },
  'keys.getDeleted': { dataAction: `${KV}/keys/read`, accessPolicy: 'keys: get', role: 'Key Vault Reader' },
  'keys.recover': { dataAction: `${KV}/keys/recover/action`, accessPolicy: 'keys: recover', role: 'Key Vault Crypto Officer' },
  'keys.purge': { dataAction: `${KV}/keys/purge/action`, accessPolicy: 'keys: purge', role: 'Key Vault Crypto Officer' },
  'certificates.getDeleted': { dataAction: `${KV}/certificates/read`, accessPolicy: 'certificates: get', role: 'Key Vault Reader' },
  'certificates.recover': { dataAction: `${KV}/certificates/recover/action`, accessPolicy: 'certificates: recover', role: 'Key Vault Certificates Officer' },
  'certificates.purge': { dataAction: `${KV}/certificates/purge/action`, accessPolicy: 'certificates: purge', role: 'Key Vault Certificates Officer' },
  // Write side (restore).
  'secrets.set': { dataAction: `${KV}/secrets/setSecret/action`, accessPolicy: 'secrets: set', role: 'Key Vault Secrets Officer' },
  'secrets.restore': { dataAction: `${KV}/secrets/restore/action`, accessPolicy: 'secrets: restore', role: 'Key Vault Secrets Officer' },
  'keys.restore': { dataAction: `${KV}/keys/restore/action`, accessPolicy: 'keys: restore', role: 'Key Vault Crypto Officer' },
  'keys.setRotationPolicy': { dataAction: `${KV}/keyrotationpolicies/write`, accessPolicy: 'keys: setrotationpolicy', role: 'Key Vault Crypto Officer' },
  'certificates.import': { dataAction: `${KV}/certificates/import/action`, accessPolicy: 'certificates: import', role: 'Key Vault Certificates Officer' },
  'certificates.updatePolicy': { dataAction: `${KV}/certificates/update/action`, accessPolicy: 'certificates: update', role: 'Key Vault Certificates Officer' },
  'certificates.restore': { dataAction: `${KV}/certificates/restore/action`, accessPolicy: 'certificates: restore', role: 'Key Vault Certificates Officer' },
  'certificates.setIssuer': { dataAction: `${KV}/certificatecas/write`, accessPolicy: 'certificates: setissuers', role: 'Key Vault Certificates Officer' },
  'certificates.setContacts': { dataAction: `${KV}/certificatecontacts/write`, accessPolicy: 'certificates: managecontacts', role: 'Key Vault Certificates Officer' },
}

/** A one-line description of what grants `op`: data action, role and access-policy permission. */
export function describePermission(op: VaultOperation, dataAction?: string): string {
  const p = PERMISSIONS[op]
  const action = dataAction ?? p.dataAction
  return `${action} (built-in role "${p.role}"; on access-policy vaults: ${p.accessPolicy})`
}
