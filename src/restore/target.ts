/**
 * What the target vault holds: its live and soft-deleted names per kind (listings), and for a live object the
 * keyed fingerprints of its versions, computed exactly as backup records them (FORMAT.md, "Fingerprints") so a
 * restore can tell identical, partly restored and different objects apart without exposing a value. Reads only.
 */
import { canonicalJson } from '../repo/encoding.js'
import { certificateFingerprint, type Fingerprinter, issuerFingerprint, keyFingerprint, secretFingerprint } from '../backup/fingerprints.js'
import type { ObjectKind } from '../core/types.js'
import { mapLimit } from '../repo/concurrency.js'
import { VaultError } from '../vault/errors.js'
import type { VaultReader } from '../vault/reader.js'
import type { DeletedObject, ListedObject, VersionInfo } from '../vault/types.js'


/** The target's names of one kind. */
export interface KindListing {
  live: Map<string, ListedObject>
  deleted: Map<string, DeletedObject>
}

/** One version in the target, with its fingerprint when its content could be read (enabled versions). */
export interface TargetVersion {
  version: string
  createdOn?: string
  fingerprint?: string
}

/** A live object's versions (oldest first) and which one is current. */
export interface LiveObject {
  versions: TargetVersion[]
  current?: string
}

/** List the target's live and soft-deleted objects of `kind` (managed ones left out). Throws VaultError. */
export async function listKind(reader: VaultReader, kind: ObjectKind): Promise<KindListing> {
  const live = new Map<string, ListedObject>()
  const deleted = new Map<string, DeletedObject>()
  for await (const page of reader.listActive(kind)) for (const o of page.items) if (!o.managed) live.set(o.name.toLowerCase(), o)
  for await (const page of reader.listDeleted(kind)) for (const o of page.items) if (!o.managed) deleted.set(o.name.toLowerCase(), o)
  return { live, deleted }
}

/** The fingerprint of a version as backup computes it (the same labels and inputs). */
async function versionFingerprint(reader: VaultReader, f: Fingerprinter, kind: ObjectKind, name: string, v: VersionInfo): Promise<string | undefined> {
  if (kind === 'secret') {
    // Disabled versions cannot be read (403 SecretDisabled): no fingerprint, as in backup.
    if (!v.attributes.enabled) return undefined
    return secretFingerprint(f, v, (await reader.secretVersion(name, v.version)).value)
  }
  if (kind === 'key') return keyFingerprint(f, v, await reader.keyVersion(name, v.version))
  const d = await reader.certificateVersion(name, v.version)
  return d.cer ? certificateFingerprint(f, v, d.cer) : undefined
}

/** What the snapshot recorded about a version: enough to recognise it in the target without reading its value. */
export interface KnownVersion {
  version: string
  fingerprint?: string
  attributes: { enabled: boolean; notBefore?: string; expiresOn?: string }
  tags: Record<string, string>
  contentType?: string
}

/**
 * True when the target's version is the recorded one unchanged: Key Vault never changes a secret version's value or
 * a certificate version's certificate, so the same id with the same attributes, tags and content type has the
 * recorded fingerprint. Keys are always read (their key_ops can be updated in place).
 */
function unchanged(kind: ObjectKind, v: VersionInfo, known: KnownVersion | undefined): known is KnownVersion & { fingerprint: string } {
  if (kind === 'key' || known?.fingerprint === undefined) return false
  const a = v.attributes
  const k = known.attributes
  return a.enabled === k.enabled && a.notBefore === k.notBefore && a.expiresOn === k.expiresOn && canonicalJson(v.tags) === canonicalJson(known.tags) && (kind !== 'secret' || v.contentType === known.contentType)
}

/**
 * Every version of a live object with its fingerprint, oldest first, and the current version. Versions the snapshot
 * recorded and that are unchanged take the recorded fingerprint; the others' values are read to be fingerprinted
 * and dropped at once. Throws VaultError (404 when it vanished).
 */
export async function readLive(reader: VaultReader, f: Fingerprinter, kind: ObjectKind, name: string, recorded: readonly KnownVersion[] = []): Promise<LiveObject> {
  const listed: VersionInfo[] = []
  for await (const page of reader.versions(kind, name)) listed.push(...page.items)
  const byId = new Map(recorded.map((r) => [r.version, r]))
  const versions = await mapLimit(listed, 8, async (v): Promise<TargetVersion> => {
    const known = byId.get(v.version)
    const fingerprint = unchanged(kind, v, known) ? known.fingerprint : await versionFingerprint(reader, f, kind, name, v)
    return { version: v.version, ...(v.attributes.createdOn === undefined ? {} : { createdOn: v.attributes.createdOn }), ...(fingerprint === undefined ? {} : { fingerprint }) }
  })
  versions.sort((x, y) => (x.createdOn ?? '').localeCompare(y.createdOn ?? ''))
  const current = versions.length > 0 ? await reader.latestVersion(kind, name) : undefined
  return { versions, ...(current === undefined ? {} : { current }) }
}

/** The target's issuer `name` fingerprinted as backup does, or undefined when it has none by that name. */
export async function targetIssuerFingerprint(reader: VaultReader, f: Fingerprinter, name: string): Promise<string | undefined> {
  try {
    return issuerFingerprint(f, await reader.issuer(name))
  } catch (err) {
    if (err instanceof VaultError && err.status === 404) return undefined
    throw err
  }
}

/** The target's certificate contacts as canonical JSON (for comparison), or undefined when none are set. */
export async function contactsCanonical(reader: VaultReader): Promise<string | undefined> {
  const c = await reader.contacts()
  return c === null ? undefined : canonicalJson(c)
}
