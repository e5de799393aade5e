/**
 * Capturing one object: every version's value (or public material) sealed as a content with a keyed fingerprint,
 * the native backup of all versions, and the object's policies, into one entry. Per-object failures become
 * problems on the result (the entry keeps whatever was captured); failures that affect the whole vault (auth,
 * firewall, unreachable) are rethrown. Secret values only ever pass from the reader to `saveContent`.
 */
import { MAX_BACKUP_VERSIONS, WARN_BACKUP_VERSIONS } from '../core/limits.js'
import type { ObjectKind } from '../core/types.js'
import { mapLimit } from '../repo/concurrency.js'
import { canonicalJson, utf8 } from '../repo/encoding.js'
import type { RepositoryWriter } from '../repo/repository.js'
import type { ContentId, Entry } from '../repo/types.js'
import { VaultError } from '../vault/errors.js'
import type { VaultReader } from '../vault/reader.js'
import type { ListedObject, VersionInfo } from '../vault/types.js'
import { certificateFingerprint, issuerFingerprint, keyFingerprint, secretFingerprint } from './fingerprints.js'
import {
  type CertificateRecord,
  type CertificateVersionRecord,
  CONTACTS_KIND,
  CONTACTS_NAME,
  type ContactsRecord,
  CONTENT,
  ISSUER_KIND,
  type IssuerRecord,
  type KeyRecord,
  type KeyVersionRecord,
  type NativeRecord,
  type ObjectRecordBase,
  RECORD_VERSION,
  recordedAttributes,
  restorability,
  type SecretRecord,
  type SecretVersionRecord,
  signatureOf,
  toEntry,
} from './records.js'

/** A per-object problem, as reported and stored in the snapshot summary. */
export interface Problem {
  severity: 'warning' | 'error'
  message: string
  /** The error code (VAULT_FORBIDDEN, ...), when an error caused it. */
  code?: string
  /** The data action that was missing, for permission errors. */
  permission?: string
}

/** What to capture. */
export interface CaptureModes {
  /** Key Vault's native backups (all versions; restorable in the same subscription and geography). */
  native: boolean
  /** Values: secret versions, certificates' exportable PFX/PEM, keys' public material (restorable anywhere). */
  value: boolean
}

export interface CaptureContext {
  reader: VaultReader
  writer: Pick<RepositoryWriter, 'saveContent' | 'fingerprint'>
  modes: CaptureModes
  /** Warn from this many versions; above `maxNativeVersions` the native backup is skipped (Key Vault refuses it). */
  warnVersions?: number
  maxNativeVersions?: number
  /** Versions of one object read at once (default 8; the governor bounds requests overall). */
  versionConcurrency?: number
  /** kvdr's clock, ISO. */
  now(): string
}

/** One captured object: its entry (undefined when it vanished during the run) and its problems. */
export interface Captured {
  entry?: Entry
  problems: Problem[]
}

/** Run `fn`; an object-scoped VaultError becomes an error problem (undefined result), anything else propagates. */
async function attempt<T>(problems: Problem[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof VaultError && err.scope === 'object') {
      problems.push({ severity: 'error', message: err.message, code: err.code, ...(err.missingPermission ? { permission: err.missingPermission } : {}) })
      return undefined
    }
    throw err
  }
}

/** The object was deleted between the listing and its capture. */
function gone(kind: ObjectKind, name: string): Captured {
  return { problems: [{ severity: 'warning', message: `${kind}/${name} was deleted while the backup ran; it is not in this snapshot.` }] }
}

/** True when the error says the object itself is gone (deleted while the run was going). */
function vanished(problems: Problem[]): boolean {
  return problems.some((p) => p.code === 'VAULT_NOT_FOUND')
}

/** Every version, as listed (Key Vault lists them by id). */
async function allVersions(reader: VaultReader, kind: ObjectKind, name: string): Promise<VersionInfo[]> {
  const out: VersionInfo[] = []
  for await (const page of reader.versions(kind, name)) out.push(...page.items)
  return out
}

/**
 * Order versions oldest first, the current one last, so restore can recreate them in order. Creation times have
 * one-second resolution; within a second, `previous` (each secret version's previousVersion, when read) gives
 * the order. When the newest second still holds several versions, one request asks which one is current.
 */
