/**
 * The Governor owns every request kvdr sends to one vault: a pipeline policy, placed closest to the wire (after
 * the SDK's authentication), that waits for the budget and a concurrency slot, sends, and retries throttling,
 * server errors and resets with backoff - while the SDK's own retry is off, so attempts never multiply. It also
 * observes what the vault tells about itself (region, tenant in the challenge, server time) and counts what it
 * did. Shared by the read side (backup) and the write side (restore).
 */
import type { SecretClientOptions } from '@azure/keyvault-secrets'
import { type Clock, systemClock } from '../core/clock.js'
import { type BudgetLimits, DEFAULT_LIMITS, type KeyProfile, type RequestCost, type SubscriptionBudgets, VaultBudget } from './budget.js'
import { AdaptiveLimiter } from './limiter.js'
import { networkCode } from './errors.js'
import { decide, DEFAULT_RETRY, type RetryOptions, retryAfterMs } from './retry.js'

/** What a governor counted. `requests` counts every request put on the wire, retries and challenges included. */
export interface RequestStats {
  requests: number
  /** Requests that were retries of an earlier attempt. */
  retries: number
  /** 429 answers received. */
  throttled: number
  /** 5xx and 408 answers received. */
  serverErrors: number
  /** Connection resets, timeouts and refusals. */
  networkErrors: number
  /** Milliseconds spent waiting for the budget (throttle avoidance). */
  budgetWaitMs: number
}

/** What the vault said about itself in response headers and its challenge. */
export interface VaultObservations {
  /** `x-ms-keyvault-region`. */
  region?: string
  /** From the 401 challenge's `authorization="https://login.../<tenant>"`. */
  tenantId?: string
  /** The newest `Date` header seen (ms since epoch, second precision), the vault's clock. */
  serverTime?: number
}

export interface GovernorOptions {
  clock?: Clock
  /** Most requests in flight (default 32). */
  maxConcurrency?: number
  limits?: BudgetLimits
  retry?: Partial<RetryOptions>
  /** Share the subscription-wide limit with other vaults of the same subscription in this run. */
  subscription?: { budgets: SubscriptionBudgets; subscriptionId: string }
  /** Per-attempt timeout (default 120 s). */
  attemptTimeoutMs?: number
  /** Jitter source (tests). */
  random?: () => number
}

/** The SDK pipeline's policy shape, taken from the client options so no transitive package is imported. */
export type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy']
type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0]
type PipelineResponse = Awaited<ReturnType<PipelinePolicy['sendRequest']>>

/** The request's abort signal as a DOM AbortSignal (what the pipeline passes at run time), or a bridged one. */
function signalOf(request: PipelineRequest): AbortSignal | undefined {
  const s = request.abortSignal
  if (s === undefined || s instanceof AbortSignal) return s
  const c = new AbortController()
  if (s.aborted) c.abort()
  else s.addEventListener('abort', () => c.abort())
  return c.signal
}

const TENANT_RE = /authorization(?:_uri)?="https:\/\/[^/"]+\/([0-9a-fA-F-]{36}|[A-Za-z0-9.-]+)"/

export class Governor {
  readonly stats: RequestStats = { requests: 0, retries: 0, throttled: 0, serverErrors: 0, networkErrors: 0, budgetWaitMs: 0 }
  readonly observed: VaultObservations = {}
  readonly budget: VaultBudget
  readonly limiter: AdaptiveLimiter
  private readonly clock: Clock
  private readonly retry: RetryOptions
  private readonly attemptTimeoutMs: number
  private readonly random: () => number
  /** Raw bodies of error answers by request, for errors the SDK reports without them (failed listing pages). */
  private readonly errorBodies = new WeakMap<object, string>()

  constructor(options: GovernorOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.budget = new VaultBudget(options.limits ?? DEFAULT_LIMITS, this.clock, options.subscription)
    this.limiter = new AdaptiveLimiter(Math.max(1, options.maxConcurrency ?? 32), this.clock)
    this.retry = { ...DEFAULT_RETRY, ...options.retry }
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 120_000
    this.random = options.random ?? Math.random
  }

