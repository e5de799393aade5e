/**
 * Native certificate backups: one world-bound blob carrying every certificate version with its original id, the
 * policy, and the managed key and secret versions behind them; restore recreates all three under the same ids.
 */
import type { Clock } from '../../core/clock.js'
import { isValidObjectName, isValidVersion } from '../../core/types.js'
import type { BackupCodec } from '../backup.js'
import { malformedBackup } from '../backup.js'
import { CERTIFICATE_LABELS, MAX_BACKUP_VERSIONS, deletedButRecoverable, restoreConflict, tooManyVersionsToBackUp } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import type { VersionRecord, VersionedCollection } from '../model/versioned.js'
import { secretsOf } from '../secrets/model.js'
import { certificatesOf } from './issuance.js'
import { keysOf } from './managed-key.js'
import { metaOf, type CertificatePayload, type CertificateRecord, type StoredPolicy } from './model.js'
import { certificateId } from './render.js'

/** Kind tag inside backup blobs. */
const BACKUP_KIND = 'certificate'

interface VersionsBackup {
  name: string
  versions: VersionRecord<unknown>[]
}

/** What a certificate backup blob carries. */
interface CertificateBackup {
  name: string
  versions: VersionRecord<CertificatePayload>[]
  policy: StoredPolicy
  key?: VersionsBackup
  secret?: VersionsBackup
}

function managedVersions(c: VersionedCollection<unknown>, name: string): VersionsBackup | undefined {
  if (c.phase(name) !== 'active') return undefined
  const record = c.active(name)
  return record.managed ? { name: record.name, versions: record.versions } : undefined
}

/**
 * Seal a backup of live certificate `name` for the vault's world. Throws 404 for an unknown certificate and 400 for
 * one with more than 500 versions. The blob holds key material, encrypted by the codec.
 */
export function backupCertificate(vault: Vault, clock: Clock, codec: BackupCodec, name: string): string {
  const record = certificatesOf(vault, clock).active(name)
  if (record.versions.length > MAX_BACKUP_VERSIONS) throw tooManyVersionsToBackUp(CERTIFICATE_LABELS, record.name, record.versions.length)
  const key = managedVersions(keysOf(vault) as VersionedCollection<unknown>, name)
  const secret = managedVersions(secretsOf(vault) as VersionedCollection<unknown>, name)
  const payload: CertificateBackup = {
    name: record.name,
    versions: record.versions,
    policy: metaOf(record).policy,
    ...(key ? { key } : {}),
    ...(secret ? { secret } : {}),
  }
  return codec.seal(BACKUP_KIND, vault.settings, payload)
}

/**
 * Restore a certificate backup: the certificate, its policy, key and secret with their original version ids. Throws
 * 400 for a blob that is not a certificate backup or belongs to another world, 409 when the certificate name is in use
 * (ObjectIsDeletedButRecoverable when soft-deleted) or its key or secret name is taken.
 */
export function restoreCertificate(vault: Vault, clock: Clock, codec: BackupCodec, baseUrl: string, blob: string): CertificateRecord {
  const backup = codec.open(BACKUP_KIND, vault.settings, blob)
  if (!isCertificateBackup(backup)) throw malformedBackup()
  const certs = certificatesOf(vault, clock)
  const conflictId = certificateId(baseUrl, backup.name, (backup.versions.at(-1) as VersionRecord<CertificatePayload>).version)
  const phase = certs.phase(backup.name)
  if (phase === 'deleted') throw deletedButRecoverable(CERTIFICATE_LABELS, backup.name)
  const others = [keysOf(vault), secretsOf(vault)] as VersionedCollection<unknown>[]
  if (phase !== 'absent' || others.some((c) => c.phase(backup.name) !== 'absent')) throw restoreConflict(CERTIFICATE_LABELS, conflictId)
  const record = certs.restore({ name: backup.name, managed: false, versions: backup.versions }, conflictId)
  record.meta = { policy: structuredClone(backup.policy) }
  if (backup.key) keysOf(vault).restore({ name: backup.key.name, managed: true, versions: backup.key.versions as never }, conflictId)
  if (backup.secret) secretsOf(vault).restore({ name: backup.secret.name, managed: true, versions: backup.secret.versions as never }, conflictId)
  return record
}

function isVersionList(x: unknown): x is VersionRecord<unknown>[] {
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every(
      (v: Partial<VersionRecord<unknown>> | null) =>
        typeof v?.version === 'string' &&
        isValidVersion(v.version) &&
        typeof v.attributes?.enabled === 'boolean' &&
        typeof v.attributes.created === 'number' &&
        typeof v.attributes.updated === 'number' &&
        typeof v.payload === 'object' &&
        v.payload !== null,
    )
  )
}

function isVersionsBackup(x: unknown, name: string): boolean {
  if (x === undefined) return true
  const b = x as Partial<VersionsBackup> | null
  return typeof b?.name === 'string' && b.name.toLowerCase() === name.toLowerCase() && isVersionList(b.versions)
}

function isCertificateBackup(x: unknown): x is CertificateBackup {
  if (x === null || typeof x !== 'object') return false
  const b = x as Partial<CertificateBackup>
  return (
    typeof b.name === 'string' &&
    isValidObjectName(b.name) &&
    isVersionList(b.versions) &&
    typeof b.policy?.policy?.key_props === 'object' &&
    typeof b.policy.created === 'number' &&
    isVersionsBackup(b.key, b.name) &&
    isVersionsBackup(b.secret, b.name)
  )
}
