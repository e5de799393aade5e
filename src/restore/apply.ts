/**
 * Applying one planned object: native restore of the stored blob (then the key's rotation policy), value restore
 * of the chosen versions oldest first (secrets set; certificates imported, then their policy), recovery of the
 * target's soft-deleted object, a confirmed purge first when planned, and issuers and contacts. A name Key Vault
 * reports as being deleted is waited for (bounded) and the write repeated. Every failure becomes the object's
 * outcome; only vault-wide errors (auth, firewall, unreachable) are thrown. Values go from the repository to Key
 * Vault and nowhere else.
 */
import { ExitCode } from '../core/errors.js'
import type { ObjectKind } from '../core/types.js'
import { fromUtf8 } from '../repo/encoding.js'
import type { RepositoryReader } from '../repo/repository.js'
import type { ContentId } from '../repo/types.js'
import type { CertificateRecord, CertificateVersionRecord, KeyRecord, SecretVersionRecord } from '../backup/records.js'
import type { VaultConnection } from '../vault/connection.js'
import { type DeletionSettings, purgeDeleted, recoverDeleted, waitUntilNameFree } from '../vault/deleted-ops.js'
import { VaultError } from '../vault/errors.js'
import type { VaultReader } from '../vault/reader.js'
import { isNameConflict, isWorldMismatch, type VaultWriter } from '../vault/writer.js'
import type { PlanItem } from './decide.js'
import type { ObjectOutcome } from './types.js'

export interface ApplyContext {
  repo: Pick<RepositoryReader, 'loadContent'>
  reader: VaultReader
  writer: VaultWriter
  connection: VaultConnection
  deletion?: DeletionSettings
  signal?: AbortSignal
  /** Longest wait for a name being deleted (default 120 s). */
  nameWaitMs?: number
}

type Done = { message: string; written: number; warning?: boolean }

const text = async (ctx: ApplyContext, id: ContentId): Promise<string> => fromUtf8(await ctx.repo.loadContent(id))

/** Run a write; when Key Vault answers 409 (being deleted), wait until the name is usable and repeat it. */
async function writeWaiting<T>(ctx: ApplyContext, kind: ObjectKind, name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (!(err instanceof VaultError) || !isNameConflict(err)) throw err
    let result: T | undefined
    const state = await waitUntilNameFree(ctx.connection, kind, name, {
      probe: async () => (result = await write()),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.nameWaitMs === undefined ? {} : { timeoutMs: ctx.nameWaitMs }),
    })
    if (state !== 'free') {
      throw new VaultError(state === 'live' ? 'NAME_TAKEN' : 'NAME_DELETED', ExitCode.Failure, `${kind}/${name} is ${state === 'live' ? 'live' : 'soft-deleted'} in the target now (Key Vault was still deleting it, or it appeared, when the plan was made).`, {
        scope: 'object',
        hint: 'Run the restore again: the new plan will show what to do with it.',
      })
    }
    return result as T
  }
}

async function restoreValues(item: PlanItem, ctx: ApplyContext): Promise<number> {
  const { source } = item
  const name = item.planned.name
  if (source.kind === 'secret') {
    for (const v of item.write as SecretVersionRecord[]) {
      const value = await text(ctx, v.value as ContentId)
      const a = v.attributes
      await writeWaiting(ctx, 'secret', name, () =>
        ctx.writer.setSecret(name, {
          value,
          tags: v.tags,
          enabled: a.enabled,
          ...(v.contentType === undefined ? {} : { contentType: v.contentType }),
          ...(a.notBefore === undefined ? {} : { notBefore: a.notBefore }),
          ...(a.expiresOn === undefined ? {} : { expiresOn: a.expiresOn }),
        }),
      )
    }
    return item.write.length
  }
  if (source.kind === 'certificate') {
    for (const v of item.write as CertificateVersionRecord[]) {
      const value = await text(ctx, v.secret as ContentId)
      await writeWaiting(ctx, 'certificate', name, () =>
        ctx.writer.importCertificate(name, { value, tags: v.tags, enabled: v.attributes.enabled, ...(v.secretContentType === undefined ? {} : { contentType: v.secretContentType }) }),
      )
    }
    const policy = (source.record as CertificateRecord).policy
    if (policy !== null && item.write.length > 0) await ctx.writer.setCertificatePolicy(name, policy)
    return item.write.length
  }
  return 0
}

