/**
 * Injected time. Library code never calls Date.now() directly; it takes a Clock so tests, schedules and
 * the emulator can move time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /** Resolve after `ms` of this clock's time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = (): void => {
        clearTimeout(t)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

/**
 * A clock that starts at a given time and moves only when told to (plus real elapsed time when `running`).
 * Used by the emulator and by tests.
 */
export class ManualClock implements Clock {
  private offset: number
  private frozenAt: number | undefined

  constructor(start?: number, options: { running?: boolean } = {}) {
    const base = start ?? Date.now()
    this.offset = base - Date.now()
    this.frozenAt = options.running === false ? base : undefined
  }

  now(): number {
    return this.frozenAt ?? Date.now() + this.offset
  }

  /** Move time forward by `ms`. */
  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms
    else this.offset += ms
  }

  /** Jump to an absolute time. */
  set(epochMs: number): void {
    if (this.frozenAt !== undefined) this.frozenAt = epochMs
    else this.offset = epochMs - Date.now()
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal)
  }
}
