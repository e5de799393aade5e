/**
 * openRepository for commands: resolve the location, gather whatever keys the user gave (passphrase from
 * --password-file / KVDR_PASSWORD / prompt, --recovery-key-file, Key Vault access), open with the local
 * rollback cache, and close the store afterwards.
 */
import type { KeyWrapper } from '../crypto/keywrap.js'
import type { Credentials } from '../repo/keyslots.js'
import { openRepository, type Repository } from '../repo/repository.js'
import { DirectorySeenCache, defaultCacheDir } from '../repo/seen.js'
import type { OpenedLocation } from './location.js'
import { openLocation } from './location.js'
import type { RepoFlagValues } from './flags.js'
import { keyWrapperFactory } from './kek.js'
import { readPassphrase, readRecoveryKeyFile } from './secrets.js'

export interface OpenContext {
  /** kvdr's version, recorded in snapshots. */
  toolVersion: string
}

/** Gather the credentials the flags and environment provide. Prompts only when nothing else was given. */
export async function credentialsFrom(flags: RepoFlagValues): Promise<Credentials> {
  const recoveryFile = flags['recovery-key-file']
  const passphrase = await readPassphrase({
    envVar: 'KVDR_PASSWORD',
    ...(flags['password-file'] === undefined ? {} : { file: flags['password-file'] }),
    ...(recoveryFile === undefined ? { prompt: 'Repository passphrase' } : {}),
  })
  const factory: ((keyId: string) => KeyWrapper) | undefined = keyWrapperFactory
  return {
    ...(passphrase === undefined ? {} : { passphrase }),
    ...(recoveryFile === undefined ? {} : { recoveryKey: await readRecoveryKeyFile(recoveryFile), recoveryKeySource: recoveryFile }),
    ...(factory === undefined ? {} : { keyWrapperFor: factory }),
  }
}

/** The client cache used for rollback detection (KVDR_CACHE_DIR, else the user cache directory). */
export function clientCache(): DirectorySeenCache {
  return new DirectorySeenCache(defaultCacheDir())
}

/**
 * Open the repository the flags name, run `fn`, and close the store however `fn` ends. Throws what
 * openRepository throws (RepoNotFoundError, RepoKeyError, IntegrityError, ...).
 */
export async function withRepository<T>(flags: RepoFlagValues, ctx: OpenContext, fn: (repo: Repository, location: OpenedLocation) => Promise<T>): Promise<T> {
  const location = await openLocation(flags.repo)
  try {
    const repo = await openRepository(location.store, await credentialsFrom(flags), {
      locker: location.locker,
      cache: clientCache(),
      toolVersion: ctx.toolVersion,
      lockWaitMs: flags['lock-wait'] * 1000,
    })
    return await fn(repo, location)
  } finally {
    await location.store.close()
  }
}