async function restoreNative(item: PlanItem, ctx: ApplyContext): Promise<Done> {
  const { source, planned } = item
  if (source.kind !== 'secret' && source.kind !== 'key' && source.kind !== 'certificate') throw new Error('native restore of a vault setting')
  const native = source.record.native
  if (!native) throw new Error('planned native restore without a blob')
  const blob = await ctx.repo.loadContent(native.content)
  try {
    await writeWaiting(ctx, source.kind, planned.name, () => ctx.writer.restoreNative(source.kind as ObjectKind, planned.name, blob))
  } catch (err) {
    if (!(err instanceof VaultError) || !isWorldMismatch(err) || planned.fallback !== 'value') throw err
    const written = await restoreValues(item, ctx)
    return { message: `Key Vault could not decrypt the native blob here (another subscription or geography): restored ${written} version(s) by value`, written, warning: true }
  }
  const policy = source.kind === 'key' ? (source.record as KeyRecord).rotationPolicy : null
  if (policy !== null) await ctx.writer.setRotationPolicy(planned.name, policy)
  return { message: `restored natively: ${native.versions} version(s) with their original ids${policy !== null ? ', rotation policy re-applied' : ''}`, written: native.versions }
}

async function perform(item: PlanItem, ctx: ApplyContext): Promise<Done> {
  const { planned, source } = item
  if (source.kind === 'certificate-issuer') {
    const r = source.record
    const creds = r.credentials ? (JSON.parse(await text(ctx, r.credentials)) as { accountId?: string; password?: string }) : {}
    await ctx.writer.setIssuer(planned.name, {
      provider: r.provider ?? 'Unknown',
      ...(creds.accountId === undefined ? {} : { accountId: creds.accountId }),
      ...(creds.password === undefined ? {} : { password: creds.password }),
      ...(r.organizationId === undefined ? {} : { organizationId: r.organizationId }),
      ...(r.administratorContacts === undefined ? {} : { administratorContacts: r.administratorContacts }),
      ...(r.enabled === undefined ? {} : { enabled: r.enabled }),
    })
    return { message: 'issuer set', written: 1, warning: planned.notes.length > 0 }
  }
  if (source.kind === 'certificate-contacts') {
    await ctx.writer.setContacts(source.record.contacts)
    return { message: `${source.record.contacts.length} contact(s) set`, written: 1 }
  }
  if (planned.action === 'recover') {
    await recoverDeleted(ctx.connection, source.kind, planned.name, { ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.nameWaitMs === undefined ? {} : { timeoutMs: ctx.nameWaitMs }) })
    return { message: 'recovered from the target\'s soft-deleted objects (every version)', written: 0 }
  }
  if (planned.purgeFirst) await purgeDeleted(ctx.connection, source.kind, planned.name, { ...(ctx.deletion ? { settings: ctx.deletion } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.nameWaitMs === undefined ? {} : { timeoutMs: ctx.nameWaitMs }) })
  try {
    if (planned.method === 'native') return await restoreNative(item, ctx)
    const written = await restoreValues(item, ctx)
    return { message: `${written} version(s) written by value, oldest first`, written, warning: planned.notes.length > 0 }
  } catch (err) {
    // The name was being deleted when the plan was made (reads cannot see that) and is soft-deleted now.
    if (!(err instanceof VaultError) || err.code !== 'NAME_DELETED' || planned.action !== 'create') throw err
    const current = source.record.versions[source.record.versions.length - 1]
    let deletedCreatedOn: string | undefined
    for await (const page of ctx.reader.listDeleted(source.kind)) deletedCreatedOn ??= page.items.find((d) => d.name.toLowerCase() === planned.name.toLowerCase())?.attributes.createdOn
    if (source.pinned || current?.attributes.createdOn === undefined || deletedCreatedOn !== current.attributes.createdOn) throw err
    await recoverDeleted(ctx.connection, source.kind, planned.name, { ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.nameWaitMs === undefined ? {} : { timeoutMs: ctx.nameWaitMs }) })
    return { message: 'Key Vault was still deleting it when the plan was made; it is soft-deleted with the snapshot\'s current version now: recovered', written: 0, warning: true }
  }
}

/**
 * Apply one planned object and report its outcome. Skips, conflicts and impossible objects are reported without a
 * request. Throws only vault-wide VaultErrors and repository errors (a missing or altered content).
 */
export async function applyItem(item: PlanItem, ctx: ApplyContext): Promise<ObjectOutcome> {
  const p = item.planned
  switch (p.action) {
    case 'skip':
      return { ...p, status: 'skipped', message: p.reason, written: 0 }
    case 'conflict':
      return p.refused ? { ...p, status: 'error', message: p.reason, written: 0, code: 'REFUSED' } : { ...p, status: 'warning', message: p.reason, written: 0, code: 'CONFLICT' }
    case 'impossible':
      return { ...p, status: 'error', message: p.reason, written: 0, code: 'IMPOSSIBLE' }
  }
  try {
    const done = await perform(item, ctx)
    return { ...p, status: done.warning ? 'warning' : 'done', message: done.message, written: done.written }
  } catch (err) {
    if (!(err instanceof VaultError) || err.scope !== 'object') throw err
    return { ...p, status: 'error', message: err.message, written: 0, code: err.exitCode === ExitCode.Refused ? 'REFUSED' : err.code }
  }
}
