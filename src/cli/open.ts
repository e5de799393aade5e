/**
 * openRepository for commands: open the location (read-only for readers), gather whatever keys the user
 * gave (passphrase from --password-file / KVDR_PASSWORD / prompt, --recovery-key-file, Key Vault access),
 * open with the local rollback cache, and close the store afterwards.
 */
import type { KeyWrapper } from '../crypto/keywrap.js'
import type { Credentials } from '../repo/keyslots.js'
import { ReaderLocker } from '../repo/locks.js'
import { openRepository, type Repository } from '../repo/repository.js'
import { DirectorySeenCache, defaultCacheDir } from '../repo/seen.js'
import type { ReaderFlagValues, RepoFlagValues } from './flags.js'
import { keyWrapperFactory } from './kek.js'
import { openRepoLocation, type RepoLocation } from './location.js'
import { readPassphrase, readRecoveryKeyFile } from './secrets.js'

export interface OpenContext {
  /** kvdr's version, recorded in snapshots. */
  toolVersion: string
  /** Print a warning at once (on stderr, with --json too): things that happen while opening or locking. */
  warn: (message: string) => void
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

type Body<T> = (repo: Repository, location: RepoLocation) => Promise<T>

async function withOpened<T>(flags: RepoFlagValues, ctx: OpenContext, reader: { noLock: boolean } | undefined, fn: Body<T>): Promise<T> {
  const location = await openRepoLocation(flags.repo, { readOnly: reader !== undefined, blobEndpoint: flags['blob-endpoint'] })
  try {
    const printable = location.store.location
    const locker = reader ? new ReaderLocker(location.locker, { location: printable, noLock: reader.noLock, warn: ctx.warn }) : location.locker
    const repo = await openRepository(location.store, await credentialsFrom(flags), {
      locker,
      cache: clientCache(),
      toolVersion: ctx.toolVersion,
      lockWaitMs: flags['lock-wait'] * 1000,
    })
    return await fn(repo, location)
  } finally {
    await location.store.close()
  }
}

/**
 * Open the repository the flags name for writing, run `fn`, and close the store however `fn` ends. Throws
 * what openRepoLocation and openRepository throw (exit 10, 12, 13, 20-22, ...).
 */
export function withRepository<T>(flags: RepoFlagValues, ctx: OpenContext, fn: Body<T>): Promise<T> {
  return withOpened(flags, ctx, undefined, fn)
}

/**
 * Open the repository the flags name for reading only: every write and delete is refused, and shared
 * locks follow the reader's policy (ReaderLocker: none with --no-lock; skipped with a warning when the
 * storage refuses to write them). Otherwise as withRepository.
 */
export function withReader<T>(flags: ReaderFlagValues, ctx: OpenContext, fn: Body<T>): Promise<T> {
  return withOpened(flags, ctx, { noLock: flags['no-lock'] }, fn)
}
