/**
 * Native backup blobs: opaque, encrypted and authenticated (AES-256-GCM) under a key derived from the emulator's
 * world secret and the vault's (subscriptionId, geography), so a blob restores only into a vault of the same
 * subscription and geography, as Azure's security worlds behave.
 *
 * Blob layout: MAGIC | format version (1 byte) | kind length (1 byte) | kind | salt (16) | iv (12) | ciphertext | tag (16).
 * Magic, version and kind are authenticated as associated data.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { isValidVersion } from '../core/types.js'
import { KvHttpError } from './http/errors.js'
import type { VersionRecord } from './model/versioned.js'

const MAGIC = Buffer.from('KVDR-EMULATOR-BACKUP', 'ascii')
const FORMAT_VERSION = 1
const SALT_LEN = 16
const IV_LEN = 12
const TAG_LEN = 16

/** The vault fields a backup is bound to. */
export interface BackupWorld {
  subscriptionId: string
  geography: string
}

/** Seals and opens backup blobs. */
export interface BackupCodec {
  /** Encrypt `payload` (JSON-serialisable) for `kind` (`secret`, `key`, `certificate`); returns base64url without padding. */
  seal(kind: string, world: BackupWorld, payload: unknown): string
  /**
   * Decrypt a blob. Throws 400 `Malformed backup blob` for bytes that are not an emulator backup of this kind, and
   * 400 `Cannot decrypt backup blob.` when the blob belongs to another subscription or geography (or was altered).
   */
  open(kind: string, world: BackupWorld, blob: string): unknown
}

/** 400 for bytes that are not a backup blob (the service's recorded response). */
export function malformedBackup(): KvHttpError {
  return new KvHttpError(400, 'Malformed backup blob', 'Backup blob contains invalid or corrupt version.')
}

/**
 * 400 for a blob from another security world. Azure's text is "Cannot decrypt backup blob."; its status code is not
 * published, and 400 was chosen because the request body is what cannot be used (see docs/emulator.md).
 */
export function cannotDecryptBackup(): KvHttpError {
  return new KvHttpError(400, 'BadParameter', 'Cannot decrypt backup blob.')
}

/** A codec bound to `worldSecret` (at least 16 bytes). The same secret must be used to open what it sealed. */
export function createBackupCodec(worldSecret: Uint8Array): BackupCodec {
  if (worldSecret.length < 16) throw new Error('the emulator world secret must be at least 16 bytes')
  const secret = Buffer.from(worldSecret)

  const header = (kind: string): Buffer => {
    const k = Buffer.from(kind, 'utf8')
    return Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION, k.length]), k])
  }
  const keyFor = (kind: string, world: BackupWorld, salt: Buffer): Buffer => {
    const info = `kvdr-emulator-backup/v${FORMAT_VERSION}|${kind}|${norm(world.subscriptionId)}|${norm(world.geography)}`
    return Buffer.from(hkdfSync('sha256', secret, salt, info, 32))
  }

  return {
    seal(kind, world, payload) {
      const aad = header(kind)
      const salt = randomBytes(SALT_LEN)
      const iv = randomBytes(IV_LEN)
      const cipher = createCipheriv('aes-256-gcm', keyFor(kind, world, salt), iv)
      cipher.setAAD(aad)
      const ct = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()])
      return Buffer.concat([aad, salt, iv, ct, cipher.getAuthTag()]).toString('base64url')
    },
    open(kind, world, blob) {
      const bytes = Buffer.from(blob, 'base64url')
      const aad = header(kind)
      if (bytes.length < aad.length + SALT_LEN + IV_LEN + TAG_LEN || !bytes.subarray(0, aad.length).equals(aad)) {
        throw malformedBackup()
      }
      let offset = aad.length
      const salt = bytes.subarray(offset, (offset += SALT_LEN))
      const iv = bytes.subarray(offset, (offset += IV_LEN))
      const ct = bytes.subarray(offset, bytes.length - TAG_LEN)
      const tag = bytes.subarray(bytes.length - TAG_LEN)
      let plain: string
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyFor(kind, world, salt), iv)
        decipher.setAAD(aad)
        decipher.setAuthTag(tag)
        plain = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8')
      } catch {
        throw cannotDecryptBackup()
      }
      return JSON.parse(plain) as unknown
    },
  }
}

function norm(s: string): string {
  return s.trim().toLowerCase()
}

/** The versions of a decrypted backup: a non-empty list of well-formed versions whose payloads pass `payloadOk`. */
export function isVersionList<P>(x: unknown, payloadOk: (p: Record<string, unknown>) => boolean): x is VersionRecord<P>[] {
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
        v.payload !== null &&
        payloadOk(v.payload as Record<string, unknown>),
    )
  )
}
