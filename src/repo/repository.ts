/**
 * Opening and creating repositories, and the Repository reader/writer. Layering: store (blobs) -> contents,
 * pages, manifests -> Repository. A RepositoryReader cannot write; a RepositoryWriter only exists inside
 * `withWriter`, which holds a shared lock for its lifetime.
 */
import { type Clock, systemClock } from '../core/clock.js'
import { UsageError } from '../core/errors.js'
import { fingerprintHex, keyFingerprint } from '../crypto/ids.js'
import { DEFAULT_SCRYPT, type ScryptParams } from '../crypto/kdf.js'
import { generateMasterKeys, type MasterKeys } from '../crypto/master.js'
import { randomBytes } from '../crypto/mac.js'
import type { HeldLock, Locker, LockMode, ObjectStore } from '../store/types.js'
import { StoreNotFoundError } from '../store/types.js'
import { collect, mapLimit } from './concurrency.js'
import { CONFIG_BLOB, DEFAULT_PAGE_SIZE, encodeConfig, newConfig, parseConfig, type RepoConfig, verifyConfig } from './config.js'
import { Contents, type SavedContent } from './contents.js'
import { IntegrityError, RepoNotFoundError } from './errors.js'
import { type ForgetRecord, ForgetRecords } from './forget-records.js'
import {
  type CreatedSlot,
  createSlot,
  type Credentials,
  KEYS_PREFIX,
  type KeySlotInfo,
  type NewSlot,
  openWithCredentials,
  type ParsedSlot,
  parseSlot,
  verifySlot,
} from './keyslots.js'
import { assessRollback, type SeenCache } from './seen.js'
import { type BlobProblem, SnapshotNotFoundError, Snapshots, SNAPSHOTS_PREFIX } from './snapshots.js'
import { type ContentId, DATA_PREFIX, type Entry, type Snapshot, type SnapshotDraft, type SnapshotId, type SnapshotSummary } from './types.js'

export interface RepositoryOptions {
  /** Locks for writers and maintenance (shared for backups, exclusive for forget/prune). */
  locker: Locker
  clock?: Clock
  /** The client's memory of repositories, for rollback and substitution warnings. Omit to disable both. */
  cache?: SeenCache
  /** Recorded in every snapshot written. */
  toolVersion?: string
  /** How long to wait for a conflicting lock (default 0: fail at once). */
  lockWaitMs?: number
}

/** Snapshots as listed, with every problem found on the way and warnings such as a detected rollback. */
export interface SnapshotList {
  snapshots: Snapshot[]
  problems: BlobProblem[]
  warnings: string[]
}

/** Read access. Restore, verify and listing take this. */
export interface RepositoryReader {
  readonly location: string
  readonly config: RepoConfig
  listSnapshots(): Promise<SnapshotList>
  /** By full id. Throws SnapshotNotFoundError or IntegrityError. */
  loadSnapshot(id: SnapshotId): Promise<Snapshot>
  /** By `latest`, a full id or a unique prefix of at least 4 hex. Throws SnapshotNotFoundError or UsageError. */
  resolveSnapshot(ref: string, options?: { vault?: string }): Promise<Snapshot>
  entries(snapshot: Snapshot): AsyncIterable<Entry>
  /** Verified plaintext of a content. Throws IntegrityError when it is missing or altered. */
  loadContent(id: ContentId): Promise<Uint8Array>
  /**
   * Keyed fingerprint of `data` under the repository's id key (FORMAT.md, "Fingerprints"): equal inputs give
   * equal fingerprints in this repository, and a storage reader cannot confirm guesses. Stores nothing.
   */
  fingerprint(label: string, data: Uint8Array): string
}

/** Counters of what a writer stored. */
export interface WriteStats {
  contentsCreated: number
  contentsReused: number
  bytesUploaded: number
}

/** Write access; only inside `Repository.withWriter`. */
export interface RepositoryWriter extends RepositoryReader {
  /** Store a content (idempotent). When it resolves, the content exists. */
  saveContent(type: string, data: Uint8Array): Promise<ContentId>
  /** Pack entries into pages and commit the manifest last. See Snapshots.write. */
  writeSnapshot(draft: SnapshotDraft, entries: AsyncIterable<Entry> | Iterable<Entry>, summary: SnapshotSummary | (() => SnapshotSummary)): Promise<Snapshot>
  readonly stats: WriteStats
  /** Warnings found while writing (a detected rollback); the caller reports them. */
  readonly warnings: string[]
}

/** A repository opened with one of its key slots. */
export class Repository implements RepositoryReader {
  readonly location: string
  readonly clock: Clock
  /** @internal for src/repo maintenance modules only. */
  readonly contents: Contents
  /** @internal */
  readonly snapshots: Snapshots
  /** @internal */
  readonly forgets: ForgetRecords

