/**
 * When to retry a Key Vault request and how long to wait: 429 (with or without Retry-After), 408 and 5xx, and
 * connection resets and timeouts, with exponential backoff and full jitter. DNS failures, TLS trust failures and
 * every other 4xx are final. The SDK's own retry is switched off, so this is the only retry loop.
 */

/** Retry settings of a run. */
export interface RetryOptions {
  /** Attempts per request in all (default 10). */
  maxAttempts: number
  /** First backoff for 5xx and network errors (default 250 ms), doubled per attempt. */
  baseDelayMs: number
  /** First backoff for a 429 without Retry-After (default 1000 ms: Key Vault's guidance), doubled per attempt. */
  throttleBaseDelayMs: number
  /** Longest single backoff (default 32 s); a longer Retry-After is still honoured. */
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 10, baseDelayMs: 250, throttleBaseDelayMs: 1000, maxDelayMs: 32_000 }

/** What to do after one attempt. */
export type RetryDecision =
  | { retry: false }
  | { retry: true; reason: 'throttled' | 'server' | 'network'; delayMs: number; retryAfterMs?: number }

const RETRY_STATUS = new Set([408, 500, 502, 503, 504])
const RETRY_NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'])

/**
 * The delay a response asks for, in ms: `retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` (seconds
 * or an HTTP date). Undefined when absent or unparsable.
 */
export function retryAfterMs(get: (name: string) => string | undefined, now: number): number | undefined {
  for (const h of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = get(h)
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v.trim())) return Number(v)
  }
  const ra = get('retry-after')?.trim()
  if (ra === undefined || ra === '') return undefined
  if (/^\d+(\.\d+)?$/.test(ra)) return Number(ra) * 1000
  const at = Date.parse(ra)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))], at least 1/4 of it. */
export function backoff(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 4 + random() * (ceiling * 3) / 4)
}

/**
 * Decide after attempt number `attempt` (1-based). `status` for answers, `errorCode` for network failures.
 * Aborts are never retried.
 */
export function decide(
  opts: RetryOptions,
  attempt: number,
  result: { status?: number; errorCode?: string; aborted?: boolean; retryAfterMs?: number },
  random?: () => number,
): RetryDecision {
  if (result.aborted || attempt >= opts.maxAttempts) return { retry: false }
  if (result.status === 429) {
    const after = result.retryAfterMs
    const delayMs = after !== undefined ? after : backoff(attempt, opts.throttleBaseDelayMs, opts.maxDelayMs, random)
    return { retry: true, reason: 'throttled', delayMs, ...(after === undefined ? {} : { retryAfterMs: after }) }
  }
  if (result.status !== undefined && RETRY_STATUS.has(result.status)) {
    const after = result.retryAfterMs
    return { retry: true, reason: 'server', delayMs: after ?? backoff(attempt, opts.baseDelayMs, opts.maxDelayMs, random) }
  }
  if (result.status === undefined && result.errorCode !== undefined && RETRY_NETWORK.has(result.errorCode)) {
    // A refused connection is rarely transient on Key Vault: try a little, then let the caller report it.
    if (result.errorCode === 'ECONNREFUSED' && attempt >= 3) return { retry: false }
    return { retry: true, reason: 'network', delayMs: backoff(attempt, opts.baseDelayMs, opts.maxDelayMs, random) }
  }
  return { retry: false }
}
