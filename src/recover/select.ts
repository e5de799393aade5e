/** Which soft-deleted objects a `kvdr recover` run acts on: names (`secret/db` or `db` with --kind), globs, or all. */
import { UsageError } from '../core/errors.js'
import { isValidObjectName, OBJECT_KINDS, type ObjectKind } from '../core/types.js'

/** One pattern the user gave: an exact name or a glob (`*`, `?`), optionally bound to a kind. */
export interface Pattern {
  /** As typed, for messages. */
  text: string
  kind?: ObjectKind
  name: string
  glob: boolean
  /** Case-insensitive, as Key Vault compares names. */
  test: (name: string) => boolean
}

export interface Selection {
  /** Kinds to consider (from --kind; default all three). */
  kinds: readonly ObjectKind[]
  /** Every deleted object of those kinds. */
  all: boolean
  patterns: Pattern[]
}

const HINT = 'Name objects as kind/name (secret/db-password), as a name with --kind, or as a glob (\'app-*\'); or pass --all.'

/**
 * Parse the selection. Throws UsageError for a malformed pattern, a kind outside --kind, or --all together with
 * names. No patterns and no --all selects nothing (the command lists).
 */
export function parseSelection(args: readonly string[], opts: { kinds?: readonly string[]; all?: boolean }): Selection {
  const kinds = (opts.kinds && opts.kinds.length > 0 ? [...new Set(opts.kinds)] : [...OBJECT_KINDS]) as ObjectKind[]
  for (const k of kinds) if (!(OBJECT_KINDS as readonly string[]).includes(k)) throw new UsageError(`--kind ${k} is not an object kind.`, { hint: 'Use secret, key or certificate.' })
  if (opts.all && args.length > 0) throw new UsageError('--all and object names exclude each other.', { hint: 'Pass either --all or the objects to act on.' })
  return { kinds, all: opts.all === true, patterns: args.map((a) => parsePattern(a, kinds)) }
}

function parsePattern(text: string, kinds: readonly ObjectKind[]): Pattern {
  const parts = text.split('/')
  if (parts.length > 2) throw new UsageError(`"${text}" is not an object name.`, { hint: `${HINT} Versions cannot be recovered one by one: recovery brings every version back.` })
  const [first, second] = parts as [string, string | undefined]
  let kind: ObjectKind | undefined
  if (second !== undefined) {
    if (!(OBJECT_KINDS as readonly string[]).includes(first)) throw new UsageError(`"${first}" in "${text}" is not an object kind.`, { hint: HINT })
    kind = first as ObjectKind
    if (!kinds.includes(kind)) throw new UsageError(`"${text}" is a ${kind}, but --kind leaves ${kind}s out.`, { hint: 'Drop --kind or add that kind.' })
  }
  const name = second ?? first
  const glob = /[*?]/.test(name)
  if (!glob && !isValidObjectName(name)) throw new UsageError(`"${name}" is not a valid Key Vault object name.`, { hint: HINT })
  if (glob && !/^[0-9a-zA-Z*?-]+$/.test(name)) throw new UsageError(`"${name}" is not a name glob (letters, digits, hyphens, * and ?).`, { hint: HINT })
  const re = new RegExp(`^${name.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i')
  const lower = name.toLowerCase()
  return { text, ...(kind ? { kind } : {}), name, glob, test: glob ? (n) => re.test(n) : (n) => n.toLowerCase() === lower }
}

/** True when the selection names nothing (list only). */
export function isEmptySelection(s: Selection): boolean {
  return !s.all && s.patterns.length === 0
}

/** The patterns that select `kind/name` (empty when none does; --all selects everything of the kinds). */
export function selects(s: Selection, kind: ObjectKind, name: string): boolean {
  if (!s.kinds.includes(kind)) return false
  return s.all || s.patterns.some((p) => (p.kind === undefined || p.kind === kind) && p.test(name))
}
