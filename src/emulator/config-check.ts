/**
 * The validator behind emulator options and config files: each check names the source, the field path and what is
 * wrong (and, for config files, the line and column), and throws UsageError with a hint.
 */
import { UsageError } from '../core/errors.js'

/** Finds the line and column of a field path (`vaults[0].name`) in the source file, when there is one. */
export type Locator = (path: string) => { line: number; col: number } | undefined

export const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

export class Checker {
  constructor(
    private readonly source: string,
    private readonly locate?: Locator,
  ) {}

  fail(path: string, problem: string, hint?: string): never {
    const at = this.locate?.(path)
    throw new UsageError(`${this.source}: ${path} ${problem}${at ? ` (at line ${at.line}, column ${at.col})` : ''}`, {
      hint: hint ?? 'Fix the value and start the emulator again. docs/emulator.md describes every option.',
    })
  }

  object(v: unknown, path: string, allowed: string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `must be an object (got ${describe(v)}).`)
    const unknown = Object.keys(v).filter((k) => !allowed.includes(k))
    if (unknown.length > 0) this.fail(path, `has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}.`, `Allowed fields: ${allowed.join(', ')}.`)
    return v as Record<string, unknown>
  }

  list(v: unknown, path: string, what: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `must be a list of ${what} (got ${describe(v)}).`)
    return v
  }

  int(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `must be an integer from ${min} to ${max} (got ${describe(v)}).`)
    return v
  }

  number(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(path, `must be a number from ${min} to ${max} (got ${describe(v)}).`)
    return v
  }

  string(v: unknown, path: string, re?: RegExp, what?: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(path, `must be a non-empty string (got ${describe(v)}).`)
    if (re && !re.test(v)) this.fail(path, `must be ${what ?? `a string matching ${re}`} (got '${v}').`)
    return v
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
    const hit = values.find((x) => typeof v === 'string' && x.toLowerCase() === v.toLowerCase())
    if (hit === undefined) this.fail(path, `must be one of ${values.map((x) => `'${x}'`).join(', ')} (got ${describe(v)}).`)
    return hit
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `must be true or false (got ${describe(v)}).`)
    return v
  }
}

/** A short description of a value for messages (never more than a short string). */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`
  if (typeof v === 'object') return 'an object'
  return String(v)
}
