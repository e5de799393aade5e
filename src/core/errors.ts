/**
 * Typed errors and the one exit-code table every kvdr command shares (documented in docs/exit-codes.md).
 *
 * A KvdrError carries a stable `code`, the process exit code, and a "Try this" hint a person can act on.
 * Messages never contain secret values.
 */

/** The exit-code table. Keep docs/exit-codes.md in step with it. */
export const ExitCode = {
  /** Everything asked for was done. */
  Success: 0,
  /** Nothing useful was done: the run failed as a whole, or every object failed. */
  Failure: 1,
  /** Bad flags, arguments or input files. Nothing was changed. */
  Usage: 2,
  /** The run finished but some objects failed or were skipped with errors (see the per-object report). */
  Partial: 3,
  /** The repository does not exist at the given location, or is not a kvdr repository. */
  RepoNotFound: 10,
  /** The repository is locked by another process. */
  RepoLocked: 11,
  /** No key slot could open the repository (wrong passphrase, missing recovery key, unreachable KEK vault). */
  RepoKey: 12,
  /** Integrity problems were found (tampered, missing or corrupt data). */
  Integrity: 13,
  /** Authentication to Azure failed (401, no usable credential). */
  Auth: 20,
  /** Permission denied (403 by RBAC, access policy or firewall). */
  Forbidden: 21,
  /** A vault or storage endpoint could not be reached. */
  Unreachable: 22,
  /** The operation was refused because it would destroy data without confirmation or against protection. */
  Refused: 23,
  /** Interrupted by a signal. */
  Interrupted: 130,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface KvdrErrorOptions {
  /** What the user can do about it, one or more short sentences. */
  hint?: string
  cause?: unknown
  /** Extra structured detail for --json output. Never secret values. */
  details?: Record<string, unknown>
}

/** Base class for every error kvdr reports to a person. */
export class KvdrError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  readonly hint?: string
  readonly details?: Record<string, unknown>

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: KvdrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'KvdrError'
    this.code = code
    this.exitCode = exitCode
    if (options.hint !== undefined) this.hint = options.hint
    if (options.details !== undefined) this.details = options.details
  }

  /** Stable JSON shape for `--json` output. */
  toJSON(): { code: string; message: string; exitCode: number; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      exitCode: this.exitCode,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    }
  }
}

/** Bad input from the user: flags, files, locations. */
export class UsageError extends KvdrError {
  constructor(message: string, options: KvdrErrorOptions = {}) {
    super('USAGE', ExitCode.Usage, message, options)
    this.name = 'UsageError'
  }
}

/** Narrow an unknown thrown value to a message that is safe to print. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
