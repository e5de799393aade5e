/**
 * Replays the Azure SDK's recorded sessions against the live service (shared/spec/keyvault/recordings) against the
 * emulator and compares what comes back: status codes, field names and types, id forms, error codes and messages.
 *
 * How a recording is replayed:
 * - a fresh vault per recording, with the recording's region and soft-delete retention; lifecycle delays of 2 s;
 * - the emulator clock (frozen) is set to each entry's recorded `Date`, so soft-delete transitions happen at the
 *   recorded moments and 404/409 sequences reproduce;
 * - requests go to `https://<vault>.vault.azure.net:<port>` with the recorded method, path, query and body; the
 *   unauthenticated probe is sent without Authorization, the others with a bearer token;
 * - values that are random by nature (versions, backup blobs, key material) are mapped from the recorded value to
 *   the emulator's on first sight and substituted in later requests;
 * - a list walk (a first page and its `$skiptoken` continuations) is compared as a whole: the emulator's own
 *   nextLinks are followed, and the items of all pages must match the recorded items in number and form;
 * - per package (PACKAGE_RULES): lifecycle steps may take as long as the recording shows instead of 2 s, request
 *   bodies a client computed from recorded key material may be recomputed for the emulator's keys, and some
 *   responses compared literally.
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { join, relative } from 'node:path'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { adminToken } from './emulator.js'

export interface RecordedEntry {
  RequestUri: string
  RequestMethod: string
  RequestHeaders: Record<string, string>
  RequestBody: unknown
  StatusCode: number
  ResponseHeaders: Record<string, string>
  ResponseBody: unknown
}

export interface Recording {
  Entries: RecordedEntry[]
}

/** How one package's responses are compared. Other helpers add their fields when they switch a package on. */
export interface PackageRules {
  /** Integer Unix-second fields compared by form (integer), not value. */
  timeFields: readonly string[]
  /** String fields that are random by nature (key material, CSRs, thumbprints): compared by type, mapped for later requests. */
  opaqueFields: readonly string[]
  /**
   * `fixed` (default): every deletion, recovery and purge takes REPLAY_DELAY_MS. `recorded`: each takes as long as the
   * recording shows it took (until the first later request that succeeds only once it is complete), with the entries
   * of one recorded second placed a millisecond apart; for services whose lifecycle times vary within a second.
   */
  lifecycle?: 'fixed' | 'recorded'
  /**
   * Rewrites a request body (after recorded values were substituted) before it is sent, for values a client computed
   * locally from recorded key material. Gets the emulator's earlier response bodies.
   */
  rewriteBody?: (entry: RecordedEntry, body: unknown, earlier: readonly unknown[]) => unknown
  /** Request paths whose responses are compared literally, opaque fields included (results the recording fixes, such as decrypted plaintext). */
  literalResponses?: RegExp
}

export const PACKAGE_RULES: Record<string, PackageRules> = {
  'keyvault-secrets': { timeFields: ['created', 'updated', 'deletedDate', 'scheduledPurgeDate'], opaqueFields: [] },
  'keyvault-keys': {
    timeFields: ['created', 'updated', 'deletedDate', 'scheduledPurgeDate'],
    // `id` only appears as the rotation policy id, which the recordings sanitize to "Sanitized".
    opaqueFields: ['n', 'e', 'x', 'y', 'value', 'iv', 'tag', 'aad', 'digest', 'key_hsm', 'id'],
    lifecycle: 'recorded',
    rewriteBody: reencryptForEmulatorKey,
    literalResponses: /\/(decrypt|unwrapkey)$/i,
  },
  'keyvault-certificates': {
    timeFields: ['created', 'updated', 'deletedDate', 'scheduledPurgeDate', 'nbf', 'exp'],
    opaqueFields: ['cer', 'csr', 'x5t', 'request_id', 'value', 'n', 'e', 'serial_number'],
  },
}

export interface EntryOutcome {
  index: number
  method: string
  path: string
  expected: number
  /** The emulator's status, or `merged` when the recorded page was one of several the emulator answered in fewer pages. */
  actual: number | 'merged'
  problems: string[]
}

