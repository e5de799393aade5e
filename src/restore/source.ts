/**
 * What to restore: the snapshot (by id, `latest`, or the vault's newest at or before `--as-of`), the entries
 * selected by kind, name glob, tag, object or single version, and each one's name in the target (--rename,
 * --prefix). Reads the repository only; versions are kept oldest first as backup recorded them.
 */
import { UsageError } from '../core/errors.js'
import { isValidObjectName, type ObjectKind, type ObjectRef } from '../core/types.js'
import type { RepositoryReader } from '../repo/repository.js'
import type { Snapshot } from '../repo/types.js'
import {
  type CertificateRecord,
  type CertificateVersionRecord,
  CONTACTS_KIND,
  type ContactsRecord,
  ISSUER_KIND,
  type IssuerRecord,
  isObjectRecord,
  type KeyRecord,
  type KeyVersionRecord,
  RECORD_VERSION,
  type SecretRecord,
  type SecretVersionRecord,
} from '../backup/records.js'

export type ObjectRecord = SecretRecord | KeyRecord | CertificateRecord
export type VersionRecord = SecretVersionRecord | KeyVersionRecord | CertificateVersionRecord

/** One entry chosen for restore. */
export type SourceObject =
  | {
      kind: ObjectKind
      /** Name in the snapshot. */
      name: string
      /** Name in the target. */
      targetName: string
      record: ObjectRecord
      /** The versions to bring back, oldest first (all of them unless one was chosen or --as-of cut later ones). */
      versions: VersionRecord[]
      /** Every recorded version is selected: a native blob holds exactly these. */
      allVersions: boolean
      /** A single version was asked for (`secret/name/<version>`) or a rollback: write it as the newest version. */
      pinned: boolean
    }
  | { kind: typeof ISSUER_KIND; name: string; targetName: string; record: IssuerRecord }
  | { kind: typeof CONTACTS_KIND; name: string; targetName: string; record: ContactsRecord }

/** Which entries to take. Empty lists select everything. */
export interface Selection {
  kinds?: readonly ObjectKind[]
  /** Name globs (`*`, `?`; case-insensitive, as Key Vault names are). */
  names?: readonly string[]
  /** `key=value` tag filters on the object's current version (all must match). */
  tags?: readonly string[]
  /** Single objects or versions (`secret/db`, `secret/db/<version>`). When given, only these are taken. */
  objects?: readonly ObjectRef[]
}

/** Name mapping into the target. */
export interface NameMapping {
  rename?: ReadonlyMap<string, string>
  prefix?: string
}

/** Where the source snapshot comes from. */
export interface SourceRef {
  /** `latest`, an id or a prefix. Ignored when `asOf` is set. */
  snapshot?: string
  /** Per object, the state current at this time: the vault's newest snapshot at or before it, versions created by then. */
  asOf?: Date
  /** The vault whose snapshots to use (canonical URL). */
  vault?: string
}

function globRegex(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 'i')
}

/** Parse `--rename old=new` values. Throws UsageError for malformed or invalid names and duplicates. */
export function parseRenames(values: readonly string[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const v of values) {
    const m = /^([^=]+)=([^=]+)$/.exec(v.trim())
    const from = m?.[1]?.trim()
    const to = m?.[2]?.trim()
    if (!from || !to || !isValidObjectName(from) || !isValidObjectName(to)) {
      throw new UsageError(`--rename "${v}" is not old=new with two valid Key Vault names.`, { hint: 'Write --rename db-password=db-password-restored (names of 1-127 letters, digits and hyphens; repeat the flag for more).' })
    }
    if (map.has(from.toLowerCase())) throw new UsageError(`--rename names "${from}" twice.`, { hint: 'Give each object one new name.' })
    map.set(from.toLowerCase(), to)
  }
  return map
}

/** The target name of `name` under the mapping. Throws UsageError when the result is not a valid name. */
export function mapName(name: string, mapping: NameMapping): string {
  const renamed = mapping.rename?.get(name.toLowerCase()) ?? name
  const out = `${mapping.prefix ?? ''}${renamed}`
  if (!isValidObjectName(out)) throw new UsageError(`--prefix "${mapping.prefix ?? ''}" makes "${out}", which is not a valid Key Vault name.`, { hint: 'Use letters, digits and hyphens; names are at most 127 characters.' })
  return out
}

function parseTag(t: string): [string, string] {
  const i = t.indexOf('=')
  if (i <= 0) throw new UsageError(`--tag "${t}" is not key=value.`, { hint: 'Write --tag env=prod (repeatable; all must match).' })
  return [t.slice(0, i), t.slice(i + 1)]
}

/**
 * The snapshot to restore from. With `asOf`: the vault's newest snapshot taken at or before it. Throws UsageError
 * when the vault is not named and the repository holds several vaults, and SnapshotNotFoundError when none fits.
 */
