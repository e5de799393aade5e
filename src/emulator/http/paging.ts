/**
 * List paging as Key Vault does it: `{value, nextLink}`, `maxresults` 1-25 (25 by default), an absolute nextLink
 * carrying an opaque `$skiptoken` and the same `maxresults`. The token holds the last key returned, so paging is
 * stable while objects are added. In `ragged` mode pages come back short or empty while nextLink continues.
 */
import { badParameter } from './errors.js'

/**
 * `full`: pages hold up to maxresults items; nextLink only while items remain.
 * `ragged`: the first page is empty, later pages hold at most half of maxresults (at least one), and the walk ends
 * with nextLink null; this forces clients to follow links instead of trusting page sizes.
 */
export type PagingMode = 'full' | 'ragged'

export const MAX_RESULTS_LIMIT = 25

export interface PageRequest {
  query: URLSearchParams
  /** `scheme://host[:port]` of the request. */
  baseUrl: string
  /** Collection path of the list, e.g. `/secrets` or `/secrets/name/versions`. */
  path: string
  apiVersion: string
  mode: PagingMode
  /**
   * A listing option later pages must keep (e.g. certificates' includePending), carried inside the `$skiptoken` as the
   * service does: its nextLinks repeat only api-version and maxresults. Read it back with `tokenOption`.
   */
  option?: string
}

export interface Page<T> {
  items: T[]
  nextLink: string | null
}

interface Token {
  /** Last key returned; the next page starts after it. */
  k: string | null
  /** Index of the page to produce. */
  p: number
  /** The listing option of the first request (PageRequest.option). */
  o?: string
}

/** Parse and validate `maxresults`. Throws 400 outside 1-25. */
export function maxResults(query: URLSearchParams): number {
  const raw = query.get('maxresults')
  if (raw === null || raw === '') return MAX_RESULTS_LIMIT
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > MAX_RESULTS_LIMIT) {
    throw badParameter(`Invalid value '${raw}' for parameter maxresults: it must be an integer from 1 to ${MAX_RESULTS_LIMIT}.`)
  }
  return n
}

/**
 * One page of `items` (sorted ascending by `keyOf`, keys unique). Throws 400 for a bad `maxresults` or a
 * `$skiptoken` this emulator did not issue.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, req: PageRequest): Page<T> {
  const max = maxResults(req.query)
  const token = parseToken(req.query.get('$skiptoken'))
  const rest = token.k === null ? [...items] : items.filter((i) => keyOf(i) > (token.k as string))
  const size = req.mode === 'full' ? max : token.p === 0 ? 0 : Math.max(1, Math.floor(max / 2))
  const page = rest.slice(0, size)
  const more = rest.length > page.length
  if (!more) return { items: page, nextLink: null }
  const last = page.at(-1)
  const option = req.option ?? token.o
  const next: Token = { k: last === undefined ? token.k : keyOf(last), p: token.p + 1, ...(option === undefined ? {} : { o: option }) }
  return { items: page, nextLink: nextLink(req, next) }
}

function nextLink(req: PageRequest, token: Token): string {
  const skip = Buffer.from(JSON.stringify(token), 'utf8').toString('base64url')
  const params = [`api-version=${encodeURIComponent(req.apiVersion)}`, `$skiptoken=${skip}`]
  const given = req.query.get('maxresults')
  if (given !== null && given !== '') params.push(`maxresults=${encodeURIComponent(given)}`)
  return `${req.baseUrl}${req.path}?${params.join('&')}`
}

/** The listing option carried by the request's `$skiptoken`, if any. Throws 400 for a token this emulator did not issue. */
export function tokenOption(query: URLSearchParams): string | undefined {
  return parseToken(query.get('$skiptoken')).o
}

function parseToken(raw: string | null): Token {
  if (raw === null || raw === '') return { k: null, p: 0 }
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Token>
    if ((typeof t.k === 'string' || t.k === null) && typeof t.p === 'number' && Number.isInteger(t.p) && t.p >= 0) {
      return { k: t.k, p: t.p, ...(typeof t.o === 'string' ? { o: t.o } : {}) }
    }
  } catch {
    // fall through to the error below
  }
  throw badParameter('The $skiptoken parameter is not valid. Use the nextLink returned by the previous page.')
}
