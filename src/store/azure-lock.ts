/**
 * Locker for an Azure Blob repository, built from blob leases so that no blob is ever overwritten and none
 * has to be deleted (works on containers with version-level immutability).
 *
 * - `locks/exclusive`: one long-lived blob, created once, only ever leased and released: the mutex.
 * - `locks/held/<mode>-<id>`: one create-once blob per holder with its LockInfo, leased while held. A holder
 *   blob that is not leased is dead (its holder released it, or crashed and the lease expired).
 *
 * Exclusive taker: lease its holder blob, lease `locks/exclusive`, then check no shared holder blob is leased.
 * Shared taker: lease its holder blob, then check `locks/exclusive` is not leased. Each side takes its lease
 * before it looks, so conflicting takers can both back off but never both win. Leases last 15-60 s and are
 * renewed in the background; a holder that cannot renew within the lease duration aborts its signal.
 * Needs Storage Blob Data Contributor (or a SAS with racwdl) on the container.
 */
import { BlobLeaseClient, type ContainerClient } from '@azure/storage-blob'
import { type Clock, systemClock } from '../core/clock.js'
import { type AzureErrorContext, azureError, azureErrorCode } from './azure-errors.js'
import { normalisePrefix } from './azure-blob.js'
import { StoreError } from './errors.js'
import { LOCKS_PREFIX } from './names.js'
import { acquireWithWait, decodeLock, encodeLock, heartbeat, type LockAttempt, newLockInfo } from './lock-common.js'
import type { HeldLock, ListedLock, Locker, LockInfo, LockMode } from './types.js'

export interface AzureLockerOptions {
  /** Printable location, for messages. */
  location: string
  account: string
  container: string
  /** The repository's folder inside the container (same as the store's). */
  prefix?: string
  clock?: Clock
  /** Lease duration, 15-60 s. Default 30: a crashed holder blocks others for at most this long. */
  leaseSeconds?: number
  /** How often leases are renewed. Default a third of the lease duration. */
  renewMs?: number
}

type BlockBlob = ReturnType<ContainerClient['getBlockBlobClient']>

/** Lease states in which the blob counts as held. */
const LIVE = new Set(['leased', 'breaking'])
const MUTEX_NOTE = new TextEncoder().encode('kvdr exclusive-lock mutex: only ever leased, never modified\n')

export class AzureLocker implements Locker {
  private readonly prefix: string
  private readonly clock: Clock
  private readonly leaseSeconds: number
  private readonly renewMs: number
  private readonly ctx: AzureErrorContext

  constructor(
    private readonly client: ContainerClient,
    options: AzureLockerOptions,
  ) {
    this.prefix = normalisePrefix(options.prefix)
    this.clock = options.clock ?? systemClock
    this.leaseSeconds = options.leaseSeconds ?? 30
    if (!Number.isInteger(this.leaseSeconds) || this.leaseSeconds < 15 || this.leaseSeconds > 60) {
      throw new RangeError('AzureLocker: leaseSeconds must be an integer from 15 to 60 (Azure lease limits)')
    }
    this.renewMs = options.renewMs ?? Math.floor((this.leaseSeconds * 1000) / 3)
    this.ctx = { location: options.location, account: options.account, container: options.container, write: true }
  }

  private get mutexName(): string {
    return `${this.prefix}${LOCKS_PREFIX}exclusive`
  }

  private get heldPrefix(): string {
    return `${this.prefix}${LOCKS_PREFIX}held/`
  }

  private fail(err: unknown, what: string): StoreError {
    return azureError(err, what, this.ctx)
  }

  /**
   * See Locker.acquire. One holder blob is created per call and reused by every try while waiting (on an
   * immutable container a failed call leaves that one dead blob behind). Throws RepoLockedError (exit 11)
   * naming the holders, StoreError on storage failure.
   */
  async acquire(mode: LockMode, command: string, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    const info = newLockInfo(mode, command, this.clock)
    const holder = this.client.getBlockBlobClient(`${this.heldPrefix}${mode}-${info.id}`)
    const record = encodeLock(info)
    try {
      await holder.upload(record, record.byteLength, { conditions: { ifNoneMatch: '*' } })
    } catch (err) {
      throw this.fail(err, 'create a lock')
    }
    try {
      return await acquireWithWait(() => this.attempt(info, holder), { location: this.ctx.location, mode, clock: this.clock, ...options })
    } catch (err) {
      await holder.delete().catch(() => {})
      throw err
    }
  }

