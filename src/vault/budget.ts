/**
 * The client-side request budget: Key Vault's published per-vault limits (src/core/limits.ts) as rate limiters
 * kvdr keeps under, so it is throttled rarely instead of often. Secrets and certificates share the vault bucket;
 * keys draw weighted units from their own (an HSM RSA-4096 read costs 16 units of 4000). Vaults of one
 * subscription that run together also draw from a shared subscription bucket (5x a vault's limit).
 * Each bucket adapts: a 429 cuts its rate, successes restore it.
 */
import type { Clock } from '../core/clock.js'
import { KEY_LIMITS, keyOperationWeight, type KeyFamily, type Protection, SECRET_LIMITS, SUBSCRIPTION_LIMIT_FACTOR, THROTTLE_WINDOW_MS } from '../core/limits.js'

/** Which published limit a request counts against. */
export type BucketKind = 'vault' | 'keys'
export type OperationClass = 'create' | 'other'

/** A request's place in the budget: its bucket, class and cost in units. */
export interface RequestCost {
  bucket: BucketKind
  class: OperationClass
  units: number
}

/** Per-vault limits in transactions (or key units) per window. Defaults: the published ones. */
export interface BudgetLimits {
  vault: { create: number; other: number }
  keys: { create: number; other: number }
  windowMs: number
  /** Fraction of each limit kvdr plans to use (default 0.95: a little room for other clients and clock skew). */
  share: number
}

export const DEFAULT_LIMITS: BudgetLimits = {
  vault: { create: SECRET_LIMITS.create, other: SECRET_LIMITS.other },
  keys: { create: KEY_LIMITS['RSA-2048'].software.create, other: KEY_LIMITS['RSA-2048'].software.other },
  windowMs: THROTTLE_WINDOW_MS,
  share: 0.95,
}

/**
 * A rate limiter in the GCRA form (a token bucket without timers): `limit` units per `windowMs`, a burst of
 * `1 - share` of the window's limit, so that no sliding window ever sees more than the limit. Waiters are
 * served in order of arrival because each acquisition reserves its slot before it sleeps.
 */
export class RateBucket {
  private tat = 0
  private rate: number
  private readonly maxRate: number
  private readonly tolerance: number
  private pausedUntil = 0
  private lastCut = -Infinity

  constructor(
    readonly name: string,
    limit: number,
    windowMs: number,
    share: number,
    private readonly clock: Clock,
  ) {
    this.maxRate = (limit * share) / windowMs
    this.rate = this.maxRate
    this.tolerance = Math.max(1, limit * (1 - share)) / this.maxRate
  }

  /** Units per second currently allowed. */
  get perSecond(): number {
    return this.rate * 1000
  }

  /** Reserve `units` and resolve when they may be spent. Rejects with the signal's reason when aborted. */
  async acquire(units: number, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now()
    this.tat = Math.max(this.tat, now, this.pausedUntil) + units / this.rate
    const wait = Math.max(this.tat - this.tolerance, this.pausedUntil) - now
    if (wait > 0) await this.clock.sleep(wait, signal)
    // A Retry-After that arrived while we slept holds us too.
    for (let left = this.pausedUntil - this.clock.now(); left > 0; left = this.pausedUntil - this.clock.now()) await this.clock.sleep(left, signal)
  }

  /** No admissions before `until` (a Retry-After told us when). */
  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until)
  }

  /**
   * The service throttled us anyway (another client shares the vault): slow down to 70%, at most once a second
   * (a burst of 429s is one signal), never below 5% of the planned rate.
   */
  throttled(): void {
    const now = this.clock.now()
    if (now - this.lastCut < 1000) return
    this.lastCut = now
    this.rate = Math.max(this.maxRate * 0.05, this.rate * 0.7)
  }

  /** A request went through: creep back towards the planned rate (0.5% of it per success). */
  succeeded(): void {
    if (this.rate < this.maxRate) this.rate = Math.min(this.maxRate, this.rate + this.maxRate * 0.005)
  }
}

/** The throttling family of a key, as learned from its key type and size. */
export interface KeyProfile {
  family: KeyFamily
  protection: Protection
}

