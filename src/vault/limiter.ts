/**
 * Adaptive concurrency: how many requests to one vault may be in flight. Starts small, doubles per round
 * trip while everything is healthy (slow start), then grows by one per round trip; a 429 halves it and rising
 * latency trims it, at most once per round trip (responses to requests sent before a cut carry no news).
 * Never above the configured maximum (`--concurrency`), never below one.
 */
import type { Clock } from '../core/clock.js'

/** How a request that held a slot ended. */
export interface Outcome {
  /** The service throttled it (429). */
  throttled?: boolean
  /** It got an answer (any status) after this many milliseconds. Absent for network failures. */
  latencyMs?: number
}

export interface Permit {
  /** Give the slot back and report how the request went. Idempotent. */
  release(outcome: Outcome): void
}

export class AdaptiveLimiter {
  private limit: number
  private inFlight = 0
  private slowStart = true
  private lastCut = 0
  private minLatency = Infinity
  private avgLatency = 0
  private readonly waiters: Array<{ resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }> = []

  constructor(
    readonly max: number,
    private readonly clock: Clock,
    initial = Math.min(4, max),
  ) {
    this.limit = Math.max(1, Math.min(initial, max))
  }

  /** The current limit (whole requests). */
  get current(): number {
    return Math.floor(this.limit)
  }

  get active(): number {
    return this.inFlight
  }

  /** Wait for a slot. Rejects with the signal's reason when aborted while waiting. */
  async acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) throw signal.reason
    if (this.inFlight < this.current && this.waiters.length === 0) {
      this.inFlight++
      return this.permit()
    }
    // A released slot is handed over directly (inFlight already counts it), so nobody can overtake a waiter.
    await new Promise<void>((resolve, reject) => {
      const w: (typeof this.waiters)[number] = { resolve, reject }
      if (signal) {
        w.signal = signal
        w.onAbort = () => {
          const i = this.waiters.indexOf(w)
          if (i >= 0) this.waiters.splice(i, 1)
          reject(signal.reason)
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.waiters.push(w)
    })
    return this.permit()
  }

  private permit(): Permit {
    const startedAt = this.clock.now()
    let done = false
    return {
      release: (outcome) => {
        if (done) return
        done = true
        this.inFlight--
        this.adjust(outcome, startedAt)
        this.wake()
      },
    }
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.inFlight < this.current) {
      const w = this.waiters.shift()!
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort)
      this.inFlight++
      w.resolve()
    }
  }

  private adjust(outcome: Outcome, startedAt: number): void {
    const fresh = startedAt >= this.lastCut
    if (outcome.throttled) {
      this.slowStart = false
      if (fresh) this.cut(0.5)
      return
    }
    if (outcome.latencyMs === undefined) return
    const l = outcome.latencyMs
    this.minLatency = Math.min(this.minLatency, l)
    this.avgLatency = this.avgLatency === 0 ? l : this.avgLatency * 0.9 + l * 0.1
    if (fresh && this.avgLatency > 3 * this.minLatency + 100) {
      this.slowStart = false
      this.cut(0.9)
      this.avgLatency = this.minLatency * 2
      return
    }
    this.limit = Math.min(this.max, this.limit + (this.slowStart ? 1 : 1 / this.limit))
  }

  private cut(factor: number): void {
    this.limit = Math.max(1, this.limit * factor)
    this.lastCut = this.clock.now()
  }
}
