/**
 * Key Vault's throttling (src/core/limits.ts): per vault per 10-second window, secrets and vault transactions at 300
 * creates / 4,000 others, keys weighted by key type and protection on their own budgets (20 create units, 4,000
 * other units), and a subscription-wide limit of 5x the vault limit. The window slides on the emulator clock.
 * Refused calls get Key Vault's 429 before the handler runs and consume no budget. Limits scale by `factor` (tests
 * run at a fraction, benchmarks at 1), and the 429 carries `Retry-After` or, as the real service sometimes does,
 * no retry header at all.
 */
import type { Clock } from '../../core/clock.js'
import { keyOperationWeight, SECRET_LIMITS, KEY_LIMITS, SUBSCRIPTION_LIMIT_FACTOR, THROTTLE_WINDOW_MS } from '../../core/limits.js'
import { KvHttpError } from '../http/errors.js'
import type { Principal, StageRequest, Throttle } from '../http/pipeline.js'
import type { OperationDescriptor } from '../http/router.js'
import { parseKeyThrottleClass } from '../keys/operations.js'

export interface ThrottleSettings {
  enabled: boolean
  /** Multiplies every limit (0.01 = 1% of the published numbers). */
  factor: number
  /** Send `Retry-After` (seconds) with 429s; false = no retry header, as the service sometimes answers. */
  retryAfter: boolean
}

export const DEFAULT_THROTTLING: ThrottleSettings = { enabled: true, factor: 1, retryAfter: true }

export type Bucket = 'secret-create' | 'secret-other' | 'key-create' | 'key-other'

/** Units per window per vault at factor 1. Keys count in units of the software RSA-2048 limit. */
export const BUCKET_LIMITS: Readonly<Record<Bucket, number>> = {
  'secret-create': SECRET_LIMITS.create,
  'secret-other': SECRET_LIMITS.other,
  'key-create': KEY_LIMITS['RSA-2048'].software.create,
  'key-other': KEY_LIMITS['RSA-2048'].software.other,
}

/** How a request counts: its bucket and its weight in units. */
export interface Charge {
  bucket: Bucket
  units: number
}

/**
 * The bucket and weight of an operation. Key classes (`key-create` / `key-other`, refined per request by the Keys API
 * to `key-<kind>/<family>/<protection>`) are weighted by key family on the key budgets; every other class (secrets,
 * certificates, vault transactions) counts one unit on the secrets budgets, `*-create` on the create budget.
 */
function chargeOf(operation: OperationDescriptor): Charge {
  const key = parseKeyThrottleClass(operation.throttleClass)
  if (key) return { bucket: key.kind === 'create' ? 'key-create' : 'key-other', units: keyOperationWeight(key.family, key.protection, key.kind) }
  return { bucket: operation.throttleClass.toLowerCase().endsWith('-create') ? 'secret-create' : 'secret-other', units: 1 }
}

/** Admitted charges in one window, oldest first. */
class Window {
  private times: number[] = []
  private units: number[] = []
  private head = 0
  private sum = 0

  used(now: number): number {
    const from = now - THROTTLE_WINDOW_MS
    while (this.head < this.times.length && (this.times[this.head] as number) <= from) {
      this.sum -= this.units[this.head] as number
      this.head++
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head)
      this.units = this.units.slice(this.head)
      this.head = 0
    }
    return this.sum
  }

  add(now: number, units: number): void {
    this.times.push(now)
    this.units.push(units)
    this.sum += units
  }

  /** Milliseconds until `units` more fit under `limit`. */
  waitFor(now: number, units: number, limit: number): number {
    let sum = this.used(now)
    for (let i = this.head; i < this.times.length && sum + units > limit; i++) {
      sum -= this.units[i] as number
      if (sum + units <= limit) return (this.times[i] as number) + THROTTLE_WINDOW_MS - now
    }
    return THROTTLE_WINDOW_MS
  }
}

/** The 429 Key Vault answers (`Throttled`, VaultRequestTypeLimitReached). */
export function throttled(reason: string, retryAfterSeconds: number | undefined): KvHttpError {
  return new KvHttpError(429, 'Throttled', `Request was not processed because too many requests were received. Reason: ${reason}`, {
    headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
  })
}

export class SlidingWindowThrottle implements Throttle {
  private readonly windows = new Map<string, Window>()
  private current: ThrottleSettings

  constructor(
    private readonly clock: Clock,
    settings: ThrottleSettings,
  ) {
    this.current = { ...settings }
  }

  get settings(): ThrottleSettings {
    return { ...this.current }
  }

  /** Change settings at run time. Windows keep what they admitted. */
  configure(change: Partial<ThrottleSettings>): ThrottleSettings {
    this.current = { ...this.current, ...change }
    return this.settings
  }

  /** Forget everything admitted so far (a fresh 10-second budget everywhere). */
  reset(): void {
    this.windows.clear()
  }

  admit(_principal: Principal, operation: OperationDescriptor, req: StageRequest): void {
    if (!this.current.enabled) return
    const { bucket, units } = chargeOf(operation)
    const now = this.clock.now()
    // At least one request of any weight fits in an empty window, however small the factor.
    const vaultLimit = Math.max(units, BUCKET_LIMITS[bucket] * this.current.factor)
    const subLimit = vaultLimit * SUBSCRIPTION_LIMIT_FACTOR
    const vault = this.window(`vault|${req.vault.name.toLowerCase()}|${bucket}`)
    const sub = this.window(`subscription|${req.vault.subscriptionId.toLowerCase()}|${bucket}`)
    const vaultFull = vault.used(now) + units > vaultLimit
    const subFull = sub.used(now) + units > subLimit
    if (vaultFull || subFull) {
      const waitMs = Math.max(vaultFull ? vault.waitFor(now, units, vaultLimit) : 0, subFull ? sub.waitFor(now, units, subLimit) : 0)
      const retry = this.current.retryAfter ? Math.max(1, Math.ceil(waitMs / 1000)) : undefined
      throw throttled(vaultFull ? 'VaultRequestTypeLimitReached' : 'SubscriptionRequestTypeLimitReached', retry)
    }
    vault.add(now, units)
    sub.add(now, units)
  }

  private window(key: string): Window {
    let w = this.windows.get(key)
    if (!w) this.windows.set(key, (w = new Window()))
    return w
  }
}
