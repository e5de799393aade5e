/**
 * KvdrCommand: the base of every kvdr command. It adds `--json` (a stable, documented shape on stdout) and
 * `--debug` (stack traces, only then), renders errors as message + "Try this:" hint, and exits with the
 * code from the shared table (src/core/errors.ts).
 */
import { Command, Errors, Flags, ux } from '@oclif/core'
import { ExitCode, type ExitCodeValue, KvdrError, UsageError } from '../core/errors.js'
import { StoreRefusedError } from '../store/types.js'
import type { OpenContext } from './open.js'

export abstract class KvdrCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    debug: Flags.boolean({ description: 'Show stack traces for errors.', helpGroup: 'GLOBAL' }),
  }

  /**
   * Print the result - `data` as JSON with `--json`, else `human(data)` - then end with `exitCode` when it
   * is not 0 (for example 13 when a check found problems). The JSON is printed before the exit.
   */
  protected output<T>(data: T, human: (data: T) => string, exitCode: ExitCodeValue = ExitCode.Success): void {
    if (this.jsonEnabled()) this.logJson(data)
    else {
      const text = human(data)
      if (text !== '') this.log(text)
    }
    if (exitCode !== ExitCode.Success) throw new Errors.ExitError(exitCode)
  }

  /** Print warnings on stderr in human mode (in `--json` mode they are part of the data). */
  protected warnAll(warnings: readonly string[]): void {
    for (const w of warnings) this.logToStderr(`Warning: ${w}`)
  }

  /**
   * What repository commands open with: kvdr's version, and a `warn` for how the command runs (e.g. without
   * a lock) that prints on stderr at once, with `--json` too (stdout keeps the JSON result only).
   */
  protected get repoContext(): OpenContext {
    return { toolVersion: this.config.version, warn: (message) => ux.stderr(`Warning: ${message}`) }
  }

  /** Render any error as a KvdrError and exit with its code. Already-rendered exits pass through. */
  override async catch(err: Error & { exitCode?: number }): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    const kvdr = toKvdrError(err)
    if (this.jsonEnabled()) {
      this.logJson({ error: kvdr.toJSON() })
    } else {
      this.logToStderr(`Error: ${kvdr.message}`)
      if (kvdr.hint) this.logToStderr(`Try this: ${kvdr.hint}`)
      if (this.argv.includes('--debug')) this.logToStderr(stackOf(err))
      else if (kvdr.exitCode === ExitCode.Failure && !(err instanceof KvdrError)) this.logToStderr('(Run again with --debug to see where it failed.)')
    }
    throw new Errors.ExitError(kvdr.exitCode)
  }
}

/** Map anything thrown to a KvdrError: parse errors are usage errors, refusals by storage are Refused. */
export function toKvdrError(err: unknown): KvdrError {
  if (err instanceof KvdrError) return err
  if (err instanceof Errors.CLIError && 'parse' in err) {
    return new UsageError(err.message.replace(/\n\s*See more help with --help$/, ''), { hint: 'See the command\'s usage with --help.' })
  }
  if (err instanceof StoreRefusedError) {
    return new KvdrError('REFUSED', ExitCode.Refused, `The storage refused the operation: ${err.message}`, { hint: 'The location is read-only or immutable (WORM) for this blob.' })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new KvdrError('FAILED', ExitCode.Failure, message, { cause: err })
}

function stackOf(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    parts.push(depth === 0 ? (e.stack ?? e.message) : `Caused by: ${e.stack ?? e.message}`)
  }
  return parts.join('\n')
}
