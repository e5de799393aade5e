/**
 * Native certificate backups: one world-bound blob carrying every certificate version with its original id, the
 * policy, and the managed key and secret versions behind them; restore recreates all three under the same ids.
 */
import type { Clock } from '../../core/clock.js'
import { isValidObjectName } from '../../core/types.js'
import type { BackupCodec } from '../backup.js'
import { isVersionList, malformedBackup } from '../backup.js'
import { CERTIFICATE_LABELS, MAX_BACKUP_VERSIONS, deletedButRecoverable, restoreConflict, tooManyVersionsToBackUp } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import type { VersionRecord, VersionedCollection } from '../model/versioned.js'
import { secretsOf, type SecretPayload } from '../secrets/model.js'
import { certificatesOf } from './issuance.js'
import { keysOf, type KeyPayload } from '../keys/model.js'
import { metaOf, setMeta, type CertificatePayload, type CertificateRecord, type StoredPolicy } from './model.js'
import { certificateId } from './render.js'

/** Kind tag inside backup blobs. */
const BACKUP_KIND = 'certificate'

interface VersionsBackup<P> {
  name: string
  versions: VersionRecord<P>[]
}

/** What a certificate backup blob carries. */
interface CertificateBackup {
  name: string
  versions: VersionRecord<CertificatePayload>[]
  policy: StoredPolicy
  key?: VersionsBackup<KeyPayload>
  secret?: VersionsBackup<SecretPayload>
}

function managedVersions<P>(c: VersionedCollection<P>, name: string): VersionsBackup<P> | undefined {
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
  const key = managedVersions(keysOf(vault), name)
  const secret = managedVersions(secretsOf(vault), name)
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
  const othersTaken = keysOf(vault).phase(backup.name) !== 'absent' || secretsOf(vault).phase(backup.name) !== 'absent'
  if (phase !== 'absent' || othersTaken) throw restoreConflict(CERTIFICATE_LABELS, conflictId)
  const record = certs.restore({ name: backup.name, managed: false, versions: backup.versions }, conflictId)
  setMeta(record, { policy: structuredClone(backup.policy) })
  if (backup.key) keysOf(vault).restore({ name: backup.key.name, managed: true, versions: backup.key.versions }, conflictId)
  if (backup.secret) secretsOf(vault).restore({ name: backup.secret.name, managed: true, versions: backup.secret.versions }, conflictId)
  return record
}

function isVersionsBackup(x: unknown, name: string, payloadOk: (p: Record<string, unknown>) => boolean): boolean {
  if (x === undefined) return true
  const b = x as Partial<VersionsBackup<unknown>> | null
  return typeof b?.name === 'string' && b.name.toLowerCase() === name.toLowerCase() && isVersionList(b.versions, payloadOk)
}

function isCertificateBackup(x: unknown): x is CertificateBackup {
  if (x === null || typeof x !== 'object') return false
  const b = x as Partial<CertificateBackup>
  return (
    typeof b.name === 'string' &&
    isValidObjectName(b.name) &&
    isVersionList(b.versions, (p) => p.cer === undefined || typeof p.cer === 'string') &&
    typeof b.policy?.policy?.key_props === 'object' &&
    typeof b.policy.created === 'number' &&
    isVersionsBackup(b.key, b.name, (p) => typeof p.material === 'object' && Array.isArray(p.keyOps)) &&
    isVersionsBackup(b.secret, b.name, (p) => typeof p.value === 'string')
  )
}