  constructor(
    /** @internal */ readonly store: ObjectStore,
    readonly config: RepoConfig,
    /** @internal */ readonly keys: MasterKeys,
    /** The key slot this repository was opened with. */
    readonly openedWith: KeySlotInfo,
    private readonly options: RepositoryOptions,
  ) {
    this.location = store.location
    this.clock = options.clock ?? systemClock
    this.contents = new Contents(store, keys, config.repositoryId)
    this.snapshots = new Snapshots(store, keys, config.repositoryId, this.contents)
    this.forgets = new ForgetRecords(store, keys, config.repositoryId)
  }

  get repositoryId(): string {
    return this.config.repositoryId
  }

  get locker(): Locker {
    return this.options.locker
  }

  get cache(): SeenCache | undefined {
    return this.options.cache
  }

  /**
   * All readable snapshots (oldest first), problems with unreadable ones, and a rollback warning for each
   * snapshot this client saw that is gone without a forget record. Advances the client's memory.
   */
  async listSnapshots(): Promise<SnapshotList> {
    const [listing, forgets] = await Promise.all([this.snapshots.list(), this.forgets.list()])
    const warnings = await this.assess(listing.snapshots, forgets.records)
    return { snapshots: listing.snapshots, problems: [...listing.problems, ...forgets.problems], warnings }
  }

  /** Compare `present` with the client cache, persist what changed, and return rollback warnings. */
  private async assess(present: Snapshot[], records: ForgetRecord[]): Promise<string[]> {
    const cache = this.options.cache
    if (!cache) return []
    const seen = await cache.read(this.repositoryId, this.location)
    const forgotten = new Set(records.flatMap((r) => r.snapshots.map((s) => s.id as string)))
    const a = assessRollback(seen, present, forgotten, cache.describe(this.repositoryId, this.location))
    if (a.changed) {
      await cache.write({
        repositoryId: this.repositoryId,
        location: this.location,
        keyFingerprint: keyFingerprint(this.keys.idKey),
        ...(a.newest ? { newest: a.newest } : {}),
        ...(a.missing.length ? { missing: a.missing } : {}),
        updated: new Date(this.clock.now()).toISOString(),
      })
    }
    return a.warnings
  }

  loadSnapshot(id: SnapshotId): Promise<Snapshot> {
    return this.snapshots.load(id)
  }

  async resolveSnapshot(ref: string, options: { vault?: string } = {}): Promise<Snapshot> {
    if (ref === 'latest') {
      const { snapshots } = await this.listSnapshots()
      const pool = options.vault ? snapshots.filter((s) => s.vault.url === options.vault) : snapshots
      const last = pool[pool.length - 1]
      if (!last) throw new SnapshotNotFoundError(options.vault ? `latest of ${options.vault}` : 'latest')
      return last
    }
    if (!/^[0-9a-f]{4,64}$/.test(ref)) {
      throw new UsageError(`"${ref}" is not a snapshot id.`, { hint: 'Give "latest", a full snapshot id, or its first 8 characters as shown by `kvdr snapshots list`.' })
    }
    if (ref.length === 64) return this.snapshots.load(ref as SnapshotId)
    const matches = (await this.snapshots.names()).map((n) => n.slice(SNAPSHOTS_PREFIX.length)).filter((id) => id.startsWith(ref))
    if (matches.length === 0) throw new SnapshotNotFoundError(ref)
    if (matches.length > 1) {
      throw new UsageError(`"${ref}" matches ${matches.length} snapshots.`, { hint: 'Give more characters of the id.', details: { matches } })
    }
    return this.snapshots.load(matches[0] as SnapshotId)
  }

  entries(snapshot: Snapshot): AsyncIterable<Entry> {
    return this.snapshots.entries(snapshot)
  }

  loadContent(id: ContentId): Promise<Uint8Array> {
    return this.contents.load(id)
  }

  fingerprint(label: string, data: Uint8Array): string {
    return fingerprintHex(this.keys.idKey, label, data)
  }

  /** Run `fn` holding a repository lock; released however `fn` ends. Throws the locker's RepoLockedError. */
  async withLock<T>(mode: LockMode, command: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    const lock = await this.options.locker.acquire(mode, command, { waitMs: this.options.lockWaitMs ?? 0 })
    try {
      return await fn(lock)
    } finally {
      await lock.release()
    }
  }

  /**
   * Run `fn` with a writer, holding a shared lock (any number of writers at once; forget and prune wait).
   * A writer's contents exist before its manifest, so an interrupted run leaves no visible snapshot. The
   * writer lists the stored content ids once, under the lock, and never uploads those again (dedup without
   * a request per object); memory grows by one id per stored content.
   */
  withWriter<T>(command: string, fn: (writer: RepositoryWriter) => Promise<T>): Promise<T> {
    return this.withLock('shared', command, async () => fn(new Writer(this, await this.contents.storedIds())))
  }