async function ordered<V extends { version: string; attributes: { createdOn?: string } }>(reader: VaultReader, kind: ObjectKind, name: string, versions: V[], previous: ReadonlyMap<string, string> = new Map()): Promise<V[]> {
  const byTime = new Map<string, V[]>()
  for (const v of [...versions].sort((a, b) => a.version.localeCompare(b.version))) {
    const t = v.attributes.createdOn ?? ''
    byTime.set(t, [...(byTime.get(t) ?? []), v])
  }
  const out: V[] = []
  const times = [...byTime.keys()].sort()
  for (const [i, t] of times.entries()) {
    let group = byTime.get(t) as V[]
    if (group.length > 1) {
      const ids = new Set(group.map((v) => v.version))
      const chained: V[] = []
      let next = group.find((v) => !ids.has(previous.get(v.version) ?? ''))
      while (next && chained.length < group.length) {
        chained.push(next)
        const id = next.version
        next = group.find((v) => previous.get(v.version) === id)
      }
      if (chained.length === group.length) group = chained
      else if (i === times.length - 1) {
        const current = await reader.latestVersion(kind, name).catch(() => undefined)
        const j = group.findIndex((v) => v.version === current)
        if (j >= 0) group = [...group.slice(0, j), ...group.slice(j + 1), group[j] as V]
      }
    }
    out.push(...group)
  }
  return out
}

/** The version guard: warn from 400 versions; above 500 skip the native backup (it fails) and say so. */
function guardVersions(ctx: CaptureContext, kind: ObjectKind, name: string, count: number, problems: Problem[]): boolean {
  const warnAt = ctx.warnVersions ?? WARN_BACKUP_VERSIONS
  const max = ctx.maxNativeVersions ?? MAX_BACKUP_VERSIONS
  if (count > max) {
    const loss = kind === 'secret' ? 'values were captured instead (restorable anywhere)' : kind === 'key' ? 'its key material cannot be captured at all' : 'only exportable certificate versions were captured by value'
    problems.push({ severity: kind === 'key' ? 'error' : 'warning', message: `${kind}/${name} has ${count} versions: Key Vault's native backup refuses more than ${max}, so none was taken; ${loss}.`, code: 'TOO_MANY_VERSIONS' })
    return false
  }
  if (count >= warnAt) problems.push({ severity: 'warning', message: `${kind}/${name} has ${count} versions; Key Vault's native backup stops working above ${max}.`, code: 'MANY_VERSIONS' })
  return true
}

async function nativeBackup(ctx: CaptureContext, kind: ObjectKind, name: string, versions: number, problems: Problem[]): Promise<NativeRecord | null> {
  if (!ctx.modes.native) return null
  const type = kind === 'secret' ? CONTENT.secretBackup : kind === 'key' ? CONTENT.keyBackup : CONTENT.certificateBackup
  const bytes = await attempt(problems, () => ctx.reader.backup(kind, name))
  if (!bytes) return null
  return { content: await ctx.writer.saveContent(type, bytes), versions }
}

function base(ctx: CaptureContext, listed: ListedObject, listedAt: number | null): Omit<ObjectRecordBase, 'restore'> {
  return { v: RECORD_VERSION, state: 'active', listing: signatureOf(listed, 'active'), listedAt, capturedAt: ctx.now() }
}