  /** One try: lease the holder blob, then take or check the mutex. On a conflict every lease is released. */
  private async attempt(info: LockInfo, holder: BlockBlob): Promise<LockAttempt<HeldLock>> {
    const holderLease = new BlobLeaseClient(holder, info.id)
    try {
      await holderLease.acquireLease(this.leaseSeconds)
    } catch (err) {
      throw this.fail(err, 'lease a lock')
    }
    const fail = async (err: unknown, what: string): Promise<never> => {
      await holderLease.releaseLease().catch(() => {})
      throw this.fail(err, what)
    }
    const giveUp = async (conflict: ListedLock[]): Promise<LockAttempt<HeldLock>> => {
      await holderLease.releaseLease().catch(() => {})
      return { conflict }
    }
    const mutex = this.client.getBlockBlobClient(this.mutexName)
    if (info.mode === 'exclusive') {
      const mutexLease = new BlobLeaseClient(mutex, info.id)
      try {
        await this.ensureMutex()
        await mutexLease.acquireLease(this.leaseSeconds)
      } catch (err) {
        if (azureErrorCode(err) !== 'LeaseAlreadyPresent') return fail(err, 'take the exclusive lock')
        return giveUp(await this.exclusiveHolders(info.id))
      }
      let readers: ListedLock[]
      try {
        readers = await this.holders('shared', true)
      } catch (err) {
        await mutexLease.releaseLease().catch(() => {})
        return fail(err, 'list the locks')
      }
      if (readers.length > 0) {
        await mutexLease.releaseLease().catch(() => {})
        return giveUp(readers)
      }
      return { held: this.hold(info, holder, [mutexLease, holderLease]) }
    }
    let mutexState: string | undefined
    try {
      mutexState = (await mutex.getProperties()).leaseState
    } catch (err) {
      if (azureErrorCode(err) !== 'BlobNotFound') return fail(err, 'check the exclusive lock')
    }
    if (mutexState !== undefined && LIVE.has(mutexState)) return giveUp(await this.exclusiveHolders(info.id))
    return { held: this.hold(info, holder, [holderLease]) }
  }

  /** Create the mutex blob once; it may exist already (and be leased). */
  private async ensureMutex(): Promise<void> {
    try {
      await this.client.getBlockBlobClient(this.mutexName).upload(MUTEX_NOTE, MUTEX_NOTE.byteLength, { conditions: { ifNoneMatch: '*' } })
    } catch (err) {
      const code = azureErrorCode(err)
      if (code !== 'BlobAlreadyExists' && code !== 'LeaseIdMissing' && code !== 'BlobImmutableDueToPolicy') throw err
    }
  }

  /** Holders of the exclusive lock other than `self`, for messages: live exclusive holder blobs (or an unnamed one). */
  private async exclusiveHolders(self?: string): Promise<ListedLock[]> {
    const named = (await this.holders('exclusive', true)).filter((l) => l.id !== self)
    if (named.length > 0) return named
    const now = new Date(this.clock.now())
    return [{ id: 'exclusive', mode: 'exclusive', host: 'unknown', pid: 0, command: 'unknown (holder record missing)', acquiredAt: now, refreshedAt: now, stale: false }]
  }

  private hold(info: LockInfo, holder: BlockBlob, leases: BlobLeaseClient[]): HeldLock {
    const lost = new AbortController()
    let lastRenewed = this.clock.now()
    const beat = heartbeat(
      async () => {
        try {
          for (const lease of leases) await lease.renewLease()
          lastRenewed = this.clock.now()
          info.refreshedAt = new Date(lastRenewed)
        } catch (err) {
          const mapped = this.fail(err, 'renew the lock lease')
          // Past the lease duration without a renewal, someone else may hold the lock by now.
          if (!mapped.transient || this.clock.now() - lastRenewed >= this.leaseSeconds * 1000) throw mapped
        }
      },
      this.renewMs,
      (err) => {
        beat.stop()
        lost.abort(err)
      },
    )
    let released = false
    return {
      info,
      signal: lost.signal,
      release: async () => {
        if (released) return
        released = true
        beat.stop()
        for (const lease of leases) await lease.releaseLease().catch(() => {})
        await holder.delete().catch(() => {})
      },
    }
  }

