/**
 * Soft-deleted objects of one vault: the vault's deletion settings, recover (and wait until usable), guarded purge
 * (and wait until the deleted object is gone), and waiting out Key Vault's "currently being deleted" window. Every
 * call goes through the connection's SDK clients, so the Governor's budget and retries apply; failures are
 * classified VaultErrors (permission named, purge protection as exit 23).
 */
import { type Clock, systemClock } from '../core/clock.js'
import { ExitCode } from '../core/errors.js'
import type { ObjectKind } from '../core/types.js'
import type { VaultConnection } from './connection.js'
import { classifyError, VaultError } from './errors.js'
import type { VaultOperation } from './permissions.js'
import { compact, iso } from './plain.js'
import { VaultReader } from './reader.js'

/** What a vault does with deletions, as Key Vault reports it on every object (spec `DeletionRecoveryLevel`). */
export interface DeletionSettings {
  /** `Recoverable+Purgeable`, `CustomizedRecoverable`, ... ; undefined when nothing could be read. */
  recoveryLevel?: string
  /** Soft-delete retention in days (7-90). */
  recoverableDays?: number
  /** True when only the service may purge (no `Purgeable` in the level); undefined when unknown. */
  purgeProtection: boolean | undefined
}

/** Timing of the waiting operations. */
export interface DeletedOpOptions {
  /** Aborts every call and wait (the run's deadline, Ctrl-C). */
  signal?: AbortSignal
  /** Give up waiting after this long (default 120 s). */
  timeoutMs?: number
  /** First pause between polls (default 250 ms); doubles up to 4 s. */
  pollMs?: number
  clock?: Clock
}

export interface PurgeOptions extends DeletedOpOptions {
  /** The vault's settings when already known (vaultDeletionSettings): a protected vault is refused without a request. */
  settings?: DeletionSettings
}

/** What a name is in the vault, as reads show it. */
export type NameState = 'free' | 'deleted' | 'live'

export interface NameWaitOptions extends DeletedOpOptions {
  /**
   * A call Key Vault answers with 409 "being deleted" (or "being recovered") while the name is blocked - typically
   * the write that got that answer (a 409 did nothing, so it is safe to repeat). Reads cannot see that window
   * (both GETs answer 404), so with a probe 'free' means the probe went through; without one, 'free' means no
   * object is visible.
   */
  probe?: () => Promise<unknown>
}

const DEFAULT_TIMEOUT_MS = 120_000
const MAX_POLL_MS = 4_000

const OPS: Record<ObjectKind, { recover: VaultOperation; purge: VaultOperation; getDeleted: VaultOperation; listVersions: VaultOperation }> = {
  secret: { recover: 'secrets.recover', purge: 'secrets.purge', getDeleted: 'secrets.getDeleted', listVersions: 'secrets.listVersions' },
  key: { recover: 'keys.recover', purge: 'keys.purge', getDeleted: 'keys.getDeleted', listVersions: 'keys.listVersions' },
  certificate: { recover: 'certificates.recover', purge: 'certificates.purge', getDeleted: 'certificates.getDeleted', listVersions: 'certificates.listVersions' },
}

/**
 * Whether a recovery level forbids purging: false for levels with `Purgeable` (including plain `Purgeable`, a
 * vault without soft delete), true for the others, undefined when the level is unknown.
 */
export function purgeProtectedLevel(level: string | undefined): boolean | undefined {
  if (level === undefined || level === '') return undefined
  return !level.includes('Purgeable')
}

function settingsOf(recoveryLevel: string | undefined, recoverableDays: number | undefined): DeletionSettings {
  return compact({ recoveryLevel, recoverableDays, purgeProtection: purgeProtectedLevel(recoveryLevel) })
}

/**
 * The vault's deletion settings, read from the attributes of the first object that carries them: live secrets,
 * live keys, deleted secrets, deleted keys, then certificates (whose listings omit them: one GET). At most a page
 * per source, stopping at the first answer. Sources the caller may not list (403) are skipped; everything is
 * undefined when no readable source holds an object. Throws VaultError for vault-wide failures (auth, firewall,
 * unreachable). Needs list permission on at least one kind (Key Vault Reader).
 */