  /**
   * @internal Write a snapshot, then compare the repository (as listed for the commit) with the client
   * cache. Returns the snapshot and any rollback warnings.
   */
  async commitSnapshot(
    draft: SnapshotDraft,
    entries: AsyncIterable<Entry> | Iterable<Entry>,
    summary: SnapshotSummary | (() => SnapshotSummary),
    known?: Set<string>,
  ): Promise<{ snapshot: Snapshot; warnings: string[] }> {
    const cache = this.options.cache
    const seen = cache ? await cache.read(this.repositoryId, this.location) : undefined
    const forgets = await this.forgets.list()
    const { snapshot, others } = await this.snapshots.write(draft, entries, summary, {
      pageSize: this.config.pageSize,
      now: new Date(this.clock.now()),
      tool: { name: 'kvdr', version: this.options.toolVersion ?? 'unknown' },
      seqFloor: Math.max(seen?.newest?.seq ?? 0, ...(seen?.missing ?? []).map((m) => m.seq)),
      forgottenMaxSeq: Math.max(0, ...forgets.records.flatMap((r) => r.snapshots.map((s) => s.seq))),
      ...(known ? { known } : {}),
    })
    return { snapshot, warnings: await this.assess([...others, snapshot], forgets.records) }
  }
}

class Writer implements RepositoryWriter {
  readonly stats: WriteStats = { contentsCreated: 0, contentsReused: 0, bytesUploaded: 0 }
  readonly warnings: string[] = []
  constructor(
    private readonly repo: Repository,
    /** Hex ids of the contents stored (listed when the writer opened, plus what it stored since). */
    private readonly known: Set<string>,
  ) {}
  get location(): string {
    return this.repo.location
  }
  get config(): RepoConfig {
    return this.repo.config
  }
  listSnapshots(): Promise<SnapshotList> {
    return this.repo.listSnapshots()
  }
  loadSnapshot(id: SnapshotId): Promise<Snapshot> {
    return this.repo.loadSnapshot(id)
  }
  resolveSnapshot(ref: string, options?: { vault?: string }): Promise<Snapshot> {
    return this.repo.resolveSnapshot(ref, options)
  }
  entries(snapshot: Snapshot): AsyncIterable<Entry> {
    return this.repo.entries(snapshot)
  }
  loadContent(id: ContentId): Promise<Uint8Array> {
    return this.repo.loadContent(id)
  }
  fingerprint(label: string, data: Uint8Array): string {
    return this.repo.fingerprint(label, data)
  }
  async saveContent(type: string, data: Uint8Array): Promise<ContentId> {
    const saved: SavedContent = await this.repo.contents.save(type, data, this.known)
    if (saved.created) {
      this.stats.contentsCreated++
      this.stats.bytesUploaded += saved.size
    } else this.stats.contentsReused++
    return saved.id
  }
  async writeSnapshot(draft: SnapshotDraft, entries: AsyncIterable<Entry> | Iterable<Entry>, summary: SnapshotSummary | (() => SnapshotSummary)): Promise<Snapshot> {
    const { snapshot, warnings } = await this.repo.commitSnapshot(draft, entries, summary, this.known)
    this.warnings.push(...warnings)
    return snapshot
  }
}

/** Read and verify nothing yet: the config as stored, or the right error when it is absent. */
async function readConfig(store: ObjectStore): Promise<Uint8Array> {
  try {
    return await store.get(CONFIG_BLOB)
  } catch (err) {
    if (!(err instanceof StoreNotFoundError)) throw err
    const leftovers = await hasAny(store, [KEYS_PREFIX, SNAPSHOTS_PREFIX, DATA_PREFIX])
    if (leftovers) {
      throw new IntegrityError(CONFIG_BLOB, `The repository at ${store.location} has no config blob, but holds kvdr data (${leftovers}): the config was deleted or the repository is damaged.`, {
        hint: 'Restore the config blob from a replica (`kvdr repo copy` made one) or from storage versioning; do not run `kvdr repo init` over it.',
      })
    }
    throw new RepoNotFoundError(store.location)
  }
}

async function hasAny(store: ObjectStore, prefixes: string[]): Promise<string | undefined> {
  for (const p of prefixes) {
    for await (const _ of store.list(p)) return p
  }
  return undefined
}

/** Parse every key slot blob; malformed ones are returned separately (check reports them). */
export async function readSlots(store: ObjectStore): Promise<{ slots: ParsedSlot[]; bad: BlobProblem[] }> {
  const names = (await collect(store.list(KEYS_PREFIX))).map((b) => b.name).sort()
  const bad: BlobProblem[] = []
  const parsed = await mapLimit(names, 8, async (name) => {
    const r = parseSlot(name, await store.get(name))
    if (typeof r === 'string') {
      bad.push({ blob: name, message: `key slot is unusable: ${r}` })
      return undefined
    }
    return r
  })
  return { slots: parsed.filter((s): s is ParsedSlot => s !== undefined), bad }
}