/**
 * Shared subscription buckets: vaults of one subscription that back up at the same time draw from these too.
 * One instance per process run.
 */
export class SubscriptionBudgets {
  private readonly buckets = new Map<string, Map<string, RateBucket>>()
  constructor(
    private readonly limits: BudgetLimits,
    private readonly clock: Clock,
  ) {}

  bucket(subscriptionId: string, kind: BucketKind, cls: OperationClass): RateBucket {
    let perSub = this.buckets.get(subscriptionId)
    if (!perSub) this.buckets.set(subscriptionId, (perSub = new Map()))
    const key = `${kind}-${cls}`
    let b = perSub.get(key)
    if (!b) perSub.set(key, (b = new RateBucket(`subscription ${subscriptionId} ${key}`, this.limits[kind][cls] * SUBSCRIPTION_LIMIT_FACTOR, this.limits.windowMs, this.limits.share, this.clock)))
    return b
  }
}

/** One vault's budget: its four buckets, the shared subscription buckets, and what it learned about key sizes. */
export class VaultBudget {
  private readonly buckets = new Map<string, RateBucket>()
  private readonly keyProfiles = new Map<string, KeyProfile>()

  constructor(
    limits: BudgetLimits,
    private readonly clock: Clock,
    private readonly shared?: { budgets: SubscriptionBudgets; subscriptionId: string },
  ) {
    for (const kind of ['vault', 'keys'] as const) {
      for (const cls of ['create', 'other'] as const) {
        this.buckets.set(`${kind}-${cls}`, new RateBucket(`${kind}-${cls}`, limits[kind][cls], limits.windowMs, limits.share, clock))
      }
    }
  }

  private chain(cost: RequestCost): RateBucket[] {
    const own = this.buckets.get(`${cost.bucket}-${cost.class}`) as RateBucket
    return this.shared ? [own, this.shared.budgets.bucket(this.shared.subscriptionId, cost.bucket, cost.class)] : [own]
  }

  /** Remember a key's type so later operations on it are weighted right (unknown keys cost 1 unit). */
  learnKey(name: string, profile: KeyProfile): void {
    this.keyProfiles.set(name.toLowerCase(), profile)
  }

  /** The cost of a request to `path` (`/secrets/x/...`, `/keys/k/...`) with `method`. */
  costOf(method: string, path: string): RequestCost {
    const segs = path.split('/').filter(Boolean)
    const collection = (segs[0] ?? '').toLowerCase()
    const keyish = collection === 'keys' || collection === 'deletedkeys'
    const cls = isCreate(method, segs) ? 'create' : 'other'
    if (!keyish) return { bucket: 'vault', class: cls, units: 1 }
    const name = segs[1]
    const profile = name ? this.keyProfiles.get(name.toLowerCase()) : undefined
    return { bucket: 'keys', class: cls, units: profile ? keyOperationWeight(profile.family, profile.protection, cls) : 1 }
  }

  async acquire(cost: RequestCost, signal?: AbortSignal): Promise<void> {
    for (const b of this.chain(cost)) await b.acquire(cost.units, signal)
  }

  /** A 429 for a request of this cost: pause its buckets until `until` (when known) and slow them down. */
  throttled(cost: RequestCost, until?: number): void {
    for (const b of this.chain(cost)) {
      b.throttled()
      if (until !== undefined) b.pause(until)
    }
  }

  succeeded(cost: RequestCost): void {
    for (const b of this.chain(cost)) b.succeeded()
  }

  /** Current planned rates per bucket (requests or key units per second), for reports. */
  rates(): Record<string, number> {
    return Object.fromEntries([...this.buckets].map(([k, b]) => [k, Math.round(b.perSecond * 10) / 10]))
  }

  /** The clock the buckets run on. */
  get time(): Clock {
    return this.clock
  }
}

/** Create operations: set secret, create/import key or certificate, restore. Everything else is "other". */
function isCreate(method: string, segs: string[]): boolean {
  const m = method.toUpperCase()
  const last = (segs[segs.length - 1] ?? '').toLowerCase()
  if (m === 'PUT' && segs.length === 2) return true // set secret, import key
  if (m === 'POST' && (last === 'create' || last === 'import' || last === 'restore')) return true
  return false
}
