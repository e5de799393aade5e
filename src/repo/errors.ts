/** Repository errors, each with its exit code from the shared table and a hint a person can act on. */
import { ExitCode, KvdrError, type KvdrErrorOptions } from '../core/errors.js'

/** No kvdr repository at the location (exit 10). */
export class RepoNotFoundError extends KvdrError {
  constructor(location: string, options: KvdrErrorOptions = {}) {
    super('REPO_NOT_FOUND', ExitCode.RepoNotFound, `There is no kvdr repository at ${location}.`, {
      hint: 'Check --repo (or KVDR_REPO), or create one with `kvdr repo init`.',
      ...options,
    })
    this.name = 'RepoNotFoundError'
  }
}

/** No key slot could open the repository, or a key slot operation was refused (exit 12). */
export class RepoKeyError extends KvdrError {
  constructor(message: string, options: KvdrErrorOptions = {}) {
    super('REPO_KEY', ExitCode.RepoKey, message, options)
    this.name = 'RepoKeyError'
  }
}

/** Tampered, missing or corrupt repository data (exit 13). `blob` names what failed. */
export class IntegrityError extends KvdrError {
  readonly blob: string
  constructor(blob: string, message: string, options: KvdrErrorOptions = {}) {
    super('INTEGRITY', ExitCode.Integrity, message, {
      hint: 'Run `kvdr repo check` to see every problem; restore damaged blobs from a replica (`kvdr repo copy`) or storage versioning.',
      ...options,
      details: { blob, ...options.details },
    })
    this.name = 'IntegrityError'
    this.blob = blob
  }
}

/** The repository uses a format this kvdr does not understand (exit 1). */
export class RepoVersionError extends KvdrError {
  constructor(version: string, location: string) {
    super('REPO_VERSION', ExitCode.Failure, `The repository at ${location} uses format version ${version}, which this kvdr cannot read.`, {
      hint: 'Upgrade kvdr to a version that supports this repository format.',
      details: { version },
    })
    this.name = 'RepoVersionError'
  }
}
