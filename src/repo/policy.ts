/**
 * Retention policies with restic's semantics: keep-last/hourly/daily/weekly/monthly/yearly count the most
 * recent snapshot of each calendar bucket (UTC) that has one; keep-within keeps everything within a duration
 * of the newest snapshot; keep-tag keeps snapshots carrying all tags of a list. A snapshot is kept if any
 * rule keeps it. Pure functions: time comes in as an argument.
 */
import { UsageError } from '../core/errors.js'
import type { Snapshot } from './types.js'

/** `-1` means unlimited (every bucket). */
export interface ForgetPolicy {
  last?: number
  hourly?: number
  daily?: number
  weekly?: number
  monthly?: number
  yearly?: number
  within?: Duration
  /** Keep snapshots that have every tag of at least one list. */
  tags?: string[][]
}

export interface Duration {
  years: number
  months: number
  days: number
  hours: number
}

/** Parse restic-style durations: `1y5m7d2h` (years, months, days, hours; any subset, in that order). */
export function parseDuration(text: string): Duration {
  const m = /^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?$/.exec(text.trim())
  if (!m || text.trim() === '') {
    throw new UsageError(`"${text}" is not a duration.`, { hint: 'Write it as years, months, days and hours, e.g. 7d, 12h, 1y6m, 2y5m7d3h.' })
  }
  const n = (i: number): number => Number(m[i] ?? 0)
  return { years: n(1), months: n(2), days: n(3), hours: n(4) }
}

export function formatDuration(d: Duration): string {
  const s = `${d.years ? `${d.years}y` : ''}${d.months ? `${d.months}m` : ''}${d.days ? `${d.days}d` : ''}${d.hours ? `${d.hours}h` : ''}`
  return s || '0h'
}

/** `time` minus `d`, calendar-aware in UTC. */
export function subtractDuration(time: Date, d: Duration): Date {
  const t = new Date(time.getTime())
  t.setUTCFullYear(t.getUTCFullYear() - d.years, t.getUTCMonth() - d.months, t.getUTCDate() - d.days)
  t.setUTCHours(t.getUTCHours() - d.hours)
  return t
}

function isZero(d: Duration | undefined): boolean {
  return !d || (d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0)
}

/** True when the policy keeps nothing by itself (restic refuses such a policy). */
export function isEmptyPolicy(p: ForgetPolicy): boolean {
  const counts = [p.last, p.hourly, p.daily, p.weekly, p.monthly, p.yearly]
  return counts.every((c) => !c) && isZero(p.within) && !(p.tags && p.tags.length > 0)
}

/** ISO 8601 week-numbering year and week of a UTC time, as YYYYWW. */
function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
  const dow = t.getUTCDay() || 7
  t.setUTCDate(t.getUTCDate() + 4 - dow) // the Thursday of this week decides its year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7)
  return t.getUTCFullYear() * 100 + week
}

const BUCKETS: Array<{ key: keyof ForgetPolicy; reason: string; bucket: (d: Date, index: number) => number }> = [
  { key: 'last', reason: 'last snapshot', bucket: (_d, i) => i },
  { key: 'hourly', reason: 'hourly snapshot', bucket: (d) => ((d.getUTCFullYear() * 100 + d.getUTCMonth() + 1) * 100 + d.getUTCDate()) * 100 + d.getUTCHours() },
  { key: 'daily', reason: 'daily snapshot', bucket: (d) => (d.getUTCFullYear() * 100 + d.getUTCMonth() + 1) * 100 + d.getUTCDate() },
  { key: 'weekly', reason: 'weekly snapshot', bucket: isoWeek },
  { key: 'monthly', reason: 'monthly snapshot', bucket: (d) => d.getUTCFullYear() * 100 + d.getUTCMonth() + 1 },
  { key: 'yearly', reason: 'yearly snapshot', bucket: (d) => d.getUTCFullYear() },
]

export interface PolicyDecision {
  snapshot: Snapshot
  keep: boolean
  /** Why it is kept (empty when removed). */
  reasons: string[]
}

/** Newest first: by time, then sequence, then id. */
function newestFirst(a: Snapshot, b: Snapshot): number {
  return Date.parse(b.time) - Date.parse(a.time) || b.seq - a.seq || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/**
 * Decide for one group of snapshots (one vault) which to keep. Returns decisions newest first. Snapshots
 * timed after `now` do not count as the newest for keep-within. When a count rule still has room at the
 * oldest snapshot, that snapshot is kept too (as restic does), so a young history is not cut short.
 */
export function applyPolicy(group: Snapshot[], policy: ForgetPolicy, now: Date): PolicyDecision[] {
  const list = [...group].sort(newestFirst)
  const latestMs = list.map((s) => Date.parse(s.time)).filter((t) => t <= now.getTime()).reduce((m, t) => Math.max(m, t), Number.NEGATIVE_INFINITY)
  const withinFrom = !isZero(policy.within) && Number.isFinite(latestMs) ? subtractDuration(new Date(latestMs), policy.within as Duration).getTime() : undefined
  const state = BUCKETS.map((b) => ({ ...b, left: (policy[b.key] as number | undefined) ?? 0, last: Number.NaN }))
  return list.map((snap, index) => {
    const time = new Date(snap.time)
    const reasons: string[] = []
    for (const tags of policy.tags ?? []) {
      if (tags.every((t) => snap.tags.includes(t))) reasons.push(`has tags ${tags.join(',')}`)
    }
    if (policy.within && !isZero(policy.within) && (withinFrom === undefined || time.getTime() > withinFrom)) {
      reasons.push(`within ${formatDuration(policy.within)}`)
    }
    for (const b of state) {
      if (b.left === 0) continue
      const value = b.bucket(time, index)
      const oldest = index === list.length - 1
      if (value !== b.last || oldest) {
        reasons.push(value === b.last ? `oldest ${b.reason}` : b.reason)
        b.last = value
        if (b.left > 0) b.left--
      }
    }
    return { snapshot: snap, keep: reasons.length > 0, reasons }
  })
}
