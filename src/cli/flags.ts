/** Flags shared by every command that opens a repository, and parsers for flag values with helpful errors. */
import { Flags } from '@oclif/core'
import { UsageError } from '../core/errors.js'
import { type Duration, parseDuration } from '../repo/policy.js'

/** Where the repository is. Every command that opens one has these. */
export const locationFlags = {
  repo: Flags.string({
    char: 'r',
    env: 'KVDR_REPO',
    description:
      'Repository location: azblob://<account>/<container>[/<prefix>], a directory path or file:///path, or memory://<name> (tests). Default: $KVDR_REPO. Azure credentials come from AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_KEY or an Azure AD sign-in, never from the location.',
    helpGroup: 'REPOSITORY',
  }),
  'blob-endpoint': Flags.string({
    env: 'KVDR_BLOB_ENDPOINT',
    description:
      'Blob service endpoint for an azblob:// location: sovereign clouds, private endpoints, an RA-GRS secondary, Azurite. Default: the connection string\'s, else https://<account>.blob.core.windows.net.',
    helpGroup: 'REPOSITORY',
  }),
}

export const repoFlags = {
  ...locationFlags,
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

/** Flags of commands that only read the repository. */
export const readerFlags = {
  ...repoFlags,
  'no-lock': Flags.boolean({
    description:
      'Take no repository lock, for read-only access (a DR site with a read-only SAS or Storage Blob Data Reader). Without it, a lock the storage refuses to write is skipped with a warning.',
    helpGroup: 'REPOSITORY',
  }),
}

/** The parsed values of repoFlags. */
export interface RepoFlagValues {
  repo?: string
  'blob-endpoint'?: string
  'password-file'?: string
  'recovery-key-file'?: string
  'lock-wait': number
}

/** The parsed values of readerFlags. */
export interface ReaderFlagValues extends RepoFlagValues {
  'no-lock': boolean
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
