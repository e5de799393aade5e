/** Flags shared by every command that opens a repository, and parsers for flag values with helpful errors. */
import { Flags } from '@oclif/core'
import { UsageError } from '../core/errors.js'
import { type Duration, parseDuration } from '../repo/policy.js'

export const repoFlags = {
  repo: Flags.string({
    char: 'r',
    env: 'KVDR_REPO',
    description: 'Repository location (azblob://<account>/<container>[/<prefix>], a directory, or memory://<name>). Default: $KVDR_REPO.',
    helpGroup: 'REPOSITORY',
  }),
  'password-file': Flags.string({
    description: 'Read the repository passphrase from the first line of this file. Default: $KVDR_PASSWORD, else a prompt.',
    helpGroup: 'REPOSITORY',
  }),
  'recovery-key-file': Flags.string({
    description: 'Open the repository with the offline recovery key in this file.',
    helpGroup: 'REPOSITORY',
  }),
  'lock-wait': Flags.integer({
    description: 'Seconds to wait for another process\'s conflicting lock (default 0: fail at once).',
    min: 0,
    default: 0,
    helpGroup: 'REPOSITORY',
  }),
}

/** The parsed values of repoFlags. */
export interface RepoFlagValues {
  repo?: string
  'password-file'?: string
  'recovery-key-file'?: string
  'lock-wait': number
}

/** Parse a restic-style duration flag (`7d`, `1y6m`, `12h`). Throws UsageError naming the flag. */
export function durationFlag(name: string, text: string): Duration {
  try {
    return parseDuration(text)
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`--${name}: ${err.message}`, { hint: err.hint ?? '' })
    throw err
  }
}

/** A duration in milliseconds, with months as 30 days and years as 365 days (for safety margins). */
export function durationMs(d: Duration): number {
  return ((d.years * 365 + d.months * 30 + d.days) * 24 + d.hours) * 3600 * 1000
}

/** Parse a keep count: a non-negative integer or `unlimited` (-1). */
export function keepCount(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (text === 'unlimited') return -1
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a number or "unlimited", not "${text}".`, { hint: `For example --${name} 7.` })
  return Number(text)
}