export interface RecordingOutcome {
  file: string
  entries: EntryOutcome[]
  problems: string[]
  passed: boolean
}

/**
 * Lifecycle delays used for replay: inside the window every recording shows (polls at +0-1 s see 404/409, at +4-6 s
 * 200). Self-signed certificates are issued after the same delay (recorded polls at +0-1 s see inProgress, the
 * recorded `created` is +2-3 s).
 */
export const REPLAY_DELAY_MS = 2000

/** Recording files of a package, as paths relative to the package folder, sorted. */
export function listRecordings(root: string, pkg: string): string[] {
  const base = join(root, pkg)
  const out: string[] = []
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) visit(join(dir, e.name))
      else if (e.name.endsWith('.json')) out.push(relative(base, join(dir, e.name)))
    }
  }
  visit(base)
  return out.sort()
}

export function loadRecording(root: string, pkg: string, file: string): Recording {
  return JSON.parse(readFileSync(join(root, pkg, file), 'utf8')) as Recording
}

interface Walk {
  path: string
  recordedItems: unknown[]
  actualItems: unknown[]
  nextLink: string | null
}

interface Sent {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

const VERSION_RE = /^[0-9a-f]{32}$/
const RECORDED_HOSTS = /https:\/\/(?:keyvault_name|Sanitized)\.vault\.azure\.net(?::443)?/gi

/** Replay one recording in a fresh vault named `vaultName`. The emulator must run on a frozen ManualClock. */
export async function replayRecording(em: EmulatorHandle, pkg: string, file: string, rec: Recording, vaultName: string): Promise<RecordingOutcome> {
  const rules = PACKAGE_RULES[pkg] ?? { timeFields: [], opaqueFields: [] }
  const first = rec.Entries[0]
  const region = first?.ResponseHeaders['x-ms-keyvault-region'] ?? 'westus'
  const retention = findNumber(rec, 'recoverableDays') ?? 90
  await em.addVault({
    name: vaultName,
    region,
    softDeleteRetentionDays: retention,
    deleteDelayMs: REPLAY_DELAY_MS,
    recoverDelayMs: REPLAY_DELAY_MS,
    purgeDelayMs: REPLAY_DELAY_MS,
    issueDelayMs: REPLAY_DELAY_MS,
  })
  const hostUrl = em.vault(vaultName).hostUrl
  const { options } = em.clientSetup(vaultName)
  const mapping = new Map<string, string>()
  const entries: EntryOutcome[] = []
  const problems: string[] = []
  const walks = new Map<string, Walk>()

  const send = async (method: string, pathAndQuery: string, body: string | undefined, auth: boolean): Promise<Sent> => {
    const token = auth ? await adminToken(em) : undefined
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Accept: 'application/json', 'x-ms-client-request-id': 'replay' }
      if (token !== undefined) headers.Authorization = `Bearer ${token}`
      if (body !== undefined) headers['Content-Type'] = 'application/json'
      headers['Content-Length'] = String(body === undefined ? 0 : Buffer.byteLength(body))
      const req = httpsRequest(new URL(pathAndQuery, hostUrl), { method, headers, agent: options.agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as unknown) })
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  const substitute = (text: string): string => {
    let out = text
    for (const [from, to] of mapping) if (from.length >= 16) out = out.split(from).join(to)
    return out
  }

  const finishWalk = async (path: string): Promise<void> => {
    const w = walks.get(path)
    if (!w) return
    walks.delete(path)
    while (w.nextLink !== null) {
      const u = new URL(w.nextLink)
      const page = await send('GET', u.pathname + u.search, undefined, true)
      const body = page.body as { value?: unknown[]; nextLink?: string | null }
      if (page.status !== 200 || !Array.isArray(body?.value)) {
        problems.push(`${w.path}: following the emulator's nextLink gave ${page.status}`)
        return
      }
      w.actualItems.push(...body.value)
      w.nextLink = body.nextLink ?? null
    }
    if (w.actualItems.length !== w.recordedItems.length) {
      problems.push(`${w.path}: the listing returned ${w.actualItems.length} items, the service ${w.recordedItems.length}`)
    }
    w.actualItems.forEach((item, i) => {
      const diffs = w.recordedItems.map((r) => compare(r, item, `${w.path} item`, { rules, mapping, learn: false }))
      if (!diffs.some((d) => d.length === 0)) problems.push(...(diffs[0] ?? [`${w.path} item ${i}: no recorded item has this form`]))
    })
  }

