/** Test helpers for the store suites: temp directories, seeded randomness, a clock whose sleeps are instant. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