export async function vaultDeletionSettings(conn: VaultConnection, opts: { signal?: AbortSignal } = {}): Promise<DeletionSettings> {
  const reader = new VaultReader(conn, opts.signal)
  const first = async (pages: AsyncIterable<{ items: Array<{ name: string; attributes: { recoveryLevel?: string; recoverableDays?: number } }> }>): Promise<{ name?: string; settings?: DeletionSettings }> => {
    try {
      for await (const page of pages) {
        const withLevel = page.items.find((o) => o.attributes.recoveryLevel)
        if (withLevel) return { settings: settingsOf(withLevel.attributes.recoveryLevel, withLevel.attributes.recoverableDays) }
        if (page.items[0]) return { name: page.items[0].name }
      }
      return {}
    } catch (err) {
      if (err instanceof VaultError && err.code === 'VAULT_FORBIDDEN') return {}
      throw err
    }
  }
  for (const source of [() => reader.listActive('secret'), () => reader.listActive('key'), () => reader.listDeleted('secret'), () => reader.listDeleted('key')]) {
    const found = await first(source())
    if (found.settings) return found.settings
  }
  const certificate = (await first(reader.listActive('certificate'))).name
  const o = opts.signal ? { abortSignal: opts.signal } : {}
  if (certificate !== undefined) {
    const c = await call(conn, 'certificates.get', `certificate/${certificate}`, () => conn.certificates.getCertificate(certificate, o))
    return settingsOf(c.properties.recoveryLevel, c.properties.recoverableDays)
  }
  const deletedCertificate = (await first(reader.listDeleted('certificate'))).name
  if (deletedCertificate !== undefined) {
    const d = await call(conn, 'certificates.getDeleted', `certificate/${deletedCertificate}`, () => conn.certificates.getDeletedCertificate(deletedCertificate, o))
    return settingsOf(d.properties.recoveryLevel, d.properties.recoverableDays)
  }
  return { purgeProtection: undefined }
}

/** One soft-deleted object as getDeleted shows it. */
export interface DeletedInfo {
  kind: ObjectKind
  name: string
  deletedOn?: string
  scheduledPurgeDate?: string
  recoveryLevel?: string
  recoverableDays?: number
  managed: boolean
}

/**
 * The soft-deleted object `kind/name`, or undefined when there is none (never deleted, being deleted, recovered or
 * purged). Throws VaultError for other failures. Needs get on the kind (Key Vault Reader).
 */
export async function getDeleted(conn: VaultConnection, kind: ObjectKind, name: string, opts: { signal?: AbortSignal } = {}): Promise<DeletedInfo | undefined> {
  const o = opts.signal ? { abortSignal: opts.signal } : {}
  try {
    const p = await call(conn, OPS[kind].getDeleted, `${kind}/${name}`, async () => {
      if (kind === 'secret') {
        const d = await conn.secrets.getDeletedSecret(name, o)
        return { ...d.properties, deletedOn: d.properties.deletedOn, scheduledPurgeDate: d.properties.scheduledPurgeDate }
      }
      if (kind === 'key') {
        const d = await conn.keys.getDeletedKey(name, o)
        return { ...d.properties, deletedOn: d.properties.deletedOn, scheduledPurgeDate: d.properties.scheduledPurgeDate }
      }
      const d = await conn.certificates.getDeletedCertificate(name, o)
      return { ...d.properties, deletedOn: d.deletedOn, scheduledPurgeDate: d.scheduledPurgeDate, managed: false }
    })
    return compact({
      kind,
      name,
      deletedOn: iso(p.deletedOn),
      scheduledPurgeDate: iso(p.scheduledPurgeDate),
      recoveryLevel: p.recoveryLevel,
      recoverableDays: p.recoverableDays,
      managed: (p as { managed?: boolean }).managed === true,
    })
  } catch (err) {
    if (err instanceof VaultError && err.status === 404) return undefined
    throw err
  }
}

/**
 * Recover the soft-deleted `kind/name` (every version; a certificate with its key and secret) and wait until a GET
 * answers (the SDK's poller; a 403 on that GET counts as usable, as the SDK decides). A name still being deleted
 * is retried with backoff until the deletion completes. Idempotent only in the sense that a second call fails with
 * NOT_DELETED. Throws VaultError: NOT_DELETED (live, or nothing deleted by that name), MANAGED_BY_CERTIFICATE
 * (the key or secret of a certificate), VAULT_FORBIDDEN naming `recover` (Key Vault Secrets / Crypto /
 * Certificates Officer), BEING_DELETED or RECOVER_TIMEOUT when `timeoutMs` passes, and the vault-wide errors.
 */
