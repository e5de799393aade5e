/**
 * Progress of a backup run: counters the run updates, and the lines kvdr prints from them - a line rewritten in
 * place on a terminal (objects, objects/s, ETA), a plain line every few seconds otherwise. Never names values.
 */
import type { Clock } from '../core/clock.js'

/** What a progress line shows. */
export interface ProgressView {
  /** Objects listed so far (all vaults). */
  listed: number
  /** Objects finished: captured, reused, recorded as deleted, or failed. */
  done: number
  /** Objects that need fetching (known once listings end) and how many of them are fetched. */
  toFetch: number
  fetched: number
  reused: number
  failed: number
  /** True once every listing has ended (then `etaSeconds` is meaningful). */
  listingDone: boolean
  /** Fetched objects per second so far. */
  rate: number
  etaSeconds?: number
  elapsedSeconds: number
}

/** Counters shared by the vault runs of one backup. */
export class ProgressTracker {
  private listed = 0
  private toFetch = 0
  private fetched = 0
  private reused = 0
  private recorded = 0
  private failed = 0
  private openListings = 0
  private readonly started: number

  constructor(private readonly clock: Clock) {
    this.started = clock.now()
  }

  listingStarted(): void {
    this.openListings++
  }
  listingEnded(): void {
    this.openListings--
  }
  listedOne(): void {
    this.listed++
  }
  willFetch(): void {
    this.toFetch++
  }
  fetchedOne(failed = false): void {
    this.fetched++
    if (failed) this.failed++
  }
  reusedOne(): void {
    this.reused++
  }
  recordedOne(): void {
    this.recorded++
  }

  view(): ProgressView {
    const elapsed = Math.max(0.001, (this.clock.now() - this.started) / 1000)
    const rate = this.fetched / elapsed
    const listingDone = this.openListings === 0
    const left = this.toFetch - this.fetched
    return {
      listed: this.listed,
      done: this.fetched + this.reused + this.recorded,
      toFetch: this.toFetch,
      fetched: this.fetched,
      reused: this.reused,
      failed: this.failed,
      listingDone,
      rate,
      ...(listingDone && rate > 0 ? { etaSeconds: Math.ceil(left / rate) } : {}),
      elapsedSeconds: elapsed,
    }
  }
}

function duration(s: number): string {
  if (s < 60) return `${Math.round(s)}s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}

/** One progress line, e.g. `1200/5700 objects (900 fetched, 300 unchanged), 85.2 objects/s, ETA 55s`. */
export function progressLine(v: ProgressView): string {
  const total = v.listingDone ? `${v.toFetch + v.reused}` : `${v.listed}+`
  const eta = v.etaSeconds !== undefined ? `, ETA ${duration(v.etaSeconds)}` : v.listingDone ? '' : ', listing'
  const failed = v.failed > 0 ? `, ${v.failed} with errors` : ''
  return `${v.fetched + v.reused}/${total} objects (${v.fetched} fetched, ${v.reused} unchanged${failed}), ${v.rate.toFixed(1)} objects/s${eta}`
}

/**
 * Print progress to `out` until stopped: on a TTY one line rewritten every 250 ms, otherwise a line every
 * `intervalMs` (default 10 s). Returns a stop function that prints the final line on a TTY.
 */
export function printProgress(tracker: ProgressTracker, out: NodeJS.WriteStream, options: { intervalMs?: number } = {}): () => void {
  const tty = out.isTTY === true
  const timer = setInterval(
    () => {
      const line = progressLine(tracker.view())
      if (tty) out.write(`\r\u001b[2K${line}`)
      else out.write(`${line}\n`)
    },
    tty ? 250 : (options.intervalMs ?? 10_000),
  )
  timer.unref()
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    clearInterval(timer)
    if (tty) out.write(`\r\u001b[2K${progressLine(tracker.view())}\n`)
  }
}
