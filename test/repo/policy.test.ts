/** Retention policies, table-driven against restic's documented semantics (UTC calendar buckets). */
import { describe, expect, it } from 'vitest'
import { applyPolicy, type ForgetPolicy, isEmptyPolicy, parseDuration } from '../../src/repo/policy.js'
import type { Snapshot, SnapshotId } from '../../src/repo/types.js'

let counter = 0
function snap(time: string, tags: string[] = []): Snapshot {
  counter++
  return {
    id: counter.toString(16).padStart(64, '0') as SnapshotId,
    seq: counter,
    parent: null,
    time: new Date(time).toISOString(),
    tool: { name: 'kvdr', version: 'test' },
    vault: { url: 'https://v.vault.azure.net' },
    tags,
    summary: { done: 0, warnings: 0, errors: 0, problems: [] },
    entryCount: 0,
    pages: [],
  }
}

const sundays = [
  '2019-09-01', '2019-09-08', '2019-09-15', '2019-09-22', '2019-09-29', '2019-10-06',
  '2019-10-13', '2019-10-20', '2019-10-27', '2019-11-03', '2019-11-10', '2019-11-17',
].map((d) => `${d}T11:00:00Z`)

const hourlyRun = Array.from({ length: 10 }, (_, i) => `2026-03-01T${String(i).padStart(2, '0')}:30:00Z`)
const twicePerDay = ['2026-03-01T06:00:00Z', '2026-03-01T18:00:00Z', '2026-03-02T06:00:00Z', '2026-03-02T18:00:00Z', '2026-03-03T06:00:00Z', '2026-03-03T18:00:00Z']
const acrossYears = ['2024-06-01T00:00:00Z', '2024-12-31T00:00:00Z', '2025-01-15T00:00:00Z', '2025-12-01T00:00:00Z', '2025-12-29T00:00:00Z', '2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z']

interface Case {
  name: string
  times: string[]
  tags?: Record<string, string[]>
  policy: ForgetPolicy
  now?: string
  keep: string[]
}

const cases: Case[] = [
  { name: 'keep-last 3 keeps the three newest', times: hourlyRun, policy: { last: 3 }, keep: hourlyRun.slice(7) },
  { name: 'keep-daily 4 on weekly backups keeps the last four (restic docs example)', times: sundays, policy: { daily: 4 }, keep: sundays.slice(8) },
  { name: 'keep-daily keeps the newest snapshot of each day', times: twicePerDay, policy: { daily: 2 }, keep: ['2026-03-02T18:00:00Z', '2026-03-03T18:00:00Z'] },
  { name: 'keep-hourly 3', times: hourlyRun, policy: { hourly: 3 }, keep: hourlyRun.slice(7) },
  {
    name: 'keep-weekly uses ISO weeks (2025-12-29 and 2026-01-02 are both week 1 of 2026)',
    times: acrossYears,
    policy: { weekly: 2 },
    keep: ['2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z'],
  },
  { name: 'keep-monthly 3', times: acrossYears, policy: { monthly: 3 }, keep: ['2025-12-29T00:00:00Z', '2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z'] },
  { name: 'keep-yearly 2 keeps the last snapshot of each year', times: acrossYears, policy: { yearly: 2 }, keep: ['2025-12-29T00:00:00Z', '2026-02-01T00:00:00Z'] },
  {
    name: 'keep-yearly unlimited keeps every year (and, with room left, the oldest)',
    times: acrossYears,
    policy: { yearly: -1 },
    keep: ['2024-06-01T00:00:00Z', '2024-12-31T00:00:00Z', '2025-12-29T00:00:00Z', '2026-02-01T00:00:00Z'],
  },
  {
    name: 'a count rule with room left also keeps the oldest snapshot',
    times: ['2026-03-01T01:00:00Z', '2026-03-01T02:00:00Z', '2026-03-01T03:00:00Z'],
    policy: { daily: 5 },
    keep: ['2026-03-01T01:00:00Z', '2026-03-01T03:00:00Z'],
  },
  {
    name: 'keep-within counts from the newest snapshot, not from now (the boundary itself is outside)',
    times: ['2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z', '2026-01-08T01:00:00Z', '2026-01-09T12:00:00Z', '2026-01-10T00:00:00Z'],
    policy: { within: parseDuration('2d') },
    now: '2026-06-01T00:00:00Z',
    keep: ['2026-01-08T01:00:00Z', '2026-01-09T12:00:00Z', '2026-01-10T00:00:00Z'],
  },
  {
    name: 'keep-within ignores snapshots timed in the future when finding the newest',
    times: ['2026-01-01T00:00:00Z', '2026-01-05T06:00:00Z', '2026-01-06T00:00:00Z', '2027-01-01T00:00:00Z'],
    policy: { within: parseDuration('1d') },
    now: '2026-02-01T00:00:00Z',
    keep: ['2026-01-05T06:00:00Z', '2026-01-06T00:00:00Z', '2027-01-01T00:00:00Z'],
  },
  {
    name: 'keep-tag keeps snapshots carrying every tag of a list',
    times: ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'],
    tags: { '2026-01-01T00:00:00Z': ['monthly', 'audit'], '2026-01-02T00:00:00Z': ['monthly'] },
    policy: { tags: [['monthly', 'audit']] },
    keep: ['2026-01-01T00:00:00Z'],
  },
  {
    name: 'rules are ORed: keep-last 1 plus keep-monthly 2',
    times: acrossYears,
    policy: { last: 1, monthly: 2 },
    keep: ['2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z'],
  },
]

describe('applyPolicy', () => {
  it.each(cases)('$name', (c) => {
    const snaps = c.times.map((t) => snap(t, c.tags?.[t] ?? []))
    const decisions = applyPolicy(snaps, c.policy, new Date(c.now ?? '2026-12-31T00:00:00Z'))
    expect(decisions).toHaveLength(snaps.length)
    const kept = decisions.filter((d) => d.keep).map((d) => d.snapshot.time).sort()
    expect(kept).toEqual(c.keep.map((t) => new Date(t).toISOString()).sort())
    for (const d of decisions) expect(d.keep).toBe(d.reasons.length > 0)
  })

  it('explains why each snapshot is kept', () => {
    const decisions = applyPolicy(['2026-03-01T01:00:00Z', '2026-03-01T03:00:00Z'].map((t) => snap(t)), { daily: 3, last: 1 }, new Date('2026-04-01T00:00:00Z'))
    expect(decisions.map((d) => d.reasons)).toEqual([['last snapshot', 'daily snapshot'], ['oldest daily snapshot']])
  })

  it('treats a policy without rules as empty, and parses durations strictly', () => {
    expect(isEmptyPolicy({})).toBe(true)
    expect(isEmptyPolicy({ last: 0, tags: [] })).toBe(true)
    expect(isEmptyPolicy({ within: parseDuration('1h') })).toBe(false)
    expect(parseDuration('2y5m7d3h')).toEqual({ years: 2, months: 5, days: 7, hours: 3 })
    expect(() => parseDuration('1w')).toThrow(/not a duration/)
    expect(() => parseDuration('')).toThrow(/not a duration/)
  })
})