/** Capture a secret: every enabled version's value, disabled versions as metadata (native only), the native backup. */
export async function captureSecret(ctx: CaptureContext, listed: ListedObject, listedAt: number | null): Promise<Captured> {
  const problems: Problem[] = []
  const { name } = listed
  const versions = await attempt(problems, () => allVersions(ctx.reader, 'secret', name))
  if (!versions) return { problems }
  if (versions.length === 0) return gone('secret', name)
  const nativeOk = guardVersions(ctx, 'secret', name, versions.length, problems)
  const takeValues = ctx.modes.value || !nativeOk
  const previous = new Map<string, string>()
  const nativeTask = nativeOk ? nativeBackup(ctx, 'secret', name, versions.length, problems) : Promise.resolve(null)
  nativeTask.catch(() => {}) // awaited below; this only keeps an early failure of the versions from leaving it unhandled
  const unordered = await mapLimit(versions, ctx.versionConcurrency ?? 8, async (v): Promise<SecretVersionRecord> => {
    const rec: SecretVersionRecord = { version: v.version, attributes: recordedAttributes(v.attributes), tags: v.tags, capture: 'none', ...(v.contentType === undefined ? {} : { contentType: v.contentType }) }
    // Key Vault refuses to read disabled versions (403 SecretDisabled); kvdr never enables them to read them.
    if (!takeValues || !v.attributes.enabled) return rec
    const read = await attempt(problems, () => ctx.reader.secretVersion(name, v.version))
    if (read === undefined) return rec
    const { value } = read
    if (read.previousVersion) previous.set(v.version, read.previousVersion)
    rec.value = await ctx.writer.saveContent(CONTENT.secretValue, utf8(value))
    rec.fingerprint = secretFingerprint(ctx.writer, v, value)
    rec.capture = 'value'
    return rec
  })
  const native = await nativeTask
  if (vanished(problems)) return gone('secret', name)
  const records = await ordered(ctx.reader, 'secret', name, unordered, previous)
  if (native) for (const r of records) if (r.capture === 'none') r.capture = 'native-only'
  const disabled = records.filter((r) => r.capture === 'none' && !r.attributes.enabled).length
  if (disabled > 0) problems.push({ severity: 'warning', message: `secret/${name}: ${disabled} disabled version(s) have no native backup; Key Vault does not let anyone read disabled versions, so they are recorded as metadata only.` })
  const record: SecretRecord = { ...base(ctx, listed, listedAt), versions: records, native, restore: restorability('secret', records, native) }
  const refs = [...records.flatMap((r) => (r.value ? [r.value] : [])), ...(native ? [native.content] : [])]
  return { entry: toEntry('secret', name, refs, record), problems }
}

/** Capture a key: every version's public material and settings, its rotation policy, and the native backup. */
export async function captureKey(ctx: CaptureContext, listed: ListedObject, listedAt: number | null): Promise<Captured> {
  const problems: Problem[] = []
  const { name } = listed
  const versions = await attempt(problems, () => allVersions(ctx.reader, 'key', name))
  if (!versions) return { problems }
  if (versions.length === 0) return gone('key', name)
  const nativeOk = guardVersions(ctx, 'key', name, versions.length, problems)
  const nativeTask = nativeOk ? nativeBackup(ctx, 'key', name, versions.length, problems) : Promise.resolve(null)
  nativeTask.catch(() => {}) // awaited below; this only keeps an early failure of the versions from leaving it unhandled
  const unordered = await mapLimit(versions, ctx.versionConcurrency ?? 8, async (v): Promise<KeyVersionRecord> => {
    const rec: KeyVersionRecord = { version: v.version, attributes: recordedAttributes(v.attributes), tags: v.tags, capture: 'none', keyType: '', keyOps: [] }
    const d = await attempt(problems, () => ctx.reader.keyVersion(name, v.version))
    if (!d) return rec
    Object.assign(rec, {
      keyType: d.keyType,
      keyOps: d.keyOps,
      ...(d.keySize === undefined ? {} : { keySize: d.keySize }),
      ...(d.curve === undefined ? {} : { curve: d.curve }),
      ...(d.exportable === undefined ? {} : { exportable: d.exportable }),
      ...(d.releasePolicy === undefined ? {} : { releasePolicy: d.releasePolicy }),
      ...(d.hsmPlatform === undefined ? {} : { hsmPlatform: d.hsmPlatform }),
    })
    rec.publicKey = await ctx.writer.saveContent(CONTENT.keyPublic, utf8(canonicalJson(d.publicJwk)))
    rec.fingerprint = keyFingerprint(ctx.writer, v, d)
    rec.capture = 'public'
    return rec
  })
  const rotationPolicy = (await attempt(problems, () => ctx.reader.rotationPolicy(name))) ?? null
  const native = await nativeTask
  if (vanished(problems)) return gone('key', name)
  const records = await ordered(ctx.reader, 'key', name, unordered)
  if (!native && ctx.modes.native && nativeOk) problems.push({ severity: 'error', message: `key/${name}: no native backup, so its key material is not in this snapshot (only public keys and settings).` })
  const record: KeyRecord = { ...base(ctx, listed, listedAt), versions: records, rotationPolicy, native, restore: restorability('key', records, native) }
  const refs = [...records.flatMap((r) => (r.publicKey ? [r.publicKey] : [])), ...(native ? [native.content] : [])]
  return { entry: toEntry('key', name, refs, record), problems }
}