export async function recoverDeleted(conn: VaultConnection, kind: ObjectKind, name: string, opts: DeletedOpOptions = {}): Promise<void> {
  const wait = new Waiter(opts)
  const object = `${kind}/${name}`
  const op = OPS[kind].recover
  const poller = await wait.whileBeingDeleted(object, () =>
    call(conn, op, object, async () => {
      const o = { intervalInMs: wait.pollMs, abortSignal: wait.signal }
      if (kind === 'secret') return conn.secrets.beginRecoverDeletedSecret(name, o)
      if (kind === 'key') return conn.keys.beginRecoverDeletedKey(name, o)
      return conn.certificates.beginRecoverDeletedCertificate(name, o)
    }),
  )
  // The SDK's first poll GETs the live object and, when that answers, completes without recovering.
  if (!poller.getOperationState().isStarted) {
    throw new VaultError('NOT_DELETED', ExitCode.Failure, `${object} is live in ${conn.address.url}: there is nothing to recover.`, { scope: 'object', operation: op, status: 404 })
  }
  try {
    await poller.pollUntilDone({ abortSignal: wait.signal })
  } catch (err) {
    if (wait.timedOut) {
      throw new VaultError('RECOVER_TIMEOUT', ExitCode.Failure, `Key Vault accepted the recovery of ${object} but it was not usable after ${wait.seconds} s.`, {
        scope: 'object',
        operation: op,
        hint: 'Recovery usually takes seconds; check again in a minute (kvdr recover --vault <url> lists what is still deleted).',
        cause: err,
      })
    }
    throw classify(conn, op, object, err)
  }
}

/**
 * Purge the soft-deleted `kind/name` for good (a certificate with its key and secret), then wait until the deleted
 * object is gone. Refuses with PURGE_PROTECTED (exit 23, the scheduled purge date named) before sending the purge
 * when `opts.settings` or the deleted object's recovery level say purge protection is on, and maps the service's own
 * refusal to the same. A name still being deleted is retried with backoff. Key Vault may refuse to re-create the name
 * for a few seconds after this returns (409 ObjectIsBeingDeleted; reads cannot see it): writers use
 * waitUntilNameFree with a probe. Throws VaultError: NOT_DELETED, MANAGED_BY_CERTIFICATE, VAULT_FORBIDDEN naming
 * `purge`, BEING_DELETED / PURGE_TIMEOUT, and the vault-wide errors.
 */
export async function purgeDeleted(conn: VaultConnection, kind: ObjectKind, name: string, opts: PurgeOptions = {}): Promise<void> {
  const wait = new Waiter(opts)
  const object = `${kind}/${name}`
  const op = OPS[kind].purge
  const info = await getDeleted(conn, kind, name, { signal: wait.signal })
  if (opts.settings?.purgeProtection === true || purgeProtectedLevel(info?.recoveryLevel) === true) throw purgeProtected(conn, object, op, info?.scheduledPurgeDate)
  await wait.whileBeingDeleted(object, () =>
    call(conn, op, object, async () => {
      const o = { abortSignal: wait.signal }
      if (kind === 'secret') await conn.secrets.purgeDeletedSecret(name, o)
      else if (kind === 'key') await conn.keys.purgeDeletedKey(name, o)
      else await conn.certificates.purgeDeletedCertificate(name, o)
    }, info?.scheduledPurgeDate),
  )
  while ((await getDeleted(conn, kind, name, { signal: wait.signal })) !== undefined) {
    if (!(await wait.pause())) {
      throw new VaultError('PURGE_TIMEOUT', ExitCode.Failure, `Key Vault accepted the purge of ${object} but still shows it deleted after ${wait.seconds} s.`, {
        scope: 'object',
        operation: op,
        hint: 'Purging can take a while; list again later (kvdr recover --vault <url>).',
      })
    }
  }
}

/**
 * What `kind/name` is as reads show it: live (a version is listed), deleted (a soft-deleted object answers) or free.
 * Two reads at most. Needs list and get on the kind (Key Vault Reader).
 */
