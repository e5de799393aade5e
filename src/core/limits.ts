/**
 * Key Vault's published service limits: throttling per vault per region per 10 seconds, and the backup
 * version limit. One table, used by kvdr's client-side budget and by the emulator's throttling.
 * Source: learn.microsoft.com/azure/key-vault/general/service-limits (includes/key-vault-limits.md).
 * The numbers changed over the years, so every consumer lets them be overridden.
 */

/** Length of a throttling window. */
export const THROTTLE_WINDOW_MS = 10_000

/** Subscription-wide limit for every transaction type = this many times the per-vault limit. */
export const SUBSCRIPTION_LIMIT_FACTOR = 5

export type KeyFamily = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'EC'
export type Protection = 'software' | 'hsm'

/** Transactions per 10 s per vault for key operations, by key family, protection and create/other. */
export const KEY_LIMITS: Record<KeyFamily, Record<Protection, { create: number; other: number }>> = {
  'RSA-2048': { hsm: { create: 10, other: 2000 }, software: { create: 20, other: 4000 } },
  'RSA-3072': { hsm: { create: 10, other: 500 }, software: { create: 20, other: 1000 } },
  'RSA-4096': { hsm: { create: 10, other: 250 }, software: { create: 20, other: 500 } },
  EC: { hsm: { create: 10, other: 2000 }, software: { create: 20, other: 4000 } },
}

/** Secrets, managed storage account keys and vault transactions (certificates count here). */
export const SECRET_LIMITS = { create: 300, other: 4000 } as const

/**
 * Key operations share one budget, weighted: an operation on a key whose family allows L "other"
 * transactions costs 4000 / L units of the 4000-unit budget (e.g. one HSM RSA-4096 GET = 16 units), as the
 * docs' example describes (248 HSM RSA-4096 GETs + 16 HSM RSA-2048 GETs exhaust it).
 */
export function keyOperationWeight(family: KeyFamily, protection: Protection, kind: 'create' | 'other'): number {
  const base = KEY_LIMITS['RSA-2048'].software[kind]
  return base / KEY_LIMITS[family][protection][kind]
}

/** Map a Key Vault key type and size/curve to its throttling family. */
export function keyFamilyOf(kty: string, keySize?: number): { family: KeyFamily; protection: Protection } {
  const protection: Protection = kty.endsWith('-HSM') ? 'hsm' : 'software'
  if (kty.startsWith('EC')) return { family: 'EC', protection }
  const family: KeyFamily = keySize === 4096 ? 'RSA-4096' : keySize === 3072 ? 'RSA-3072' : 'RSA-2048'
  return { family, protection }
}

/** Native backup fails for objects with more versions than this. */
export const MAX_BACKUP_VERSIONS = 500
/** kvdr warns from this many versions on. */
export const WARN_BACKUP_VERSIONS = 400
