/**
 * The HTTP control API (`/emulator/...` on the shared port, HTTPS, `Authorization: Bearer <control token>`): the
 * same operations as `emulator.control`, as JSON. Used by `kvdr emulator ctl` and by anything that drives a running
 * emulator from outside (docs/emulator.md lists the routes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { KvdrError, errorMessage } from '../../core/errors.js'
import { secretMatches } from '../identity/directory.js'
import { readText, sendJson } from '../http/simple.js'
import type { AuditFilter } from '../audit/audit-log.js'
import type { EmulatorControl } from './controller.js'

/** Path prefix of the control API. */
export const CONTROL_PREFIX = '/emulator'

export interface ControlApiDeps {
  control: EmulatorControl
  token: string
  /** What `GET /emulator` answers: vaults, endpoints. */
  status(): unknown
}

/** Handle a control request. Returns false when the path is not the control API's. */
export async function handleControl(deps: ControlApiDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'https://placeholder')
  if (url.pathname !== CONTROL_PREFIX && !url.pathname.startsWith(`${CONTROL_PREFIX}/`)) return false
  const text = await readText(req)
  const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
  if (auth === undefined || !secretMatches(auth, deps.token)) {
    sendJson(res, 401, { error: { code: 'Unauthorized', message: 'The control API needs Authorization: Bearer <control token> (printed by kvdr emulator start).' } })
    return true
  }
  const method = (req.method ?? 'GET').toUpperCase()
  const parts = url.pathname.slice(CONTROL_PREFIX.length).split('/').filter((p) => p !== '')
  const [resource, id] = parts
  const c = deps.control
  try {
    let body: unknown
    if (text !== undefined && text.trim() !== '') {
      try {
        body = JSON.parse(text) as unknown
      } catch {
        sendJson(res, 400, { error: { code: 'BadParameter', message: 'The request body is not valid JSON.' } })
        return true
      }
    }
    const route = `${method} ${resource ?? ''}${id === undefined ? '' : ' :id'}`
    const answer = (status: number, value: unknown): void => sendJson(res, status, value)
    switch (route) {
      case 'GET ':
        return (answer(200, deps.status()), true)
      case 'GET clock':
        return (answer(200, clockView(c.now())), true)
      case 'POST clock': {
        const b = (body ?? {}) as { advanceMs?: unknown; set?: unknown }
        if (b.set !== undefined) c.setClock(b.set as number | string)
        else c.advanceClock(Number(b.advanceMs))
        return (answer(200, clockView(c.now())), true)
      }
      case 'GET faults':
        return (answer(200, c.faults()), true)
      case 'POST faults':
        return (answer(201, c.addFault(body)), true)
      case 'DELETE faults':
        return (answer(200, { removed: c.clearFaults() }), true)
      case 'DELETE faults :id':
        return (answer(200, { removed: c.clearFaults(id) }), true)
      case 'GET latency':
        return (answer(200, c.latency()), true)
      case 'PUT latency':
        return (answer(200, c.setLatency(body ?? [])), true)
      case 'GET throttling':
        return (answer(200, c.throttling()), true)
      case 'PATCH throttling':
        return (answer(200, c.configureThrottling(body ?? {})), true)
      case 'POST throttling :id':
        if (id !== 'reset') break
        c.resetThrottling()
        return (answer(200, c.throttling()), true)
      case 'GET counters':
        return (answer(200, c.counters()), true)
      case 'DELETE counters':
        c.resetCounters()
        return (answer(200, {}), true)
      case 'GET audit':
        return (answer(200, c.audit(auditFilter(url.searchParams))), true)
      case 'DELETE audit':
        c.clearAudit()
        return (answer(200, {}), true)
      case 'GET role-assignments':
        return (answer(200, c.roleAssignments()), true)
      case 'POST role-assignments':
        return (answer(201, c.assignRole(body)), true)
      case 'DELETE role-assignments :id':
        return (answer(c.removeRoleAssignment(id as string) ? 200 : 404, {}), true)
    }
    sendJson(res, 404, { error: { code: 'NotFound', message: `No control operation ${method} ${url.pathname}. See docs/emulator.md, "Control API".` } })
  } catch (err) {
    if (err instanceof KvdrError) sendJson(res, 400, { error: { code: 'BadParameter', message: err.message, ...(err.hint ? { hint: err.hint } : {}) } })
    else sendJson(res, 500, { error: { code: 'InternalServerError', message: errorMessage(err) } })
  }
  return true
}

function clockView(now: number): { now: string; epochMs: number } {
  return { now: new Date(now).toISOString(), epochMs: now }
}

function auditFilter(q: URLSearchParams): AuditFilter {
  const f: AuditFilter = {}
  const s = (k: string): string | undefined => q.get(k) ?? undefined
  if (s('vault')) f.vault = s('vault') as string
  if (s('operation')) f.operationName = s('operation') as string
  if (s('status')) f.status = Number(s('status'))
  if (s('principal')) f.principalId = s('principal') as string
  if (s('correlationId')) f.correlationId = s('correlationId') as string
  if (s('since')) f.since = s('since') as string
  if (s('limit')) f.limit = Number(s('limit'))
  if (s('throttled')) f.throttled = s('throttled') === 'true'
  if (s('denied')) f.denied = s('denied') === 'true'
  return f
}