export async function nameState(conn: VaultConnection, kind: ObjectKind, name: string, opts: { signal?: AbortSignal } = {}): Promise<NameState> {
  const object = `${kind}/${name}`
  const o = opts.signal ? { abortSignal: opts.signal } : {}
  try {
    const live = await call(conn, OPS[kind].listVersions, object, async () => {
      const iter = kind === 'secret' ? conn.secrets.listPropertiesOfSecretVersions(name, o) : kind === 'key' ? conn.keys.listPropertiesOfKeyVersions(name, o) : conn.certificates.listPropertiesOfCertificateVersions(name, o)
      // Key Vault may answer with empty pages before the first item: read on until an item or the end.
      for await (const page of iter.byPage({ maxPageSize: 1 })) if (page.length > 0) return true
      return false
    })
    if (live) return 'live'
  } catch (err) {
    if (!(err instanceof VaultError && err.status === 404)) throw err
  }
  return (await getDeleted(conn, kind, name, opts)) ? 'deleted' : 'free'
}

/**
 * Wait out Key Vault's "currently being deleted" (or "being recovered") window for `kind/name`, with backoff
 * (250 ms doubling to 4 s, at most `timeoutMs`), and say what was found: 'live', 'deleted' (soft-deleted: recover or
 * purge it), or 'free'. See NameWaitOptions.probe for what 'free' means. Throws VaultError BEING_DELETED when the
 * window outlasts `timeoutMs`, what the probe throws other than the 409, and the reads' errors.
 */
export async function waitUntilNameFree(conn: VaultConnection, kind: ObjectKind, name: string, opts: NameWaitOptions = {}): Promise<NameState> {
  const wait = new Waiter(opts)
  const object = `${kind}/${name}`
  for (;;) {
    const state = await nameState(conn, kind, name, { signal: wait.signal })
    if (state !== 'free' || opts.probe === undefined) return state
    try {
      await opts.probe()
      return 'free'
    } catch (err) {
      if (!isBeingDeleted(err)) throw err
    }
    if (!(await wait.pause())) throw beingDeleted(conn, object, OPS[kind].recover, wait.seconds)
  }
}

/** True for Key Vault's 409 answers while a name is being deleted, purged or recovered (nothing was done). */
export function isBeingDeleted(err: unknown): boolean {
  const e = err as { statusCode?: unknown; status?: unknown; innerCode?: unknown; message?: unknown; details?: unknown }
  const status = e?.statusCode ?? e?.status
  if (status !== 409) return false
  const details = e.details as { error?: { innerError?: { code?: unknown } } } | undefined
  const inner = e.innerCode ?? details?.error?.innerError?.code
  if (inner === 'ObjectIsBeingDeleted' || inner === 'ObjectIsBeingRecovered') return true
  return typeof e.message === 'string' && /currently being (deleted|recovered)|conflict restoring/i.test(e.message)
}

/** Bounded backoff for one operation: the caller's signal plus the timeout. */
class Waiter {
  readonly signal: AbortSignal
  readonly pollMs: number
  private readonly timeout: AbortSignal
  private readonly clock: Clock
  private readonly deadline: number
  private readonly timeoutMs: number
  private delay: number

  constructor(opts: DeletedOpOptions) {
    this.clock = opts.clock ?? systemClock
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.deadline = this.clock.now() + this.timeoutMs
    this.pollMs = opts.pollMs ?? 250
    this.delay = this.pollMs
    this.timeout = AbortSignal.timeout(this.timeoutMs)
    this.signal = opts.signal ? AbortSignal.any([opts.signal, this.timeout]) : this.timeout
  }

  get timedOut(): boolean {
    return this.timeout.aborted || this.clock.now() >= this.deadline
  }

  get seconds(): number {
    return Math.round(this.timeoutMs / 1000)
  }

  /** Sleep the next backoff step; false when the time is up. Throws when the caller's signal aborts. */
  async pause(): Promise<boolean> {
    const left = this.deadline - this.clock.now()
    if (left <= 0) return false
    const ms = Math.min(this.delay, left)
    this.delay = Math.min(this.delay * 2, MAX_POLL_MS)
    try {
      await this.clock.sleep(ms, this.signal)
    } catch (err) {
      if (!this.timedOut) throw err
    }
    return !this.timedOut
  }

