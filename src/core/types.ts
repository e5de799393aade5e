/** Domain types shared by every layer: object kinds and references, vault identity ("world"). */
import { UsageError } from './errors.js'

export const OBJECT_KINDS = ['secret', 'key', 'certificate'] as const
export type ObjectKind = (typeof OBJECT_KINDS)[number]

/** A Key Vault object, optionally one version of it: `secret/db-pass`, `key/cmk/0123...`. */
export interface ObjectRef {
  kind: ObjectKind
  name: string
  version?: string
}

const NAME_RE = /^[0-9a-zA-Z-]{1,127}$/
const VERSION_RE = /^[0-9a-f]{32}$/

/** True when `name` is a valid Key Vault object name (1-127 of `0-9a-zA-Z-`). */
export function isValidObjectName(name: string): boolean {
  return NAME_RE.test(name)
}

/** True when `v` has the form of a Key Vault version id (32 lowercase hex). */
export function isValidVersion(v: string): boolean {
  return VERSION_RE.test(v)
}

export function formatRef(ref: ObjectRef): string {
  return ref.version ? `${ref.kind}/${ref.name}/${ref.version}` : `${ref.kind}/${ref.name}`
}

/** Parse `kind/name[/version]`. Throws UsageError with the accepted forms on bad input. */
export function parseRef(text: string): ObjectRef {
  const parts = text.split('/')
  const [kind, name, version] = parts
  const hint = 'Write the object as kind/name or kind/name/version, e.g. secret/db-password or key/cmk/0123456789abcdef0123456789abcdef.'
  if (parts.length < 2 || parts.length > 3 || !(OBJECT_KINDS as readonly string[]).includes(kind ?? '')) {
    throw new UsageError(`"${text}" is not an object reference.`, { hint })
  }
  if (!name || !isValidObjectName(name)) throw new UsageError(`"${name ?? ''}" is not a valid Key Vault object name.`, { hint })
  if (version !== undefined && !isValidVersion(version)) {
    throw new UsageError(`"${version}" is not a Key Vault version id (32 lowercase hex characters).`, { hint })
  }
  return { kind: kind as ObjectKind, name, ...(version === undefined ? {} : { version }) }
}

/**
 * Where a vault lives. Native Key Vault backups restore only within the same subscription AND geography
 * (a "security world"); value captures restore anywhere.
 */
export interface VaultWorld {
  subscriptionId?: string
  tenantId?: string
  region?: string
  geography?: string
}
