/**
 * The Secrets API's operations as Key Vault names them: AuditEvent operation names and the RBAC data actions from
 * the Azure permissions reference (Microsoft.KeyVault data actions). Reading deleted secrets is covered by
 * `readMetadata`; purging by `secrets/purge/action`.
 */
import type { OperationDescriptor } from '../http/router.js'

const ACTION = 'Microsoft.KeyVault/vaults/secrets'

function op(name: string, action: string, throttleClass: 'secret-create' | 'secret-other' = 'secret-other'): OperationDescriptor {
  return { name, dataAction: `${ACTION}/${action}`, kind: 'secret', throttleClass }
}

export const SECRET_OPERATIONS = {
  set: op('SecretSet', 'setSecret/action', 'secret-create'),
  get: op('SecretGet', 'getSecret/action'),
  update: op('SecretUpdate', 'update/action'),
  list: op('SecretList', 'readMetadata/action'),
  listVersions: op('SecretListVersions', 'readMetadata/action'),
  delete: op('SecretDelete', 'delete'),
  getDeleted: op('SecretGetDeleted', 'readMetadata/action'),
  listDeleted: op('SecretListDeleted', 'readMetadata/action'),
  recover: op('SecretRecover', 'recover/action'),
  purge: op('SecretPurge', 'purge/action'),
  backup: op('SecretBackup', 'backup/action'),
  restore: op('SecretRestore', 'restore/action'),
} as const satisfies Record<string, OperationDescriptor>