  const times = entryTimes(rec.Entries, rules.lifecycle === 'recorded' ? 1 : 0)
  const earlier: unknown[] = []
  for (const [index, entry] of rec.Entries.entries()) {
    const at = times[index] as number
    if (Number.isFinite(at)) em.clock.set(at)
    if (rules.lifecycle === 'recorded') applyRecordedDelay(em.model(vaultName).settings, rec.Entries, index, times)
    const uri = new URL(entry.RequestUri)
    const isContinuation = uri.searchParams.has('$skiptoken')
    const outcome: EntryOutcome = { index, method: entry.RequestMethod, path: uri.pathname, expected: entry.StatusCode, actual: 'merged', problems: [] }
    entries.push(outcome)
    if (!isContinuation) await finishWalk(uri.pathname)
    const walk = isContinuation ? walks.get(uri.pathname) : undefined

    let pathAndQuery = substitute(uri.pathname + uri.search)
    if (isContinuation) {
      if (!walk || walk.nextLink === null) {
        // The emulator needed fewer pages than the service; its items are compared when the walk ends.
        walk?.recordedItems.push(...recordedPageItems(entry))
        if (recordedPageEnds(entry)) await finishWalk(uri.pathname)
        continue
      }
      const next = new URL(walk.nextLink)
      pathAndQuery = next.pathname + next.search
    }
    let body = entry.RequestBody === null || entry.RequestBody === undefined ? undefined : substitute(JSON.stringify(entry.RequestBody))
    if (body !== undefined && rules.rewriteBody) body = JSON.stringify(rules.rewriteBody(entry, JSON.parse(body), earlier))
    const res = await send(entry.RequestMethod, pathAndQuery, body, 'Authorization' in entry.RequestHeaders)
    earlier.push(res.body)
    outcome.actual = res.status
    if (res.status !== entry.StatusCode) {
      outcome.problems.push(`status ${res.status}, the service answered ${entry.StatusCode}${errorSummary(res.body)}`)
      continue
    }
    outcome.problems.push(...compareHeaders(entry, res))
    const recordedBody = entry.ResponseBody as Record<string, unknown> | null
    if (recordedBody !== null && typeof recordedBody === 'object' && Array.isArray(recordedBody.value) && 'nextLink' in recordedBody) {
      const actualPage = res.body as { value?: unknown[]; nextLink?: unknown }
      if (!Array.isArray(actualPage?.value) || !(typeof actualPage.nextLink === 'string' || actualPage.nextLink === null)) {
        outcome.problems.push('list page is not {value: [], nextLink: string|null}')
        continue
      }
      if (typeof actualPage.nextLink === 'string') outcome.problems.push(...checkNextLink(actualPage.nextLink, hostUrl, uri))
      const w = walk ?? { path: uri.pathname, recordedItems: [], actualItems: [], nextLink: null }
      walks.set(uri.pathname, w)
      w.recordedItems.push(...recordedBody.value)
      w.actualItems.push(...actualPage.value)
      w.nextLink = (actualPage.nextLink as string | null) ?? null
      if (recordedPageEnds(entry)) await finishWalk(uri.pathname)
      continue
    }
    const entryRules = rules.literalResponses?.test(uri.pathname) ? { ...rules, opaqueFields: [] } : rules
    outcome.problems.push(...compare(entry.ResponseBody, res.body, 'body', { rules: entryRules, mapping, learn: true }))
  }
  for (const path of [...walks.keys()]) await finishWalk(path)
  await em.removeVault(vaultName)
  const passed = problems.length === 0 && entries.every((e) => e.problems.length === 0)
  return { file, entries, problems, passed }
}

/**
 * The emulator time of each entry: its recorded Date, never earlier than the entry before plus `stepMs` (so with a
 * step, the entries of one recorded second keep their order). NaN before the first dated entry.
 */
