/** `kvdr repo unlock`: list a repository's locks and remove stale ones (or all, when told). */
import type { Locker, LockInfo, ObjectStore } from '../store/types.js'
import { CONFIG_BLOB } from './config.js'
import { RepoNotFoundError } from './errors.js'

/** Outcome of an unlock (also its `--json` shape). Times are ISO strings. */
export interface UnlockResult {
  removed: number
  remaining: Array<Omit<LockInfo, 'acquiredAt' | 'refreshedAt'> & { acquiredAt: string; refreshedAt: string; stale: boolean }>
}

/**
 * Remove stale locks (holders that stopped refreshing or died), or every lock with `all` - only safe when no
 * kvdr process uses the repository. Needs no keys. Throws RepoNotFoundError when there is no repository.
 */
export async function unlockRepository(store: ObjectStore, locker: Locker, options: { all?: boolean } = {}): Promise<UnlockResult> {
  if (!(await store.stat(CONFIG_BLOB))) throw new RepoNotFoundError(store.location)
  const removed = await locker.unlock(options)
  const remaining = (await locker.list()).map((l) => ({ ...l, acquiredAt: l.acquiredAt.toISOString(), refreshedAt: l.refreshedAt.toISOString() }))
  return { removed, remaining }
}
