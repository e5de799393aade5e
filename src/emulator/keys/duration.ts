/** ISO 8601 durations as key rotation policies use them (`P90D`, `P3M`, `PT48H`, `P1Y10D`): parsing and calendar arithmetic. */

/** A parsed duration; every part is a non-negative integer. */
export interface Duration {
  years: number
  months: number
  weeks: number
  days: number
  hours: number
  minutes: number
  seconds: number
}

const PATTERN = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/

/** Parse `PnYnMnWnDTnHnMnS` (integer parts, at least one). Returns undefined for anything else. */
export function parseDuration(text: unknown): Duration | undefined {
  if (typeof text !== 'string') return undefined
  const m = PATTERN.exec(text.toUpperCase())
  if (!m) return undefined
  const n = (i: number): number => Number(m[i] ?? 0)
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) }
}

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/**
 * `epochMs` moved by the duration (backwards when `direction` is -1): years and months on the UTC calendar, the
 * rest as fixed lengths.
 */
export function addDuration(epochMs: number, d: Duration, direction: 1 | -1 = 1): number {
  const date = new Date(epochMs)
  date.setUTCMonth(date.getUTCMonth() + direction * (d.years * 12 + d.months))
  const fixed = (d.weeks * 7 + d.days) * DAY_MS + d.hours * HOUR_MS + d.minutes * 60_000 + d.seconds * 1000
  return date.getTime() + direction * fixed
}

/** Length in days, counting a year as 365 and a month as 30 days (for minimum-length checks). */
export function approximateDays(d: Duration): number {
  return d.years * 365 + d.months * 30 + d.weeks * 7 + d.days + (d.hours * HOUR_MS + d.minutes * 60_000 + d.seconds * 1000) / DAY_MS
}
