/**
 * Bounded streaming between the stages of a run (listing -> fetch -> seal -> write): a channel with a capacity,
 * whose producers wait when it is full, and a task pool with a fixed number of slots. Memory is bounded by these
 * capacities, not by the size of the vault.
 */

/** A bounded async queue: `push` waits while full; iterate to consume; `close` ends, `fail` ends with an error. */
export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
  private readonly spaceWaiters: Array<() => void> = []
  private dataWaiter: (() => void) | undefined
  private closed = false
  private error: { err: unknown } | undefined

  constructor(private readonly capacity: number) {}

  /** Add an item, waiting while the channel is full. Throws after `fail`. */
  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.error) await new Promise<void>((r) => this.spaceWaiters.push(r))
    if (this.error) throw this.error.err
    if (this.closed) throw new Error('push on a closed channel')
    this.items.push(item)
    this.wakeConsumer()
  }

  close(): void {
    this.closed = true
    this.wakeConsumer()
  }

  /** End the stream with an error: the consumer throws it; waiting producers throw it too. */
  fail(err: unknown): void {
    this.error ??= { err }
    this.wakeConsumer()
    for (const w of this.spaceWaiters.splice(0)) w()
  }

  private wakeConsumer(): void {
    const w = this.dataWaiter
    this.dataWaiter = undefined
    w?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      if (this.error) throw this.error.err
      if (this.items.length > 0) {
        const item = this.items.shift() as T
        this.spaceWaiters.shift()?.()
        yield item
        continue
      }
      if (this.closed) return
      await new Promise<void>((r) => (this.dataWaiter = r))
    }
  }
}

/**
 * Runs tasks with at most `size` at a time. `start` waits for a free slot and returns once the task has
 * started; `drain` waits for every started task. A task's rejection is kept and rethrown by `drain`.
 */
export class TaskPool {
  private running = 0
  private readonly slotWaiters: Array<() => void> = []
  private readonly idleWaiters: Array<() => void> = []
  private failure: { err: unknown } | undefined

  constructor(private readonly size: number) {}

  get active(): number {
    return this.running
  }

  async start(task: () => Promise<void>): Promise<void> {
    while (this.running >= this.size) await new Promise<void>((r) => this.slotWaiters.push(r))
    if (this.failure) throw this.failure.err
    this.running++
    void task()
      .catch((err: unknown) => {
        this.failure ??= { err }
      })
      .finally(() => {
        this.running--
        this.slotWaiters.shift()?.()
        if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w()
      })
  }

  async drain(): Promise<void> {
    while (this.running > 0) await new Promise<void>((r) => this.idleWaiters.push(r))
    if (this.failure) throw this.failure.err
  }
}