function entryTimes(entries: readonly RecordedEntry[], stepMs: number): number[] {
  let at = Number.NEGATIVE_INFINITY
  return entries.map((e) => {
    const recordedAt = Date.parse(e.ResponseHeaders.Date ?? '')
    if (!Number.isNaN(recordedAt)) at = Math.max(at + stepMs, recordedAt)
    else if (Number.isFinite(at)) at += stepMs
    return Number.isFinite(at) ? at : Number.NaN
  })
}

/** Where a lifecycle step starts, and the request that shows it complete. */
function lifecycleStep(entry: RecordedEntry): { setting: 'deleteDelayMs' | 'recoverDelayMs' | 'purgeDelayMs'; done: RegExp } | undefined {
  if (entry.StatusCode >= 300) return undefined
  const path = new URL(entry.RequestUri).pathname.replace(/\/$/, '')
  const live = /^\/(secrets|keys|certificates)\/([^/]+)$/i.exec(path)
  const deleted = /^\/deleted(secrets|keys|certificates)\/([^/]+)(\/recover)?$/i.exec(path)
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  if (entry.RequestMethod === 'DELETE' && live) {
    return { setting: 'deleteDelayMs', done: new RegExp(`^/deleted${live[1]}/${esc(live[2] as string)}(/recover)?/?$`, 'i') }
  }
  if (!deleted) return undefined
  const [, coll, name, recover] = deleted as unknown as [string, string, string, string | undefined]
  if (entry.RequestMethod === 'POST' && recover) return { setting: 'recoverDelayMs', done: new RegExp(`^/${coll}/${esc(name)}(/.*)?$`, 'i') }
  if (entry.RequestMethod === 'DELETE' && !recover) return { setting: 'purgeDelayMs', done: new RegExp(`^/${coll}/(restore|${esc(name)}(/.*)?)$`, 'i') }
  return undefined
}

/**
 * For `lifecycle: 'recorded'`: before a deletion, recovery or purge is sent, set the vault's delay for that step so it
 * completes exactly when the first later successful request on the object (GET deleted, recover, purge; a read of the
 * recovered object; a restore or re-creation) was answered. Steps never shown complete keep the current delay.
 */
function applyRecordedDelay(settings: Record<'deleteDelayMs' | 'recoverDelayMs' | 'purgeDelayMs', number>, entries: readonly RecordedEntry[], index: number, times: readonly number[]): void {
  const step = lifecycleStep(entries[index] as RecordedEntry)
  if (!step) return
  for (let j = index + 1; j < entries.length; j++) {
    const later = entries[j] as RecordedEntry
    if (later.StatusCode < 300 && step.done.test(new URL(later.RequestUri).pathname)) {
      settings[step.setting] = (times[j] as number) - (times[index] as number)
      return
    }
  }
}

const RSA_ENCRYPTION: Record<string, { padding: number; oaepHash?: string }> = {
  RSA1_5: { padding: constants.RSA_PKCS1_PADDING },
  'RSA-OAEP': { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
  'RSA-OAEP-256': { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
}

/**
 * keyvault-keys: the SDK encrypts and wraps locally with the public key the service returned, so a recorded decrypt
 * or unwrapKey request carries a ciphertext for the recorded key, which no other key can open. This re-encrypts the
 * recorded plaintext (the value of the recorded response) for the emulator's key of that name, with the same
 * algorithm; the emulator's answer is still compared with the recorded one.
 */
function reencryptForEmulatorKey(entry: RecordedEntry, body: unknown, earlier: readonly unknown[]): unknown {
  const m = /^\/keys\/([^/]+)\/[^/]*\/(decrypt|unwrapkey)$/i.exec(new URL(entry.RequestUri).pathname)
  const plaintext = (entry.ResponseBody as { value?: unknown } | null)?.value
  const request = body as { alg?: unknown; value?: unknown }
  const scheme = typeof request.alg === 'string' ? RSA_ENCRYPTION[request.alg] : undefined
  if (!m || typeof plaintext !== 'string' || !scheme) return body
  const jwk = [...earlier]
    .reverse()
    .map((b) => (b as { key?: { kid?: unknown; n?: unknown; e?: unknown } } | null)?.key)
    .find((k) => typeof k?.kid === 'string' && k.kid.includes(`/keys/${m[1]}/`) && typeof k.n === 'string')
  if (!jwk) return body
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n as string, e: jwk.e as string }, format: 'jwk' })
  const ciphertext = publicEncrypt({ key: publicKey, ...scheme }, Buffer.from(plaintext, 'base64url'))
  return { ...request, value: ciphertext.toString('base64url') }
}

