/**
 * Key Vault's error responses for versioned objects, worded as the service words them (taken from the SDK test
 * recordings and published service responses), for every object kind.
 */
import { KvHttpError } from '../http/errors.js'

/** How an object kind is named in URLs and messages. */
export interface KindLabels {
  /** Lower-case noun in running text: `secret`. */
  noun: string
  /** Capitalised noun: `Secret`. */
  title: string
  /** Error code for missing objects: `SecretNotFound`. */
  notFoundCode: string
  /** URL collection: `secrets`. */
  collection: string
  /** URL collection of deleted objects: `deletedsecrets`. */
  deletedCollection: string
}

export const SECRET_LABELS: KindLabels = {
  noun: 'secret',
  title: 'Secret',
  notFoundCode: 'SecretNotFound',
  collection: 'secrets',
  deletedCollection: 'deletedsecrets',
}

export const KEY_LABELS: KindLabels = {
  noun: 'key',
  title: 'Key',
  notFoundCode: 'KeyNotFound',
  collection: 'keys',
  deletedCollection: 'deletedkeys',
}

export const CERTIFICATE_LABELS: KindLabels = {
  noun: 'certificate',
  title: 'Certificate',
  notFoundCode: 'CertificateNotFound',
  collection: 'certificates',
  deletedCollection: 'deletedcertificates',
}

/** 404 for a live object (or version: pass `name/version`) that does not exist. */
export function notFound(k: KindLabels, nameOrId: string): KvHttpError {
  return new KvHttpError(
    404,
    k.notFoundCode,
    `A ${k.noun} with (name/id) ${nameOrId} was not found in this key vault. If you recently deleted this ${k.noun} you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  )
}

/** 404 for a deleted object that is not (or not yet) visible. */
export function deletedNotFound(k: KindLabels, name: string): KvHttpError {
  return new KvHttpError(404, k.notFoundCode, `Deleted ${k.title} not found: ${name}`)
}

/** 409 when a soft-deleted object holds the name. */
export function deletedButRecoverable(k: KindLabels, name: string): KvHttpError {
  return new KvHttpError(
    409,
    'Conflict',
    `${k.title} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${k.noun} can only be recovered or purged.`,
    { innerCode: 'ObjectIsDeletedButRecoverable' },
  )
}

/** 409 when re-creating a name whose delete or purge has not finished. */
export function beingDeleted(k: KindLabels, name: string): KvHttpError {
  return new KvHttpError(409, 'Conflict', `${k.title} ${name} is currently being deleted and cannot be re-created; retry later.`, {
    innerCode: 'ObjectIsBeingDeleted',
  })
}

/** 409 when purging or recovering an object whose delete has not finished. */
export function stillBeingDeleted(k: KindLabels): KvHttpError {
  return new KvHttpError(409, 'Conflict', `${k.title} is currently being deleted.`, { innerCode: 'ObjectIsBeingDeleted' })
}

/** 409 when re-creating or deleting an object whose recovery has not finished. */
export function beingRecovered(k: KindLabels, name: string): KvHttpError {
  return new KvHttpError(409, 'Conflict', `${k.title} ${name} is currently being recovered and cannot be re-created; retry later.`, {
    innerCode: 'ObjectIsBeingRecovered',
  })
}

/** 409 when a restore finds its name in use (live, being deleted or purged, being recovered). `id` is the backup's latest version id. */
export function restoreConflict(k: KindLabels, id: string): KvHttpError {
  return new KvHttpError(
    409,
    'Conflict',
    `There was a conflict restoring the ${k.noun} '${id}'. This can happen if either: a second ${k.noun} with the same name was created after the first ${k.noun} was deleted; thus trying to restore a ${k.noun} whose name is already in use. To fix this, rename the second ${k.noun} to something else so that the restore works. The second probable cause of this exception is when multiple operations are performed in parallel against the ${k.noun}. To avoid this error, perform operations against a ${k.noun} in a sequential manner.`,
  )
}

/** 403 for a purge in a vault with purge protection. */
export function purgeProtected(vaultName: string, region: string): KvHttpError {
  return new KvHttpError(
    403,
    'Forbidden',
    `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: ${vaultName};location=${region}`,
  )
}

/** 403 for direct operations on the key or secret behind a certificate. */
export function managedByCertificate(k: KindLabels, operation: string): KvHttpError {
  const message =
    operation === 'backup'
      ? `Operation "backup" is not allowed on this ${k.title}, since it is associated with a certificate. Perform the operation on the corresponding certificate.`
      : `Operation "${operation}" is not allowed on this ${k.noun}, since it is associated with a certificate. Perform the operation on the corresponding certificate. For more information refer to https://docs.microsoft.com/en-us/azure/key-vault/certificates/about-certificates#composition-of-a-certificate`
  return new KvHttpError(403, 'Forbidden', message, { innerCode: `${k.title}ManagedByKeyVault` })
}

/** Key Vault refuses to back up objects with more versions than this. */
export const MAX_BACKUP_VERSIONS = 500

/** 400 for a backup of an object with more than 500 versions (wording is the emulator's; the real text is not published). */
export function tooManyVersionsToBackUp(k: KindLabels, name: string, count: number): KvHttpError {
  return new KvHttpError(
    400,
    'BadParameter',
    `${k.title} ${name} has ${count} versions; Key Vault cannot back up an object with more than ${MAX_BACKUP_VERSIONS} versions.`,
  )
}
