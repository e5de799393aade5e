/**
 * Persistence wired to the emulator: the clock to start with (continued from the state directory), the stored state
 * of each vault (with the purges that fell due while the emulator was down applied), and writes of a vault's state
 * and of the clock after changes.
 */
import { ManualClock, systemClock } from '../../core/clock.js'
import { certificatesOf } from '../certificates/issuance.js'
import { applyDueLifetimeActions } from '../keys/lifetime.js'
import { CERTIFICATE_LABELS, KEY_LABELS, SECRET_LABELS } from '../model/messages.js'
import { Vault, type VaultSettings, type VaultState } from '../model/vault.js'
import type { VaultDefinition } from '../options.js'
import { StateStore, type StoredVault } from './state-store.js'

/** The versioned collections swept on load (their purges that fell due while down happen then). */
const SWEPT = { secrets: SECRET_LABELS, keys: KEY_LABELS, certificates: CERTIFICATE_LABELS }

export class VaultPersistence {
  private savedOffset: number | undefined
  private readonly saved = new Map<string, string>()

  private constructor(
    private readonly store: StateStore,
    private readonly stored: Map<string, StoredVault>,
    private readonly clock: ManualClock,
  ) {}

  /**
   * Open `stateDir`. The clock is `given`, or the stored one continued by the time the emulator was down, or a new
   * running clock. Throws KvdrError for unusable state files.
   */
  static async open(stateDir: string, given: ManualClock | undefined): Promise<{ persistence: VaultPersistence; clock: ManualClock }> {
    const store = await StateStore.open(stateDir)
    const storedClock = await store.loadClock()
    const clock = given ?? (storedClock ? new ManualClock(storedClock.emulatorTime + (systemClock.now() - storedClock.wallTime)) : new ManualClock())
    const stored = new Map((await store.loadVaults()).map((v) => [v.definition.name.toLowerCase(), v]))
    return { persistence: new VaultPersistence(store, stored, clock), clock }
  }

  /** A vault with `settings` and, when the state directory has it, its stored objects (taken once). */
  load(settings: VaultSettings): Promise<Vault> {
    const previous = this.stored.get(settings.name.toLowerCase())
    this.stored.delete(settings.name.toLowerCase())
    return restoreVault(settings, previous?.state, this.clock)
  }

  /** Stored vaults no `load` has taken: the ones added at run time. */
  remaining(): StoredVault[] {
    return [...this.stored.values()]
  }

  /**
   * Write a vault's state after a read only when its shape changed: reads can apply what the clock made due (a key
   * rotation, a certificate issuance creating its key and secret), and those add objects or versions.
   */
  async saveIfChanged(definition: VaultDefinition, state: VaultState): Promise<void> {
    if (this.saved.get(definition.name.toLowerCase()) !== shapeOf(state)) await this.save(definition, state)
  }

  /** Write a vault's state (and the clock when it was moved). Resolves when both are on disk. */
  async save(definition: VaultDefinition, state: VaultState): Promise<void> {
    this.saved.set(definition.name.toLowerCase(), shapeOf(state))
    const offset = this.clock.now() - systemClock.now()
    await Promise.all([
      this.store.saveVault(definition.name, () => ({ definition, state })),
      this.savedOffset === undefined || Math.abs(offset - this.savedOffset) > 1000 ? this.saveClock() : Promise.resolve(),
    ])
  }

  async saveClock(): Promise<void> {
    const wallTime = systemClock.now()
    const emulatorTime = this.clock.now()
    this.savedOffset = emulatorTime - wallTime
    await this.store.saveClock({ emulatorTime, wallTime })
  }

  remove(name: string): Promise<void> {
    return this.store.removeVault(name)
  }

  flush(): Promise<void> {
    return this.store.flush()
  }
}

/** A cheap summary of a vault's state: per collection, objects, versions and lifecycle marks. */
function shapeOf(state: VaultState): string {
  const parts: string[] = []
  for (const [key, c] of Object.entries(state.collections)) {
    const objects = (c as { objects?: Record<string, { versions?: unknown[]; deleted?: unknown; purgingUntil?: unknown; recoveringUntil?: unknown }> }).objects
    if (!objects) {
      parts.push(`${key}:?`)
      continue
    }
    let versions = 0
    let marks = 0
    for (const o of Object.values(objects)) {
      versions += o.versions?.length ?? 0
      marks += (o.deleted ? 1 : 0) + (o.purgingUntil !== undefined ? 2 : 0) + (o.recoveringUntil !== undefined ? 4 : 0)
    }
    parts.push(`${key}:${Object.keys(objects).length}:${versions}:${marks}`)
  }
  return parts.join('|')
}

/**
 * A vault from stored state (or empty) where what fell due while the emulator was down has happened, by the clock:
 * purges, certificate requests that ended, key rotations by policy.
 */
async function restoreVault(settings: VaultSettings, state: VaultState | undefined, clock: ManualClock): Promise<Vault> {
  if (!state) return Vault.create(settings, clock)
  const vault = new Vault({ settings: { ...settings }, collections: state.collections }, clock)
  if (vault.state.collections.certificates) certificatesOf(vault, clock)
  if (vault.state.collections.keys) await applyDueLifetimeActions(vault, clock)
  for (const [key, labels] of Object.entries(SWEPT)) if (vault.state.collections[key]) vault.collection(key, labels).listActive()
  return vault
}