function recordedPageItems(entry: RecordedEntry): unknown[] {
  const b = entry.ResponseBody as { value?: unknown[] } | null
  return Array.isArray(b?.value) ? b.value : []
}

/** True when the recorded page was the last of its listing (nextLink null). */
function recordedPageEnds(entry: RecordedEntry): boolean {
  const b = entry.ResponseBody as { nextLink?: unknown } | null
  return b !== null && typeof b === 'object' && (b.nextLink === null || b.nextLink === undefined)
}

function findNumber(rec: Recording, field: string): number | undefined {
  const seek = (x: unknown): number | undefined => {
    if (x === null || typeof x !== 'object') return undefined
    for (const [k, v] of Object.entries(x)) {
      if (k === field && typeof v === 'number') return v
      const inner = seek(v)
      if (inner !== undefined) return inner
    }
    return undefined
  }
  for (const e of rec.Entries) {
    const n = seek(e.ResponseBody)
    if (n !== undefined) return n
  }
  return undefined
}

function errorSummary(body: unknown): string {
  const e = (body as { error?: { code?: string; message?: string } } | null)?.error
  return e ? ` (${e.code}: ${e.message})` : ''
}

function compareHeaders(entry: RecordedEntry, res: Sent): string[] {
  const out: string[] = []
  const h = (name: string): string | undefined => {
    const v = res.headers[name.toLowerCase()]
    return Array.isArray(v) ? v[0] : v
  }
  if (!h('x-ms-request-id')) out.push('no x-ms-request-id header')
  if (h('x-ms-keyvault-region') !== entry.ResponseHeaders['x-ms-keyvault-region']) out.push('x-ms-keyvault-region differs')
  if (entry.ResponseHeaders['Cache-Control'] && h('cache-control') !== entry.ResponseHeaders['Cache-Control']) out.push('Cache-Control differs')
  if (entry.ResponseBody !== null && !/^application\/json; charset=utf-8$/.test(h('content-type') ?? '')) out.push(`Content-Type ${h('content-type')}`)
  if (entry.StatusCode === 401) {
    const challenge = /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}", resource="https:\/\/vault\.azure\.net"$/
    if (!challenge.test(h('www-authenticate') ?? '')) out.push(`WWW-Authenticate is '${h('www-authenticate')}'`)
  }
  return out
}

function checkNextLink(link: string, hostUrl: string, request: URL): string[] {
  const u = new URL(link)
  const out: string[] = []
  if (`${u.protocol}//${u.host}` !== hostUrl) out.push(`nextLink host ${u.host} is not the vault's`)
  if (u.pathname !== request.pathname) out.push(`nextLink path ${u.pathname} differs from ${request.pathname}`)
  if (!u.searchParams.get('$skiptoken')) out.push('nextLink has no $skiptoken')
  if (request.searchParams.get('maxresults') !== u.searchParams.get('maxresults') && request.searchParams.has('maxresults')) out.push('nextLink lost maxresults')
  return out
}

interface CompareContext {
  rules: PackageRules
  mapping: Map<string, string>
  /** Learn recorded -> emulator mappings (single responses) or only check forms (list items, whose order differs). */
  learn: boolean
}

