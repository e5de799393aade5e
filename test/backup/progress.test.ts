/** Progress lines: objects done of total, objects/s and ETA once listings end; periodic lines off a terminal. */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import { printProgress, progressLine, ProgressTracker } from '../../src/backup/progress.js'

describe('progress', () => {
  it('counts, rates and estimates from the tracker', () => {
    const clock = new ManualClock(0, { running: false })
    const t = new ProgressTracker(clock)
    t.listingStarted()
    for (let i = 0; i < 10; i++) t.listedOne()
    for (let i = 0; i < 6; i++) t.willFetch()
    for (let i = 0; i < 4; i++) t.reusedOne()
    clock.advance(2000)
    t.fetchedOne()
    t.fetchedOne(true)
    expect(progressLine(t.view())).toBe('6/10+ objects (2 fetched, 4 unchanged, 1 with errors), 1.0 objects/s, listing')
    t.listingEnded()
    expect(t.view()).toMatchObject({ listingDone: true, etaSeconds: 4, done: 6 })
    expect(progressLine(t.view())).toBe('6/10 objects (2 fetched, 4 unchanged, 1 with errors), 1.0 objects/s, ETA 4s')
  })

  it('off a terminal: a plain line per interval, nothing after stop', async () => {
    const t = new ProgressTracker(new ManualClock(0, { running: false }))
    const out = new PassThrough() as unknown as NodeJS.WriteStream
    let text = ''
    ;(out as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()))
    const stop = printProgress(t, out, { intervalMs: 20 })
    await new Promise((r) => setTimeout(r, 70))
    stop()
    const lines = text.split('\n').filter(Boolean)
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(lines.every((l) => l.startsWith('0/0 objects (0 fetched') && !l.includes('\r'))).toBe(true)
    const after = text.length
    await new Promise((r) => setTimeout(r, 50))
    expect(text.length).toBe(after)
  })
})
