/** Validation of the traffic parts of the emulator configuration: throttling, faults, latency and the audit log. */
import type { Checker } from './config-check.js'
import type { FaultAction, LatencyRule, NewFaultRule, RequestFilter } from './traffic/faults.js'
import { DEFAULT_THROTTLING, type ThrottleSettings } from './traffic/throttle.js'

/** Throttling as configured (every field optional). */
export interface ThrottlingInput {
  enabled?: boolean
  factor?: number
  retryAfter?: boolean
}

/** A fault rule as configured. */
export interface FaultInput extends RequestFilter {
  /** `500`, `503`, `reset` (drop the connection) or `hang` (never answer). */
  action: FaultAction | '500' | '503'
  when?: 'before' | 'after'
  probability?: number
  count?: number
  retryAfterSeconds?: number
}

/** Latency as configured. */
export interface LatencyInput extends RequestFilter {
  fixedMs?: number
  jitterMs?: number
}

/** The audit log as configured. */
export interface AuditInput {
  /** JSON-lines file every record is appended to. */
  file?: string
  /** Records kept in memory for the handle and the control API (default 10,000). */
  memory?: number
}

const FILTER_KEYS = ['operations', 'vaults']

export function checkThrottling(c: Checker, raw: unknown, path = 'throttling'): ThrottleSettings {
  if (raw === undefined) return { ...DEFAULT_THROTTLING }
  const t = c.object(raw, path, ['enabled', 'factor', 'retryAfter'])
  return {
    enabled: t.enabled === undefined ? DEFAULT_THROTTLING.enabled : c.bool(t.enabled, `${path}.enabled`),
    factor: t.factor === undefined ? DEFAULT_THROTTLING.factor : c.number(t.factor, `${path}.factor`, 0.0001, 1000),
    retryAfter: t.retryAfter === undefined ? DEFAULT_THROTTLING.retryAfter : c.bool(t.retryAfter, `${path}.retryAfter`),
  }
}

/** Validate a partial throttling change (control API). */
export function checkThrottlingChange(c: Checker, raw: unknown, path = 'throttling'): Partial<ThrottleSettings> {
  const t = c.object(raw, path, ['enabled', 'factor', 'retryAfter'])
  return {
    ...(t.enabled === undefined ? {} : { enabled: c.bool(t.enabled, `${path}.enabled`) }),
    ...(t.factor === undefined ? {} : { factor: c.number(t.factor, `${path}.factor`, 0.0001, 1000) }),
    ...(t.retryAfter === undefined ? {} : { retryAfter: c.bool(t.retryAfter, `${path}.retryAfter`) }),
  }
}

function checkFilter(c: Checker, f: Record<string, unknown>, path: string): RequestFilter {
  const strings = (k: string): string[] | undefined =>
    f[k] === undefined ? undefined : c.list(f[k], `${path}.${k}`, 'names').map((x, i) => c.string(x, `${path}.${k}[${i}]`))
  const operations = strings('operations')
  const vaults = strings('vaults')
  return { ...(operations ? { operations } : {}), ...(vaults ? { vaults } : {}) }
}

/** Validate one fault rule. */
export function checkFault(c: Checker, raw: unknown, path: string): NewFaultRule {
  const f = c.object(raw, path, ['action', 'when', 'probability', 'count', 'retryAfterSeconds', ...FILTER_KEYS])
  const a = typeof f.action === 'number' ? String(f.action) : f.action
  const action = c.oneOf(a, `${path}.action`, ['500', '503', 'reset', 'hang'] as const)
  const when = f.when === undefined ? 'before' : c.oneOf(f.when, `${path}.when`, ['before', 'after'] as const)
  if ((f.probability === undefined) === (f.count === undefined)) c.fail(path, 'needs exactly one of probability (0-1) and count (the next N matching calls).')
  return {
    action: action === '500' ? 500 : action === '503' ? 503 : action,
    when,
    ...(f.probability === undefined ? {} : { probability: c.number(f.probability, `${path}.probability`, 0, 1) }),
    ...(f.count === undefined ? {} : { count: c.int(f.count, `${path}.count`, 1, 1_000_000) }),
    ...(f.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: c.int(f.retryAfterSeconds, `${path}.retryAfterSeconds`, 0, 3600) }),
    ...checkFilter(c, f, path),
  }
}

export function checkFaults(c: Checker, raw: unknown): NewFaultRule[] {
  if (raw === undefined) return []
  return c.list(raw, 'faults', 'fault rules').map((f, i) => checkFault(c, f, `faults[${i}]`))
}

/** Validate latency: one rule or a list of rules. */
export function checkLatency(c: Checker, raw: unknown, path = 'latency'): LatencyRule[] {
  if (raw === undefined) return []
  const items = Array.isArray(raw) ? raw.map((r, i) => [r, `${path}[${i}]`] as const) : [[raw, path] as const]
  return items.map(([r, p]) => {
    const l = c.object(r, p, ['fixedMs', 'jitterMs', ...FILTER_KEYS])
    return {
      fixedMs: l.fixedMs === undefined ? 0 : c.int(l.fixedMs, `${p}.fixedMs`, 0, 600_000),
      jitterMs: l.jitterMs === undefined ? 0 : c.int(l.jitterMs, `${p}.jitterMs`, 0, 600_000),
      ...checkFilter(c, l, p),
    }
  })
}

export function checkAudit(c: Checker, raw: unknown): { file?: string; capacity: number } {
  if (raw === undefined) return { capacity: 10_000 }
  const a = c.object(raw, 'audit', ['file', 'memory'])
  return {
    ...(a.file === undefined ? {} : { file: c.string(a.file, 'audit.file') }),
    capacity: a.memory === undefined ? 10_000 : c.int(a.memory, 'audit.memory', 0, 10_000_000),
  }
}