  /** Remember a key's type so operations on it are weighted by Key Vault's table. */
  learnKey(name: string, profile: KeyProfile): void {
    this.budget.learnKey(name, profile)
  }

  /** The pipeline policy to install with `additionalPolicies: [{ policy, position: 'perRetry' }]`. */
  policy(): PipelinePolicy {
    return { name: 'kvdrGovernor', sendRequest: (request, next) => this.send(request, next) }
  }

  private async send(request: PipelineRequest, next: (r: PipelineRequest) => Promise<PipelineResponse>): Promise<PipelineResponse> {
    const cost = this.budget.costOf(request.method, new URL(request.url).pathname)
    if (!request.timeout) request.timeout = this.attemptTimeoutMs
    const signal = signalOf(request)
    for (let attempt = 1; ; attempt++) {
      // A slot first, then the budget: a Retry-After pause then holds every request not yet on the wire.
      const permit = await this.limiter.acquire(signal)
      const waitStart = this.clock.now()
      try {
        await this.budget.acquire(cost, signal)
      } catch (err) {
        permit.release({})
        throw err
      }
      this.stats.budgetWaitMs += this.clock.now() - waitStart
      this.stats.requests++
      if (attempt > 1) this.stats.retries++
      const sentAt = this.clock.now()
      let response: PipelineResponse | undefined
      let error: unknown
      try {
        response = await next(request)
      } catch (err) {
        error = err
      }
      const status = response?.status
      permit.release({ throttled: status === 429, ...(response ? { latencyMs: this.clock.now() - sentAt } : {}) })
      if (response) {
        this.observe(response)
        if (response.status >= 400 && typeof response.bodyAsText === 'string') this.errorBodies.set(request, response.bodyAsText)
      }
      const after = response ? retryAfterMs((h) => response.headers.get(h), this.clock.now()) : undefined
      const code = error === undefined ? undefined : (networkCode(error) ?? (error as { code?: unknown }).code)
      const aborted = signal?.aborted === true || (error as { name?: unknown })?.name === 'AbortError'
      const decision = decide(this.retry, attempt, { ...(status === undefined ? {} : { status }), ...(typeof code === 'string' ? { errorCode: code } : {}), aborted, ...(after === undefined ? {} : { retryAfterMs: after }) }, this.random)
      this.count(status, error)
      this.feedback(cost, status, after)
      if (!decision.retry) {
        if (response) return response
        throw error
      }
      await this.clock.sleep(decision.delayMs, signal)
    }
  }

  /** The raw body of the error answer to `request` (the `request` an SDK error carries), if any. */
  errorBody(request: unknown): string | undefined {
    return typeof request === 'object' && request !== null ? this.errorBodies.get(request) : undefined
  }

  private count(status: number | undefined, error: unknown): void {
    if (status === 429) this.stats.throttled++
    else if (status !== undefined && (status >= 500 || status === 408)) this.stats.serverErrors++
    else if (status === undefined && error !== undefined) this.stats.networkErrors++
  }

  private feedback(cost: RequestCost, status: number | undefined, after: number | undefined): void {
    if (status === 429) this.budget.throttled(cost, after === undefined ? undefined : this.clock.now() + after)
    else if (status !== undefined && status < 500) this.budget.succeeded(cost)
  }

  private observe(response: PipelineResponse): void {
    const region = response.headers.get('x-ms-keyvault-region')
    if (region) this.observed.region = region
    const date = response.headers.get('date')
    if (date) {
      const t = Date.parse(date)
      if (!Number.isNaN(t) && (this.observed.serverTime === undefined || t > this.observed.serverTime)) this.observed.serverTime = t
    }
    if (response.status === 401) {
      const tenant = TENANT_RE.exec(response.headers.get('www-authenticate') ?? '')?.[1]
      if (tenant) this.observed.tenantId = tenant
    }
  }
}