/** Differences between a recorded JSON value and the emulator's, by the rules in the module comment. */
export function compare(expected: unknown, actual: unknown, path: string, ctx: CompareContext, field = ''): string[] {
  if (expected === null || expected === undefined) return actual === expected ? [] : [`${path}: ${JSON.stringify(actual)} where the service sent ${String(expected)}`]
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: not an array`]
    if (expected.length !== actual.length) return [`${path}: ${actual.length} elements, the service sent ${expected.length}`]
    return expected.flatMap((e, i) => compare(e, actual[i], `${path}[${i}]`, ctx, field))
  }
  if (typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: not an object`]
    const e = expected as Record<string, unknown>
    const a = actual as Record<string, unknown>
    const out: string[] = []
    for (const k of Object.keys(e)) if (!(k in a)) out.push(`${path}.${k}: missing`)
    for (const k of Object.keys(a)) if (!(k in e)) out.push(`${path}.${k}: not sent by the service`)
    for (const k of Object.keys(e)) if (k in a) out.push(...compare(e[k], a[k], `${path}.${k}`, ctx, k))
    if (typeof e.deletedDate === 'number' && typeof e.scheduledPurgeDate === 'number' && typeof a.deletedDate === 'number' && typeof a.scheduledPurgeDate === 'number') {
      if (e.scheduledPurgeDate - e.deletedDate !== a.scheduledPurgeDate - a.deletedDate) out.push(`${path}: retention (scheduledPurgeDate - deletedDate) differs`)
    }
    return out
  }
  if (typeof expected !== typeof actual) return [`${path}: ${typeof actual}, the service sent ${typeof expected}`]
  if (typeof expected === 'number') {
    if (ctx.rules.timeFields.includes(field)) return Number.isInteger(actual) ? [] : [`${path}: not integer seconds`]
    return expected === actual ? [] : [`${path}: ${String(actual)}, the service sent ${expected}`]
  }
  if (typeof expected === 'string') return compareString(expected, actual as string, path, ctx, field)
  return expected === actual ? [] : [`${path}: ${String(actual)}, the service sent ${String(expected)}`]
}

function compareString(expected: string, actual: string, path: string, ctx: CompareContext, field: string): string[] {
  const opaque = ctx.rules.opaqueFields.includes(field) || (field === 'value' && /^[A-Za-z0-9_-]{200,}$/.test(expected))
  if (opaque) {
    if (ctx.learn) learn(ctx.mapping, expected, actual)
    return actual.length > 0 ? [] : [`${path}: empty`]
  }
  if (/^https:\/\//.test(expected)) return compareUrl(expected, actual, path, ctx)
  if (field === 'message') {
    const norm = (s: string): string => normaliseMessage(s, ctx.mapping)
    return norm(expected) === norm(actual) ? [] : [`${path}: '${actual}', the service said '${expected}'`]
  }
  return expected === actual ? [] : [`${path}: '${actual}', the service sent '${expected}'`]
}

function compareUrl(expected: string, actual: string, path: string, ctx: CompareContext): string[] {
  let e: URL
  let a: URL
  try {
    e = new URL(expected)
    a = new URL(actual)
  } catch {
    return [`${path}: '${actual}' is not a URL`]
  }
  const es = e.pathname.split('/')
  const as = a.pathname.split('/')
  if (es.length !== as.length) return [`${path}: '${a.pathname}' has another form than '${e.pathname}'`]
  const out: string[] = []
  es.forEach((seg, i) => {
    const got = as[i] as string
    if (VERSION_RE.test(seg)) {
      if (!VERSION_RE.test(got)) out.push(`${path}: '${got}' is not a version id`)
      else if (ctx.learn) out.push(...learn(ctx.mapping, seg, got).map((p) => `${path}: ${p}`))
    } else if (seg !== got) out.push(`${path}: segment '${got}', the service sent '${seg}'`)
  })
  return out
}

function learn(mapping: Map<string, string>, recorded: string, actual: string): string[] {
  const known = mapping.get(recorded)
  if (known === undefined) {
    mapping.set(recorded, actual)
    return []
  }
  return known === actual ? [] : [`'${actual}' where the service's '${recorded}' was earlier '${known}'`]
}

/** Messages compare after removing hosts and mapping recorded values; the service reworded the 401 message in 2026. */
function normaliseMessage(s: string, mapping: Map<string, string>): string {
  let out = s.replace(RECORDED_HOSTS, 'https://VAULT').replace(/https:\/\/[a-z0-9-]+\.vault\.azure\.net:\d+/g, 'https://VAULT')
  for (const [from, to] of mapping) out = out.split(to).join(from)
  return out.replace('Bearer, PoP, or MTLS_POP token', 'Bearer or PoP token')
}