  /** Run `fn`, repeating it while Key Vault says the name is being deleted; BEING_DELETED when time runs out. */
  async whileBeingDeleted<T>(object: string, fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await fn()
      } catch (err) {
        if (!(err instanceof VaultError && err.code === 'BEING_DELETED_NOW')) throw err
        if (!(await this.pause())) throw beingDeleted(undefined, object, err.operation, this.seconds, err)
      }
    }
  }
}

function beingDeleted(conn: VaultConnection | undefined, object: string, operation: VaultOperation | undefined, seconds: number, cause?: unknown): VaultError {
  return new VaultError('BEING_DELETED', ExitCode.Failure, `${object}${conn ? ` in ${conn.address.url}` : ''} was still being deleted after ${seconds} s.`, {
    scope: 'object',
    ...(operation === undefined ? {} : { operation }),
    status: 409,
    hint: 'Key Vault finishes deleting (or purging) within minutes; run the command again then.',
    ...(cause === undefined ? {} : { cause }),
  })
}

function purgeProtected(conn: VaultConnection, object: string, operation: VaultOperation, scheduledPurgeDate: string | undefined, cause?: unknown): VaultError {
  const when = scheduledPurgeDate ? ` Key Vault purges it by itself on ${scheduledPurgeDate}.` : ' Key Vault purges it by itself when the retention period ends.'
  return new VaultError('PURGE_PROTECTED', ExitCode.Refused, `Refused to purge ${object}: purge protection is enabled for ${conn.address.url}.${when}`, {
    scope: 'object',
    operation,
    hint: 'Purge protection cannot be turned off. Recover the object instead, or wait for the scheduled purge date.',
    ...(scheduledPurgeDate ? { details: { scheduledPurgeDate } } : {}),
    ...(cause === undefined ? {} : { cause }),
  })
}

/** Run one SDK call, classifying what it throws (with the special answers of deleted-object operations). */
async function call<T>(conn: VaultConnection, operation: VaultOperation, object: string, fn: () => Promise<T>, scheduledPurgeDate?: string): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw classify(conn, operation, object, err, scheduledPurgeDate)
  }
}

function classify(conn: VaultConnection, operation: VaultOperation, object: string, err: unknown, scheduledPurgeDate?: string): VaultError {
  if (err instanceof VaultError) return err
  const e = err as { statusCode?: unknown; message?: unknown; details?: unknown }
  const inner = (e?.details as { error?: { innerError?: { code?: unknown } } } | undefined)?.error?.innerError?.code
  const message = typeof e?.message === 'string' ? e.message : ''
  const action = operation.split('.')[1]
  if (isBeingDeleted(err)) {
    return new VaultError('BEING_DELETED_NOW', ExitCode.Failure, `${object} is currently being deleted.`, { scope: 'object', operation, status: 409, cause: err })
  }
  if (e?.statusCode === 403 && (inner === 'SecretManagedByKeyVault' || inner === 'KeyManagedByKeyVault')) {
    const certificate = `certificate/${object.split('/')[1] ?? ''}`
    return new VaultError('MANAGED_BY_CERTIFICATE', ExitCode.Failure, `${object} belongs to ${certificate}: it comes back (or goes) with the certificate.`, {
      scope: 'object',
      operation,
      status: 403,
      innerCode: inner,
      hint: `${action === 'purge' ? 'Purge' : 'Recover'} ${certificate} instead.`,
      cause: err,
    })
  }
  if (e?.statusCode === 403 && /purge protection is enabled/i.test(message)) return purgeProtected(conn, object, operation, scheduledPurgeDate, err)
  if (e?.statusCode === 404 && (action === 'recover' || action === 'purge')) {
    return new VaultError('NOT_DELETED', ExitCode.Failure, `${object} is not a soft-deleted object of ${conn.address.url} (it was never deleted, or was already recovered or purged).`, {
      scope: 'object',
      operation,
      status: 404,
      hint: 'List what can be recovered with kvdr recover --vault <url>.',
      cause: err,
    })
  }
  return classifyError(err, { operation, vaultUrl: conn.address.url, object, bodyOf: (r) => conn.governor.errorBody(r) })
}
