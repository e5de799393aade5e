/** Fault-injection wrapper for tests: errors by probability or for the next N calls, and latency, per operation. */
import { type Clock, systemClock } from '../core/clock.js'
import { StoreError } from './errors.js'
import type { BlobInfo, ObjectStore, StoreOp } from './types.js'

export interface FaultRule {
  /** Chance in [0, 1] that a call fails (before it reaches the inner store). */
  probability?: number
  /** Fixed delay added to every call. */
  latencyMs?: number
  /** Extra random delay in [0, jitterMs) added to every call. */
  jitterMs?: number
  /** The error to throw. Default: a transient StoreError as for an HTTP 503. */
  error?: () => Error
}

export interface FaultOptions {
  /** Rules per operation; '*' applies to operations without their own rule. */
  rules?: Partial<Record<StoreOp | '*', FaultRule>>
  /** Source of randomness in [0, 1). Pass a seeded one for reproducible runs. Default Math.random. */
  random?: () => number
  /** Used for latency. Default the system clock. */
  clock?: Clock
}

/** The default injected failure: what a 503 Server Busy looks like after error mapping. */
export function injectedTransientError(): StoreError {
  return new StoreError('STORE_SERVER', 'Injected fault: the service is busy (503).', { transient: true, details: { injected: true } })
}

/**
 * Wraps a store and makes calls fail or slow down. Failures happen before the inner store is called, so a
 * failed putIfAbsent wrote nothing. A failing list() yields some entries first (random 0-7 unless given),
 * to exercise restarts. `injected` counts the faults thrown per operation, so tests can prove faults happened.
 */
export class FaultyStore implements ObjectStore {
  readonly location: string
  readonly injected: Record<StoreOp, number> = { putIfAbsent: 0, get: 0, stat: 0, list: 0, delete: 0 }
  private readonly rules: Partial<Record<StoreOp | '*', FaultRule>>
  private readonly random: () => number
  private readonly clock: Clock
  private readonly pending: Array<{ op: StoreOp | '*'; left: number; error: () => Error; afterEntries: number | undefined }> = []

  constructor(
    private readonly inner: ObjectStore,
    options: FaultOptions = {},
  ) {
    this.location = inner.location
    this.rules = { ...options.rules }
    this.random = options.random ?? Math.random
    this.clock = options.clock ?? systemClock
  }

  /**
   * Make the next `count` calls of `op` ('*' = any operation) fail with `error` (default: transient 503).
   * `afterEntries` makes a failing list() yield that many entries first (default: a random number, 0-7).
   */
  failNext(op: StoreOp | '*', count: number, error: () => Error = injectedTransientError, options: { afterEntries?: number } = {}): void {
    this.pending.push({ op, left: count, error, afterEntries: options.afterEntries })
  }

  /** Replace the rule for `op` (undefined removes it). */
  setRule(op: StoreOp | '*', rule: FaultRule | undefined): void {
    if (rule === undefined) delete this.rules[op]
    else this.rules[op] = rule
  }

  /** Apply latency, then return the error this call must fail with, if any (and, for list, when). */
  private async fault(op: StoreOp): Promise<{ error: Error; afterEntries?: number } | undefined> {
    const rule = this.rules[op] ?? this.rules['*']
    const delay = (rule?.latencyMs ?? 0) + (rule?.jitterMs ? this.random() * rule.jitterMs : 0)
    if (delay > 0) await this.clock.sleep(delay)
    const forced = this.pending.find((p) => p.left > 0 && (p.op === op || p.op === '*'))
    let fault: { error: Error; afterEntries?: number } | undefined
    if (forced) {
      forced.left -= 1
      fault = { error: forced.error(), ...(forced.afterEntries === undefined ? {} : { afterEntries: forced.afterEntries }) }
    } else if (rule?.probability && this.random() < rule.probability) {
      fault = { error: (rule.error ?? injectedTransientError)() }
    }
    if (fault) this.injected[op] += 1
    return fault
  }

  private async call<T>(op: StoreOp, fn: () => Promise<T>): Promise<T> {
    const fault = await this.fault(op)
    if (fault) throw fault.error
    return fn()
  }

  putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    return this.call('putIfAbsent', () => this.inner.putIfAbsent(name, data))
  }

  get(name: string): Promise<Uint8Array> {
    return this.call('get', () => this.inner.get(name))
  }

  stat(name: string): Promise<BlobInfo | undefined> {
    return this.call('stat', () => this.inner.stat(name))
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const fault = await this.fault('list')
    const failAfter = fault ? (fault.afterEntries ?? Math.floor(this.random() * 8)) : Infinity
    let yielded = 0
    for await (const blob of this.inner.list(prefix)) {
      if (yielded === failAfter) break
      yield blob
      yielded += 1
    }
    if (fault) throw fault.error
  }

  delete(name: string): Promise<void> {
    return this.call('delete', () => this.inner.delete(name))
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
