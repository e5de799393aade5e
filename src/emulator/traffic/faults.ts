/**
 * Adversity on demand: latency (fixed + jitter) and faults (an HTTP 500 or 503, a connection reset, or a request
 * that never answers until the client gives up or the emulator stops), each with a probability or for "the next N
 * matching calls", optionally filtered by vault and operation. Faults strike BEFORE the handler (nothing applied)
 * unless a rule asks for `after`: then the request is applied and committed, and only its response is lost, which
 * is how an idempotent retry gets tested.
 */
import { randomUUID } from 'node:crypto'
import { DropConnection, KvHttpError } from '../http/errors.js'
import type { FaultInjector, StageRequest } from '../http/pipeline.js'
import type { OperationDescriptor } from '../http/router.js'
import { actionMatches } from '../access/roles.js'

/** What a fault does: answer with an HTTP error status, reset the connection, or never answer. */
export type FaultAction = 500 | 503 | 'reset' | 'hang'

/** Which requests a rule applies to. Empty or absent lists match everything. */
export interface RequestFilter {
  /** Operation names (`SecretGet`) or data-action patterns (`Microsoft.KeyVault/vaults/secrets/*`); `*` is a wildcard. */
  operations?: string[]
  vaults?: string[]
}

export interface FaultRule extends RequestFilter {
  /** Assigned when the rule is added. */
  id: string
  action: FaultAction
  /** `before` (default): the handler never runs. `after`: the handler runs and commits; the response is lost. */
  when: 'before' | 'after'
  /** Chance per matching request (0-1). Exactly one of probability and count. */
  probability?: number
  /** Strike the next N matching requests, then the rule is spent and removed. */
  count?: number
  /** For 503: send `Retry-After: <seconds>`. */
  retryAfterSeconds?: number
}

export type NewFaultRule = Omit<FaultRule, 'id' | 'when'> & { when?: 'before' | 'after' }

export interface LatencyRule extends RequestFilter {
  fixedMs: number
  /** Up to this much more, uniformly random. */
  jitterMs: number
}

/** True when `op` in vault `vault` passes `filter`. */
function filterMatches(filter: RequestFilter, op: OperationDescriptor, vault: string): boolean {
  if (filter.vaults?.length && !filter.vaults.some((v) => v.toLowerCase() === vault.toLowerCase())) return false
  if (filter.operations?.length && !filter.operations.some((p) => actionMatches(p, op.name) || actionMatches(p, op.dataAction))) return false
  return true
}

/** The error bodies fault statuses answer with (the emulator's wording). */
function faultError(status: 500 | 503, retryAfterSeconds?: number): KvHttpError {
  return status === 503
    ? new KvHttpError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry later. (injected by the kvdr emulator)', {
        headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
      })
    : new KvHttpError(500, 'InternalServerError', 'An unexpected error occurred while processing the request. (injected by the kvdr emulator)')
}

export class Adversity implements FaultInjector {
  private readonly rules: FaultRule[] = []
  private latencyRules: LatencyRule[] = []

  constructor(private readonly random: () => number = Math.random) {}

  /** Add a fault rule; returns it with its id. */
  addFault(rule: NewFaultRule): FaultRule {
    const r: FaultRule = { ...rule, id: randomUUID(), when: rule.when ?? 'before' }
    this.rules.push(r)
    return r
  }

  /** Remove one rule (by id) or, without an id, every rule. Returns how many were removed. */
  clearFaults(id?: string): number {
    const before = this.rules.length
    for (let i = this.rules.length - 1; i >= 0; i--) if (id === undefined || this.rules[i]?.id === id) this.rules.splice(i, 1)
    return before - this.rules.length
  }

  faults(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }))
  }

  setLatency(rules: LatencyRule[]): void {
    this.latencyRules = rules.map((r) => ({ ...r }))
  }

  latency(): LatencyRule[] {
    return this.latencyRules.map((r) => ({ ...r }))
  }

  async inject(operation: OperationDescriptor, req: StageRequest): Promise<void> {
    const delay = this.latencyRules.filter((r) => filterMatches(r, operation, req.vault.name)).reduce((ms, r) => ms + r.fixedMs + this.random() * r.jitterMs, 0)
    if (delay > 0) await sleep(delay, req.signal)
    await this.strike('before', operation, req)
  }

  async after(operation: OperationDescriptor, req: StageRequest): Promise<void> {
    await this.strike('after', operation, req)
  }

  private async strike(when: 'before' | 'after', operation: OperationDescriptor, req: StageRequest): Promise<void> {
    const rule = this.rules.find((r) => r.when === when && filterMatches(r, operation, req.vault.name) && (r.count !== undefined || this.random() < (r.probability ?? 0)))
    if (!rule) return
    if (rule.count !== undefined) {
      rule.count--
      if (rule.count <= 0) this.clearFaults(rule.id)
    }
    if (rule.action === 'reset') throw new DropConnection()
    if (rule.action === 'hang') {
      await sleep(Number.POSITIVE_INFINITY, req.signal)
      throw new DropConnection()
    }
    throw faultError(rule.action, rule.retryAfterSeconds)
  }
}

/** Wait `ms` (Infinity = until aborted). Throws DropConnection when `signal` aborts: the client is gone. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DropConnection())
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined
    function done(): void {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort(): void {
      if (timer !== undefined) clearTimeout(timer)
      reject(new DropConnection())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
