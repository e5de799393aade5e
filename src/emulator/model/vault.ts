/**
 * One emulated vault: its settings (world, soft-delete policy, lifecycle delays) and its state, which is plain
 * JSON data (no closures, bytes as base64 strings) so it can be persisted and loaded again.
 */
import type { Clock } from '../../core/clock.js'
import type { KindLabels } from './messages.js'
import { VersionedCollection, type CollectionState, type LifecycleSettings } from './versioned.js'

/** Everything that defines a vault. */
export interface VaultSettings extends LifecycleSettings {
  /** Azure geography the region belongs to, e.g. `Europe`; native backups restore only within it. */
  geography: string
  subscriptionId: string
  tenantId: string
  /**
   * How long a certificate request to issuer Self (or a CA issuer) stays `inProgress`, in ms of the emulator clock.
   * Default DEFAULT_ISSUE_DELAY_MS.
   */
  issueDelayMs?: number
}

/** The issue delay of vaults that do not set one (Key Vault answers a self-signed request within seconds). */
export const DEFAULT_ISSUE_DELAY_MS = 2000

/** A vault's complete state. JSON.stringify/parse round-trips it. */
export interface VaultState {
  settings: VaultSettings
  /** Per collection key (`secrets`, `keys`, `certificates`): objects by lower-cased name. */
  collections: Record<string, CollectionState<unknown>>
}

/** Key Vault's `recoveryLevel` values (spec `DeletionRecoveryLevel`) that vaults with soft delete can have. */
export type RecoveryLevel = 'Recoverable+Purgeable' | 'Recoverable' | 'CustomizedRecoverable+Purgeable' | 'CustomizedRecoverable'

/**
 * The recovery level Key Vault reports for a vault: `Customized...` when retention is below 90 days, and without
 * `+Purgeable` under purge protection.
 */
export function recoveryLevel(s: Pick<VaultSettings, 'softDeleteRetentionDays' | 'purgeProtection'>): RecoveryLevel {
  const base = s.softDeleteRetentionDays < 90 ? 'CustomizedRecoverable' : 'Recoverable'
  return s.purgeProtection ? base : `${base}+Purgeable`
}

export class Vault {
  private readonly settlers = new Map<string, () => void>()
  private settling = false

  constructor(
    readonly state: VaultState,
    private readonly clock: Clock,
  ) {}

  /** A fresh, empty vault. */
  static create(settings: VaultSettings, clock: Clock): Vault {
    return new Vault({ settings: { ...settings }, collections: {} }, clock)
  }

  get settings(): VaultSettings {
    return this.state.settings
  }

  get recoveryLevel(): RecoveryLevel {
    return recoveryLevel(this.state.settings)
  }

  /**
   * The collection stored under `key`, created empty on first use. Each kind module owns one key and one payload
   * type; two modules must not share a key.
   */
  collection<P>(key: string, labels: KindLabels): VersionedCollection<P> {
    this.settle()
    const state = (this.state.collections[key] ??= { objects: {} }) as CollectionState<P>
    return new VersionedCollection<P>(state, labels, this.clock, () => this.state.settings)
  }

  /**
   * Register `settle` under `key` (replacing an earlier one). It runs before every collection access, so transitions
   * that the clock drives across collections (a certificate's issuance creating its key and secret) have happened
   * before anyone reads. Settlers must be cheap when there is nothing to do; collection access inside one does not
   * run the settlers again.
   */
  onAccess(key: string, settle: () => void): void {
    this.settlers.set(key, settle)
  }

  private settle(): void {
    if (this.settling || this.settlers.size === 0) return
    this.settling = true
    try {
      for (const settle of this.settlers.values()) settle()
    } finally {
      this.settling = false
    }
  }
}