  /** Holder blobs of `mode` (or all), read; `liveOnly` skips dead ones without reading them. */
  private async holders(mode: LockMode | undefined, liveOnly: boolean): Promise<ListedLock[]> {
    const found: Array<{ name: string; live: boolean; modified: Date }> = []
    try {
      for await (const item of this.client.listBlobsFlat({ prefix: `${this.heldPrefix}${mode ?? ''}` })) {
        const live = LIVE.has(item.properties.leaseState ?? '')
        if (live || !liveOnly) found.push({ name: item.name, live, modified: item.properties.lastModified })
      }
    } catch (err) {
      throw this.fail(err, 'list the locks')
    }
    const now = new Date(this.clock.now())
    const out: ListedLock[] = []
    for (const blob of found) {
      let bytes: Buffer
      try {
        bytes = await this.client.getBlobClient(blob.name).downloadToBuffer()
      } catch (err) {
        if (azureErrorCode(err) === 'BlobNotFound') continue // released meanwhile
        throw this.fail(err, 'read a lock')
      }
      const refreshed = blob.live ? now : blob.modified
      const base = blob.name.slice(this.heldPrefix.length)
      const info = decodeLock(bytes, refreshed) ?? {
        id: base,
        mode: base.startsWith('exclusive-') ? 'exclusive' : 'shared',
        host: 'unknown',
        pid: 0,
        command: 'unknown (unreadable lock record)',
        acquiredAt: blob.modified,
        refreshedAt: refreshed,
      }
      out.push(blob.live ? { ...info, stale: false } : { ...info, stale: true, staleReason: 'its lease expired or was released: the holder is gone' })
    }
    return out
  }

  /** Live holders, and dead holder records not yet removed (stale). */
  async list(): Promise<ListedLock[]> {
    const listed = await this.holders(undefined, false)
    let mutexState: string | undefined
    try {
      mutexState = (await this.client.getBlockBlobClient(this.mutexName).getProperties()).leaseState
    } catch (err) {
      if (azureErrorCode(err) !== 'BlobNotFound') throw this.fail(err, 'check the exclusive lock')
    }
    const mutexHeld = mutexState !== undefined && LIVE.has(mutexState)
    if (mutexHeld && !listed.some((l) => l.mode === 'exclusive' && !l.stale)) listed.push(...(await this.exclusiveHolders()))
    return listed
  }

  /**
   * Without `all`: delete dead holder records (on an immutable container they cannot be deleted yet and are
   * harmless). With `all`: also break every live lease, including the exclusive mutex, so that holders lose
   * their locks at once. Returns how many locks were removed or broken.
   */
  async unlock(options: { all?: boolean } = {}): Promise<number> {
    let count = 0
    const items: Array<{ name: string; live: boolean }> = []
    try {
      for await (const item of this.client.listBlobsFlat({ prefix: this.heldPrefix })) items.push({ name: item.name, live: LIVE.has(item.properties.leaseState ?? '') })
    } catch (err) {
      throw this.fail(err, 'list the locks')
    }
    for (const item of items) {
      if (item.live && !options.all) continue
      const blob = this.client.getBlobClient(item.name)
      try {
        if (item.live) await new BlobLeaseClient(blob).breakLease(0)
      } catch (err) {
        throw this.fail(err, 'break a lock')
      }
      const deleted = await blob.delete().then(
        () => true,
        () => false,
      )
      if (item.live || deleted) count += 1
    }
    if (options.all) {
      const mutex = this.client.getBlobClient(this.mutexName)
      try {
        const state = (await mutex.getProperties()).leaseState
        if (state !== undefined && LIVE.has(state)) {
          await new BlobLeaseClient(mutex).breakLease(0)
          if (!items.some((i) => i.live && i.name.startsWith(`${this.heldPrefix}exclusive-`))) count += 1
        }
      } catch (err) {
        if (azureErrorCode(err) !== 'BlobNotFound') throw this.fail(err, 'break the exclusive lock')
      }
    }
    return count
  }
}
