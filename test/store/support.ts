/** Test helpers for the store suites: temp dirs, seeded randomness, an instant-sleep clock, child processes. */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type Clock, ManualClock } from '../../src/core/clock.js'

/** A fresh private temp directory and a function that removes it. */
export async function tempDir(tag: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `kvdr-${tag}-`))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** mulberry32: a small seeded PRNG in [0, 1), so fault-injection runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A ManualClock whose sleep() advances the clock at once and records the requested delays. */
export class InstantClock extends ManualClock implements Clock {
  readonly sleeps: number[] = []

  override async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.advance(ms)
  }
}

/** A child process running a fixture under tsx, with its stdout JSON lines as events. */
export interface Child {
  pid: number
  /** The next event whose `event` field matches. Rejects if the child exits first. */
  next(event: string): Promise<Record<string, unknown>>
  /** Write a line to the child's stdin. */
  send(line: string): void
  /** Resolves with the exit code or signal when the child has exited. */
  exited: Promise<number | string>
  kill(signal?: NodeJS.Signals): void
}

const here = dirname(fileURLToPath(import.meta.url))

/** Start `test/store/fixtures/<script>` in a new Node process (TypeScript via tsx). */
export function spawnFixture(script: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  const events: Array<Record<string, unknown>> = []
  const waiters: Array<() => void> = []
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      events.push({ event: 'output', line })
    }
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    resolve(code ?? signal ?? 'unknown')
    for (const w of waiters.splice(0)) w()
  }))
  let done = false
  void exited.then(() => (done = true))
  return {
    pid: child.pid!,
    next: async (event) => {
      for (;;) {
        const i = events.findIndex((e) => e.event === event)
        if (i >= 0) return events.splice(i, 1)[0]!
        if (done || child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`fixture ${script} exited before "${event}": ${JSON.stringify(events)} ${stderr}`)
        }
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
    send: (line) => void child.stdin.write(`${line}\n`),
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  }
}
