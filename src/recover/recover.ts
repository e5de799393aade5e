/**
 * `kvdr recover` as a library call: list a vault's soft-deleted secrets, keys and certificates, and recover or
 * (guarded) purge a selection of them, one result per object. Never throws for one object's failure; vault-wide
 * failures (auth, firewall, unreachable) before anything was done are thrown as classified VaultErrors.
 */
import { ExitCode, type ExitCodeValue, KvdrError } from '../core/errors.js'
import type { ObjectKind } from '../core/types.js'
import { mapLimit } from '../repo/concurrency.js'
import { VaultConnection } from '../vault/connection.js'
import type { TransportOptions } from '../vault/transport.js'
import { type DeletionSettings, nameState, purgeDeleted, purgeProtectedLevel, recoverDeleted, vaultDeletionSettings } from '../vault/deleted-ops.js'
import { VaultError } from '../vault/errors.js'
import { VaultReader } from '../vault/reader.js'
import { isEmptySelection, selects, type Selection } from './select.js'

const DAY_MS = 86_400_000

/** One soft-deleted object as `kvdr recover` lists it (part of the `--json` output, docs/recover.md). */
export interface DeletedItem {
  kind: ObjectKind
  name: string
  /** ISO times. */
  deletedOn?: string
  scheduledPurgeDate?: string
  /** Whole days until Key Vault purges it (by the vault's clock), 0 on the last day. */
  daysLeft?: number
  recoveryLevel?: string
  /** The key or secret of a certificate: it comes back (or goes) with `certificate/<name>`. */
  managedBy?: string
}

export type ObjectStatus = 'done' | 'warning' | 'error' | 'refused' | 'planned'

/** What happened to one selected object. */
export interface ObjectResult {
  object: string
  status: ObjectStatus
  /** What was (or would be) done, or what went wrong. Never a secret value. */
  message: string
  code?: string
  hint?: string
  details?: Record<string, unknown>
}

export interface RecoverResult {
  vault: string
  action: 'list' | 'recover' | 'purge'
  dryRun: boolean
  settings: DeletionSettings
  /** Every soft-deleted object of the listed kinds (list action), or the selected ones. */
  deleted: DeletedItem[]
  objects: ObjectResult[]
  summary: { done: number; warnings: number; errors: number; refused: number }
  exitCode: ExitCodeValue
}

export interface RecoverOptions {
  selection: Selection
  /** Purge instead of recover. */
  purge?: boolean
  /** Show what would be done; send no write. */
  dryRun?: boolean
  /**
   * Called once before the first purge with what will be purged; throw to cancel (nothing is sent then). Required
   * for purges that are not dry runs.
   */
  confirm?: (plan: { vault: string; vaultName: string; objects: string[] }) => Promise<void>
  /** Objects handled at once (default 4). */
  concurrency?: number
  /** Per-object wait for recovery or purge (default 120 s). */
  timeoutMs?: number
  pollMs?: number
  signal?: AbortSignal
}

/**
 * Every soft-deleted object of `kinds`, sorted by kind and name, with days left by the vault's clock. Throws
 * VaultError (listing forbidden names the permission: Key Vault Reader).
 */