/** Capture a certificate: policy, every version's certificate, its PFX/PEM when exportable, and the native backup. */
export async function captureCertificate(ctx: CaptureContext, listed: ListedObject, listedAt: number | null): Promise<Captured> {
  const problems: Problem[] = []
  const { name } = listed
  const versions = await attempt(problems, () => allVersions(ctx.reader, 'certificate', name))
  if (!versions) return { problems }
  if (versions.length === 0) return gone('certificate', name)
  const policy = (await attempt(problems, () => ctx.reader.certificatePolicy(name))) ?? null
  const exportable = (policy as { exportable?: unknown } | null)?.exportable !== false
  const secretContentType = (policy as { contentType?: unknown } | null)?.contentType
  const nativeOk = guardVersions(ctx, 'certificate', name, versions.length, problems)
  const takeSecrets = (ctx.modes.value || !nativeOk) && exportable && policy !== null
  const nativeTask = nativeOk ? nativeBackup(ctx, 'certificate', name, versions.length, problems) : Promise.resolve(null)
  nativeTask.catch(() => {}) // awaited below; this only keeps an early failure of the versions from leaving it unhandled
  const unordered = await mapLimit(versions, ctx.versionConcurrency ?? 8, async (v): Promise<CertificateVersionRecord> => {
    const rec: CertificateVersionRecord = { version: v.version, attributes: recordedAttributes(v.attributes), tags: v.tags, capture: 'none' }
    const d = await attempt(problems, () => ctx.reader.certificateVersion(name, v.version))
    if (!d) return rec
    if (d.thumbprint) rec.thumbprint = d.thumbprint
    if (d.cer) {
      rec.cer = await ctx.writer.saveContent(CONTENT.certificateCer, d.cer)
      rec.fingerprint = certificateFingerprint(ctx.writer, v, d.cer)
      rec.capture = 'public'
    }
    // The PFX/PEM with the private key lives in the certificate's managed secret (same name and version).
    if (takeSecrets && v.attributes.enabled) {
      const value = await attempt(problems, () => ctx.reader.secretValue(name, v.version))
      if (value !== undefined) {
        rec.secret = await ctx.writer.saveContent(CONTENT.certificateSecret, utf8(value))
        if (typeof secretContentType === 'string') rec.secretContentType = secretContentType
        rec.capture = 'value'
      }
    }
    return rec
  })
  const native = await nativeTask
  if (vanished(problems)) return gone('certificate', name)
  const records = await ordered(ctx.reader, 'certificate', name, unordered)
  if (native) for (const r of records) if (r.capture === 'none') r.capture = 'native-only'
  const record: CertificateRecord = { ...base(ctx, listed, listedAt), versions: records, policy, native, restore: restorability('certificate', records, native) }
  const refs = [...records.flatMap((r) => [r.cer, r.secret].filter((x): x is ContentId => x !== undefined)), ...(native ? [native.content] : [])]
  return { entry: toEntry('certificate', name, refs, record), problems }
}

/** Capture one certificate issuer; its credentials become a sealed content. */
export async function captureIssuer(ctx: CaptureContext, name: string): Promise<Captured> {
  const problems: Problem[] = []
  const i = await attempt(problems, () => ctx.reader.issuer(name))
  if (!i) return { problems }
  const credentials = i.credentials ? await ctx.writer.saveContent(CONTENT.issuerCredentials, utf8(canonicalJson(i.credentials))) : null
  const { credentials: secret, name: _n, ...settings } = i
  const passwordCaptured = secret?.password !== undefined
  const notes = i.provider && !passwordCaptured ? ['Key Vault does not return issuer passwords: supply it again when restoring this issuer'] : []
  const record: IssuerRecord = { v: RECORD_VERSION, ...settings, credentials, passwordCaptured, notes, fingerprint: issuerFingerprint(ctx.writer, i) }
  return { entry: toEntry(ISSUER_KIND, i.name, credentials ? [credentials] : [], record), problems }
}

/** Capture the vault's certificate contacts (no entry when none are set). */
export async function captureContacts(ctx: CaptureContext): Promise<Captured> {
  const problems: Problem[] = []
  const contacts = await attempt(problems, () => ctx.reader.contacts())
  if (!contacts) return { problems }
  const record: ContactsRecord = { v: RECORD_VERSION, contacts }
  return { entry: toEntry(CONTACTS_KIND, CONTACTS_NAME, [], record), problems }
}
