/**
 * The Certificates API's operations as Key Vault names them: AuditEvent operation names (Key Vault logging
 * reference) and the RBAC data actions of the Azure permissions reference (Microsoft.KeyVault data actions).
 * Certificates have no readMetadata or deletedCertificates actions: every read, including deleted certificates and
 * pending operations, is `certificates/read`; contacts have a single `certificatecontacts/write` action (the
 * access-policy permission `managecontacts` covers reading them too). Certificates are vault transactions: they
 * share the secrets' throttling buckets.
 */
import type { OperationDescriptor } from '../http/router.js'

const VAULTS = 'Microsoft.KeyVault/vaults'

function op(name: string, action: string, throttleClass: 'secret-create' | 'secret-other' = 'secret-other'): OperationDescriptor {
  return { name, dataAction: `${VAULTS}/${action}`, kind: 'certificate', throttleClass }
}

export const CERTIFICATE_OPERATIONS = {
  create: op('CertificateCreate', 'certificates/create/action', 'secret-create'),
  import: op('CertificateImport', 'certificates/import/action', 'secret-create'),
  get: op('CertificateGet', 'certificates/read'),
  list: op('CertificateList', 'certificates/read'),
  listVersions: op('CertificateListVersions', 'certificates/read'),
  update: op('CertificateUpdate', 'certificates/update/action'),
  policyGet: op('CertificatePolicyGet', 'certificates/read'),
  policyUpdate: op('CertificatePolicyUpdate', 'certificates/update/action'),
  delete: op('CertificateDelete', 'certificates/delete'),
  getDeleted: op('CertificateGetDeleted', 'certificates/read'),
  listDeleted: op('CertificateListDeleted', 'certificates/read'),
  recover: op('CertificateRecover', 'certificates/recover/action'),
  purge: op('CertificatePurge', 'certificates/purge/action'),
  backup: op('CertificateBackup', 'certificates/backup/action'),
  restore: op('CertificateRestore', 'certificates/restore/action'),
  pendingGet: op('CertificatePendingGet', 'certificates/read'),
  pendingUpdate: op('CertificatePendingUpdate', 'certificates/update/action'),
  pendingDelete: op('CertificatePendingDelete', 'certificates/update/action'),
  pendingMerge: op('CertificatePendingMerge', 'certificates/create/action', 'secret-create'),
  issuerSet: op('CertificateIssuerSet', 'certificatecas/write'),
  issuerGet: op('CertificateIssuerGet', 'certificatecas/read'),
  issuerList: op('CertificateIssuersList', 'certificatecas/read'),
  issuerUpdate: op('CertificateIssuerUpdate', 'certificatecas/write'),
  issuerDelete: op('CertificateIssuerDelete', 'certificatecas/delete'),
  contactsSet: op('CertificateContactsSet', 'certificatecontacts/write'),
  contactsGet: op('CertificateContactsGet', 'certificatecontacts/write'),
  contactsDelete: op('CertificateContactsDelete', 'certificatecontacts/write'),
} as const satisfies Record<string, OperationDescriptor>