export async function listDeletedObjects(conn: VaultConnection, kinds: readonly ObjectKind[], signal?: AbortSignal): Promise<DeletedItem[]> {
  const reader = new VaultReader(conn, signal)
  const out: DeletedItem[] = []
  for (const kind of kinds) {
    for await (const page of reader.listDeleted(kind)) {
      const now = conn.governor.observed.serverTime ?? Date.now()
      for (const d of page.items) {
        const purgeAt = d.scheduledPurgeDate ? Date.parse(d.scheduledPurgeDate) : undefined
        out.push({
          kind,
          name: d.name,
          ...(d.deletedOn ? { deletedOn: d.deletedOn } : {}),
          ...(d.scheduledPurgeDate ? { scheduledPurgeDate: d.scheduledPurgeDate } : {}),
          ...(purgeAt === undefined ? {} : { daysLeft: Math.max(0, Math.floor((purgeAt - now) / DAY_MS)) }),
          ...(d.attributes.recoveryLevel ? { recoveryLevel: d.attributes.recoveryLevel } : {}),
          ...(d.managed ? { managedBy: `certificate/${d.name}` } : {}),
        })
      }
    }
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
}

/**
 * List, recover or purge per `opts`. Explicit names that are not soft-deleted, the keys and secrets of
 * certificates, and per-object failures become results; under purge protection every purge is refused before
 * anything is sent (exit 23). Exit code: 0 all done (or listed), 3 partial, 1 nothing done, 23 refused purges, or
 * the vault-wide error's 20-22 when it struck before anything was done. Throws what `confirm` throws (nothing sent)
 * and vault-wide VaultErrors of the listing.
 */
export async function runRecover(conn: VaultConnection, opts: RecoverOptions): Promise<RecoverResult> {
  const sel = opts.selection
  const dryRun = opts.dryRun === true
  const action: RecoverResult['action'] = isEmptySelection(sel) ? 'list' : opts.purge ? 'purge' : 'recover'
  const listed = await listDeletedObjects(conn, sel.kinds, opts.signal)
  const level = listed.find((d) => d.recoveryLevel)?.recoveryLevel
  const settings: DeletionSettings = level ? { recoveryLevel: level, purgeProtection: purgeProtectedLevel(level) } : action === 'purge' ? await vaultDeletionSettings(conn, opts.signal ? { signal: opts.signal } : {}) : { purgeProtection: undefined }
  const base = { vault: conn.address.url, action, dryRun, settings }
  if (action === 'list') return { ...base, deleted: listed, objects: [], summary: { done: 0, warnings: 0, errors: 0, refused: 0 }, exitCode: ExitCode.Success }

  const verb = action === 'purge' ? 'purge' : 'recover'
  const chosen = listed.filter((d) => selects(sel, d.kind, d.name))
  const objects: ObjectResult[] = []
  // Keys and secrets of certificates: named explicitly, they are an error with a hint; matched by a glob or --all,
  // they are not separate actions (their certificate carries them).
  for (const d of chosen.filter((x) => x.managedBy)) {
    const named = sel.patterns.some((p) => !p.glob && (p.kind === undefined || p.kind === d.kind) && p.test(d.name))
    const certificateChosen = chosen.some((c) => c.kind === 'certificate' && c.name.toLowerCase() === d.name.toLowerCase())
    if (named && !certificateChosen) {
      objects.push({ object: ref(d), status: 'error', code: 'MANAGED_BY_CERTIFICATE', message: `${ref(d)} belongs to ${d.managedBy}: it comes back (or goes) with the certificate.`, hint: `${verb === 'purge' ? 'Purge' : 'Recover'} ${d.managedBy} instead.` })
    }
  }
  const targets = chosen.filter((d) => !d.managedBy)
  // Names not in the listing: live (an error), or perhaps still being deleted - a recovery waits that out.
  const unlisted: Array<{ kinds: ObjectKind[]; name: string; text: string }> = []
  for (const p of sel.patterns.filter((x) => !x.glob)) {
    if (chosen.some((d) => (p.kind === undefined || p.kind === d.kind) && p.test(d.name))) continue
    const kinds = p.kind ? [p.kind] : [...sel.kinds]
    const live = await liveRefs(conn, kinds, p.name, opts.signal)
    if (live.length > 0) objects.push({ object: p.text, status: 'error', code: 'NOT_DELETED', message: `${live.join(' and ')} ${live.length > 1 ? 'are' : 'is'} live, not deleted: there is nothing to ${verb}.` })
    else if (action === 'recover' && !dryRun) unlisted.push({ kinds, name: p.name, text: p.text })
    else objects.push(notDeleted(conn, p.text))
  }
  const ambiguous = sel.patterns.filter((p) => !p.glob && p.kind === undefined && targets.filter((d) => p.test(d.name)).length > 1)
  for (const p of ambiguous) {
    const names = targets.filter((d) => p.test(d.name)).map(ref)
    objects.push({ object: p.text, status: 'error', code: 'AMBIGUOUS', message: `"${p.text}" names ${names.join(' and ')}.`, hint: `Write kind/name (e.g. ${names[0]}) or pass --kind.` })
  }
  const acting = targets.filter((d) => !ambiguous.some((p) => p.test(d.name)))
  if (acting.length === 0 && objects.length === 0 && unlisted.length === 0) {
    objects.push({ object: sel.patterns.map((p) => p.text).join(' ') || '--all', status: 'error', code: 'NOTHING_SELECTED', message: `No soft-deleted ${sel.kinds.join(', ')} in ${conn.address.url} matches.`, hint: 'Run kvdr recover --vault <url> to list what is soft-deleted.' })
  }

  if (action === 'purge' && settings.purgeProtection === true) {
    for (const d of acting) objects.push(refusedPurge(conn, d))
  } else if (dryRun) {
    for (const d of acting) objects.push({ object: ref(d), status: 'planned', message: `would ${verb}${withParts(d)}` })
  } else if (acting.length > 0) {
    if (action === 'purge') {
      if (!opts.confirm) throw new KvdrError('REFUSED', ExitCode.Refused, 'Purging needs a confirmation.', { hint: 'Pass --yes, or run in a terminal to type the vault name.' })
      await opts.confirm({ vault: conn.address.url, vaultName: conn.address.name, objects: acting.map(ref) })
    }
    let stopped: VaultError | undefined
    const results = await mapLimit(acting, opts.concurrency ?? 4, async (d): Promise<ObjectResult> => {
      if (stopped) return { object: ref(d), status: 'error', code: 'NOT_ATTEMPTED', message: `not attempted: ${stopped.message}` }
      try {
        if (action === 'purge') await purgeDeleted(conn, d.kind, d.name, { ...wait(opts), settings })
        else await recoverDeleted(conn, d.kind, d.name, wait(opts))
        return { object: ref(d), status: 'done', message: `${action === 'purge' ? 'purged' : 'recovered'}${withParts(d)}` }
      } catch (err) {
        if (err instanceof VaultError && err.scope === 'vault') stopped ??= err
        return failed(ref(d), err)
      }
    })
    objects.push(...results)
  }
  for (const u of unlisted) objects.push(await recoverUnlisted(conn, u, wait(opts)))
  const summary = {
    done: objects.filter((o) => o.status === 'done').length,
    warnings: objects.filter((o) => o.status === 'warning').length,
    errors: objects.filter((o) => o.status === 'error').length,
    refused: objects.filter((o) => o.status === 'refused').length,
  }
  return { ...base, deleted: chosen, objects, summary, exitCode: exitCodeOf(objects) }
}

/**
 * Open a connection to `url` (DefaultAzureCredential, the run's network settings, kvdr's Governor), run `fn`, and
 * release the sockets however it ends. Throws UsageError for unreadable CA files.
 */
export async function withVaultConnection<T>(url: string, options: { transport: TransportOptions; toolVersion?: string }, fn: (conn: VaultConnection) => Promise<T>): Promise<T> {
  const conn = await VaultConnection.open(url, { transport: options.transport, ...(options.toolVersion ? { toolVersion: options.toolVersion } : {}) })
  try {
    return await fn(conn)
  } finally {
    conn.close()
  }
}

/** 0 when every object is done or planned, 23 when purges were refused, 3 partial, 1 (or the shared 20-22) when nothing was done. */
export function exitCodeOf(objects: readonly ObjectResult[]): ExitCodeValue {
  const ok = objects.filter((o) => o.status === 'done' || o.status === 'planned' || o.status === 'warning').length
  if (objects.some((o) => o.status === 'refused')) return ExitCode.Refused
  if (ok === objects.length) return ExitCode.Success
  if (ok > 0) return ExitCode.Partial
  const codes = [...new Set(objects.map((o) => (o.details?.exitCode as ExitCodeValue | undefined) ?? ExitCode.Failure))]
  return codes.length === 1 && [ExitCode.Auth, ExitCode.Forbidden, ExitCode.Unreachable].includes(codes[0] as 20 | 21 | 22) ? (codes[0] as ExitCodeValue) : ExitCode.Failure
}

function ref(d: { kind: ObjectKind; name: string }): string {
  return `${d.kind}/${d.name}`
}

/** ", with key/x and secret/x" for a certificate: its managed key and secret (same name) go with it. */
function withParts(d: DeletedItem): string {
  return d.kind === 'certificate' ? `, with key/${d.name} and secret/${d.name}` : ''
}

function refusedPurge(conn: VaultConnection, d: DeletedItem): ObjectResult {
  const when = d.scheduledPurgeDate ? `Key Vault purges it by itself on ${d.scheduledPurgeDate}` : 'Key Vault purges it by itself when the retention period ends'
  return {
    object: ref(d),
    status: 'refused',
    code: 'PURGE_PROTECTED',
    message: `refused: purge protection is enabled for ${conn.address.url}; ${when}.`,
    hint: 'Purge protection cannot be turned off. Recover the object instead, or wait for the scheduled purge date.',
    ...(d.scheduledPurgeDate ? { details: { scheduledPurgeDate: d.scheduledPurgeDate } } : {}),
  }
}

/** The kinds under which `name` is live (reads we may not do count as not live). */
async function liveRefs(conn: VaultConnection, kinds: readonly ObjectKind[], name: string, signal?: AbortSignal): Promise<string[]> {
  const live: string[] = []
  for (const kind of kinds) {
    try {
      if ((await nameState(conn, kind, name, signal ? { signal } : {})) === 'live') live.push(`${kind}/${name}`)
    } catch {
      // Only for the message.
    }
  }
  return live
}

function notDeleted(conn: VaultConnection, text: string): ObjectResult {
  return {
    object: text,
    status: 'error',
    code: 'NOT_DELETED',
    message: `"${text}" is not a soft-deleted object of ${conn.address.url} (never deleted, still being deleted, or already recovered or purged).`,
    hint: 'Run kvdr recover --vault <url> to list what is soft-deleted; an object deleted seconds ago appears there once Key Vault has finished deleting it.',
  }
}

/** Recover a named object the listing did not show: waits out a deletion still running; NOT_DELETED otherwise. */
async function recoverUnlisted(conn: VaultConnection, u: { kinds: ObjectKind[]; name: string; text: string }, w: WaitOptions): Promise<ObjectResult> {
  for (const kind of u.kinds) {
    try {
      await recoverDeleted(conn, kind, u.name, w)
      return { object: `${kind}/${u.name}`, status: 'done', message: 'recovered (its deletion was still running)' }
    } catch (err) {
      if (!(err instanceof VaultError && err.code === 'NOT_DELETED')) return failed(`${kind}/${u.name}`, err)
    }
  }
  return notDeleted(conn, u.text)
}

type WaitOptions = Pick<RecoverOptions, 'timeoutMs' | 'pollMs' | 'signal'>

function wait(opts: RecoverOptions): WaitOptions {
  return { ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }), ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }), ...(opts.signal ? { signal: opts.signal } : {}) }
}

function failed(object: string, err: unknown): ObjectResult {
  const k = err instanceof KvdrError ? err : new KvdrError('FAILED', ExitCode.Failure, err instanceof Error ? err.message : String(err))
  const refused = k.exitCode === ExitCode.Refused
  return {
    object,
    status: refused ? 'refused' : 'error',
    code: k.code,
    message: k.message,
    ...(k.hint ? { hint: k.hint } : {}),
    details: { ...(k.details ?? {}), exitCode: k.exitCode },
  }
}