/**
 * Open the repository in `store` with whichever key slot `credentials` fit, and verify the config and that
 * slot against the master keys. Throws RepoNotFoundError (10), RepoKeyError (12), IntegrityError (13, also
 * when this client remembers different keys for this repository) or RepoVersionError.
 */
export async function openRepository(store: ObjectStore, credentials: Credentials, options: RepositoryOptions): Promise<Repository> {
  const unverified = parseConfig(await readConfig(store), store.location)
  const { repositoryId } = unverified.config
  const { slots } = await readSlots(store)
  const ours = slots.filter((s) => s.repositoryId === repositoryId)
  if (slots.length > 0 && ours.length === 0) {
    throw new IntegrityError(CONFIG_BLOB, `The repository config at ${store.location} names repository ${repositoryId}, but no key slot belongs to it: the config was altered or replaced.`)
  }
  const { keys, slot } = await openWithCredentials(ours, credentials, store.location)
  const config = verifyConfig(unverified, keys.idKey, store.location)
  if (!verifySlot(slot, keys)) {
    throw new IntegrityError(slot.blob, `Key slot ${slot.info.id} opened the repository but its metadata was altered.`)
  }
  const cache = options.cache
  if (cache) {
    const seen = await cache.read(repositoryId, store.location)
    if (seen && seen.keyFingerprint !== keyFingerprint(keys.idKey)) {
      throw new IntegrityError(CONFIG_BLOB, `The repository at ${store.location} has different keys than when this machine last opened it: it may have been replaced.`, {
        hint: `Find out who re-created it. If that was deliberate, delete ${cache.describe(repositoryId, store.location)} and retry.`,
      })
    }
  }
  return new Repository(store, config, keys, slot.info, options)
}

export interface InitOptions extends RepositoryOptions {
  /** Key slots to create (at least one). */
  slots: NewSlot[]
  /** Default scrypt parameters recorded in the config for later passphrase slots. */
  kdf?: ScryptParams
  pageSize?: number
}

/**
 * Create a repository: key slots first, the config last (its creation is the commit point). Refuses when
 * the location already holds a repository, kvdr data, or key slots an interrupted init left behind. Returns the open repository and the created slots
 * (with the one-time recovery key of a recovery slot).
 */
export async function initRepository(store: ObjectStore, options: InitOptions): Promise<{ repo: Repository; slots: CreatedSlot[] }> {
  if (options.slots.length === 0) throw new UsageError('A repository needs at least one key slot.')
  if (await store.stat(CONFIG_BLOB)) {
    throw new UsageError(`There is already a kvdr repository at ${store.location}.`, { hint: 'Use it as it is, or choose another location for a new repository.' })
  }
  const leftovers = await hasAny(store, [SNAPSHOTS_PREFIX, DATA_PREFIX])
  if (leftovers) {
    throw new UsageError(`${store.location} holds kvdr data (${leftovers}) but no config.`, { hint: 'This looks like a damaged repository; restore its config instead of creating a new one.' })
  }
  if (await hasAny(store, [KEYS_PREFIX])) {
    throw new UsageError(`${store.location} holds key slots but no config: an earlier \`kvdr repo init\` was interrupted.`, {
      hint: 'Delete the keys/ blobs there (without a config they protect nothing), or choose another location.',
    })
  }
  const clock = options.clock ?? systemClock
  const now = new Date(clock.now())
  const repositoryId = Buffer.from(randomBytes(16)).toString('hex')
  const keys = generateMasterKeys()
  const config = newConfig(repositoryId, now, options.kdf ?? DEFAULT_SCRYPT, options.pageSize ?? DEFAULT_PAGE_SIZE)
  const created: CreatedSlot[] = []
  for (const spec of options.slots) {
    const slot = await createSlot(spec, keys, repositoryId, now)
    await store.putIfAbsent(slot.name, slot.bytes)
    created.push(slot)
  }
  if ((await store.putIfAbsent(CONFIG_BLOB, encodeConfig(config, keys.idKey))) === 'exists') {
    await Promise.all(created.map((s) => store.delete(s.name).catch(() => {})))
    throw new UsageError(`Another process created a repository at ${store.location} at the same time.`, { hint: 'Use that repository.' })
  }
  const repo = new Repository(store, config, keys, (created[0] as CreatedSlot).info, options)
  if (options.cache) {
    await options.cache.write({ repositoryId, location: store.location, keyFingerprint: keyFingerprint(keys.idKey), updated: now.toISOString() })
  }
  return { repo, slots: created }
}