export async function chooseSnapshot(repo: Pick<RepositoryReader, 'listSnapshots' | 'resolveSnapshot'>, ref: SourceRef): Promise<Snapshot> {
  if (ref.asOf === undefined) return repo.resolveSnapshot(ref.snapshot ?? 'latest', ref.vault === undefined ? {} : { vault: ref.vault })
  const { snapshots } = await repo.listSnapshots()
  const vaults = [...new Set(snapshots.map((s) => s.vault.url))]
  const vault = ref.vault ?? (vaults.length === 1 ? vaults[0] : undefined)
  if (vault === undefined) {
    throw new UsageError(`The repository holds snapshots of ${vaults.length} vaults; --as-of needs to know which.`, { hint: `Name the source vault with --from (one of: ${vaults.join(', ')}).` })
  }
  const t = ref.asOf.getTime()
  const before = snapshots.filter((s) => s.vault.url === vault && Date.parse(s.time) <= t)
  const chosen = before[before.length - 1]
  if (!chosen) {
    throw new UsageError(`No snapshot of ${vault} was taken at or before ${ref.asOf.toISOString()}.`, { hint: 'List them with `kvdr snapshots list`; choose a later --as-of or a --snapshot.' })
  }
  return chosen
}

/** Versions of a record current at `asOf` (created by then); all when no time is given. */
function versionsAt(record: ObjectRecord, asOf: Date | undefined): VersionRecord[] {
  const all = record.versions as VersionRecord[]
  if (asOf === undefined) return all
  const t = asOf.getTime()
  return all.filter((v) => v.attributes.createdOn === undefined || Date.parse(v.attributes.createdOn) <= t)
}

function matchesTags(record: ObjectRecord, tags: ReadonlyArray<[string, string]>): boolean {
  return tags.every(([k, v]) => record.listing.tags[k] === v)
}

/**
 * Select the snapshot's entries to restore, mapped to their target names. Object entries soft-deleted at backup
 * time are taken only when named explicitly (`--object`). Throws UsageError when a named object or version is not
 * in the snapshot, or when two objects would land on one target name.
 */
export async function selectObjects(repo: Pick<RepositoryReader, 'entries'>, snapshot: Snapshot, selection: Selection, mapping: NameMapping, asOf?: Date): Promise<SourceObject[]> {
  const kinds = selection.kinds && selection.kinds.length > 0 ? new Set<string>(selection.kinds) : undefined
  const globs = (selection.names ?? []).map(globRegex)
  const tags = (selection.tags ?? []).map(parseTag)
  const named = selection.objects ?? []
  const out: SourceObject[] = []
  const found = new Set<string>()
  for await (const e of repo.entries(snapshot)) {
    const d = e.data as { v?: unknown } | null
    if (!d || d.v !== RECORD_VERSION) continue
    if (e.kind === ISSUER_KIND || e.kind === CONTACTS_KIND) {
      // Vault settings go with certificates: restored when certificates are, and never by name filters.
      if (named.length > 0 || globs.length > 0 || tags.length > 0 || (kinds !== undefined && !kinds.has('certificate'))) continue
      const targetName = e.kind === ISSUER_KIND ? mapName(e.name, mapping) : e.name
      out.push(e.kind === ISSUER_KIND ? { kind: ISSUER_KIND, name: e.name, targetName, record: e.data as unknown as IssuerRecord } : { kind: CONTACTS_KIND, name: e.name, targetName, record: e.data as unknown as ContactsRecord })
      continue
    }
    if (!isObjectRecord(e.data) || !['secret', 'key', 'certificate'].includes(e.kind)) continue
    const kind = e.kind as ObjectKind
    const record = e.data as unknown as ObjectRecord
    const ref = named.find((r) => r.kind === kind && r.name.toLowerCase() === e.name.toLowerCase())
    if (named.length > 0 && !ref) continue
    if (kinds && !kinds.has(kind)) continue
    if (globs.length > 0 && !globs.some((g) => g.test(e.name))) continue
    if (tags.length > 0 && !matchesTags(record, tags)) continue
    if (record.state === 'deleted' && !ref) continue
    let versions = versionsAt(record, asOf)
    let pinned = false
    if (ref?.version) {
      const v = versions.find((x) => x.version === ref.version)
      if (!v) throw new UsageError(`${kind}/${e.name} has no version ${ref.version} in snapshot ${snapshot.id.slice(0, 8)}${asOf ? ` at ${asOf.toISOString()}` : ''}.`, { hint: `See its versions with \`kvdr snapshots show ${snapshot.id.slice(0, 8)}\`.` })
      versions = [v]
      pinned = true
    }
    if (ref) found.add(`${kind}/${e.name.toLowerCase()}`)
    if (versions.length === 0) continue
    out.push({ kind, name: e.name, targetName: mapName(e.name, mapping), record, versions, allVersions: versions.length === record.versions.length && !pinned, pinned })
  }
  for (const r of named) {
    if (!found.has(`${r.kind}/${r.name.toLowerCase()}`)) throw new UsageError(`${r.kind}/${r.name} is not in snapshot ${snapshot.id.slice(0, 8)}.`, { hint: `List what it holds with \`kvdr snapshots show ${snapshot.id.slice(0, 8)}\`.` })
  }
  const seen = new Map<string, string>()
  for (const o of out) {
    const key = `${o.kind}/${o.targetName.toLowerCase()}`
    const prev = seen.get(key)
    if (prev !== undefined) throw new UsageError(`${prev} and ${o.kind}/${o.name} would both be restored as ${key}.`, { hint: 'Change --rename / --prefix so every object gets its own name.' })
    seen.set(key, `${o.kind}/${o.name}`)
  }
  return out
}
