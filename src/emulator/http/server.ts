/**
 * The HTTP front end: turns a Node request into a pipeline run (route match -> firewall -> authenticate ->
 * authorize -> throttle -> faults -> handler -> audit) and writes Key Vault's response headers and JSON bodies.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { Clock } from '../../core/clock.js'
import type { BackupCodec } from '../backup.js'
import type { Vault } from '../model/vault.js'
import { DropConnection, KvHttpError, badParameter } from './errors.js'
import type { PagingMode } from './paging.js'
import type { AuditRecord, PipelineStages, Principal, StageRequest } from './pipeline.js'
import type { HandlerResult, Router } from './router.js'

/** The service version the emulator reports in `x-ms-keyvault-service-version`. */
export const SERVICE_VERSION = '1.9.0.0-kvdr-emulator'

/** Requests larger than this are refused with 413 (a restore of 500 versions of 25 KB values fits). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024

export interface FrontEndDeps {
  router: Router
  stages: PipelineStages
  clock: Clock
  backups: BackupCodec
  paging: PagingMode
  /** The vault addressed by a request's Host header or, for `localhost`-style hosts, by the local port it arrived on. */
  resolveVault(host: string, localPort: number): Vault | KvHttpError
  /** Called after a handler ran, before the response is sent: make the vault's changes durable (persistence). */
  commit?(vault: Vault, method: string): Promise<void>
}

/** A request listener serving every vault. */
export function createFrontEnd(deps: FrontEndDeps): RequestListener {
  return (req, res) => {
    void handle(deps, req, res).catch((err: unknown) => {
      // Only reached when writing the response itself failed (client went away); nothing left to answer.
      if (!res.headersSent) res.destroy(err instanceof Error ? err : undefined)
    })
  }
}

type Stage = NonNullable<AuditRecord['stage']>

async function handle(deps: FrontEndDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now()
  const startedAt = deps.clock.now()
  const requestId = randomUUID()
  const method = (req.method ?? 'GET').toUpperCase()
  const host = req.headers.host ?? ''
  const sourceAddress = req.socket.remoteAddress ?? ''
  const headers: Record<string, string> = baseHeaders(deps.clock, requestId, req, sourceAddress)
  // Aborted when the client goes away before the answer (or the emulator stops): stages that wait give up.
  const gone = new AbortController()
  res.once('close', () => {
    if (!res.writableFinished) gone.abort()
  })

  const vaultOrError = host === '' ? badParameter('The request has no Host header.') : deps.resolveVault(host, req.socket.localPort ?? 0)
  const body = await readBody(req)
  if (vaultOrError instanceof KvHttpError) {
    writeResult(res, errorResult(vaultOrError), headers)
    return
  }
  const vault = vaultOrError
  headers['x-ms-keyvault-region'] = vault.settings.region
  const url = new URL(req.url ?? '/', `https://${host}`)
  const stageReq: StageRequest = { method, url: req.url ?? '/', headers: req.headers, sourceAddress, vault: vault.settings, signal: gone.signal }

  let operationName = 'Unknown'
  let principal: Principal | undefined
  let result: HandlerResult
  let stage: Stage = 'authentication'
  let dropped = false
  try {
    const match = deps.router.match(method, url.pathname)
    const routeName = match.ok ? match.route.operation.name : 'Unknown'
    operationName = 'Authentication'
    principal = await deps.stages.authenticator.authenticate(stageReq)
    operationName = routeName
    stage = 'firewall'
    await deps.stages.firewall.check(stageReq, principal)
    stage = 'request'
    if (!match.ok) throw match.error
    const apiVersion = url.searchParams.get('api-version')
    if (apiVersion === null || apiVersion === '') throw badParameter(`The 'api-version' query parameter is required.`)
    if (body === 'too-large') throw new KvHttpError(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`)
    stageReq.params = match.params
    const { refine } = match.route
    const operation = refine ? refine({ vault, params: match.params, body: () => parseJsonOrUndefined(body) }) : match.route.operation
    operationName = operation.name
    stage = 'authorization'
    await deps.stages.authorizer.authorize(principal, operation, stageReq)
    stage = 'throttling'
    await deps.stages.throttle.admit(principal, operation, stageReq)
    stage = 'faults'
    await deps.stages.faults.inject(operation, stageReq)
    stage = 'handler'
    result = await match.route.handler({
      vault,
      params: match.params,
      query: url.searchParams,
      body: parseJson(body),
      baseUrl: `https://${host}`,
      apiVersion,
      clock: deps.clock,
      backups: deps.backups,
      principal,
      paging: deps.paging,
    })
    if (deps.commit) await deps.commit(vault, method)
    if (deps.stages.faults.after) {
      stage = 'faults'
      await deps.stages.faults.after(operation, stageReq)
      stage = 'handler'
    }
  } catch (err) {
    if (err instanceof DropConnection) {
      dropped = true
      result = { status: 0 }
    } else {
      result = errorResult(err)
    }
  }
  if (dropped) req.socket.destroy()
  else writeResult(res, result, headers)
  const resultBody = result.body as { id?: unknown; kid?: unknown; key?: { kid?: unknown }; error?: { code?: unknown; innererror?: { code?: unknown } } } | undefined
  // Keys answer with `kid` (operations, items) or `key.kid` (bundles) where other kinds answer with `id`.
  const objectId = [resultBody?.id, resultBody?.kid, resultBody?.key?.kid].find((x): x is string => typeof x === 'string')
  const claims = principal?.claims ?? {}
  const claim = (k: string): string | undefined => (typeof claims[k] === 'string' ? (claims[k] as string) : undefined)
  const tls = (req.socket as { getProtocol?: () => string | null }).getProtocol?.()
  const apiVersion = url.searchParams.get('api-version')
  const userAgent = req.headers['user-agent']
  deps.stages.audit.record({
    time: new Date(startedAt).toISOString(),
    vault: vault.settings.name,
    operationName,
    resultSignature: result.status,
    durationMs: Math.round(performance.now() - started),
    callerIpAddress: sourceAddress,
    requestUri: `https://${host}${req.url ?? '/'}`,
    ...(principal ? { principalId: principal.id } : {}),
    ...(objectId === undefined ? {} : { id: objectId }),
    ...(typeof resultBody?.error?.code === 'string' ? { errorCode: resultBody.error.code } : {}),
    ...(typeof resultBody?.error?.innererror?.code === 'string' ? { innerErrorCode: resultBody.error.innererror.code } : {}),
    ...(typeof headers['x-ms-client-request-id'] === 'string' ? { correlationId: headers['x-ms-client-request-id'] } : {}),
    ...(stage === 'handler' ? {} : { stage }),
    ...(dropped ? { dropped } : {}),
    ...(stage === 'authentication' && req.headers.authorization === undefined ? { challenge: true } : {}),
    ...(apiVersion ? { operationVersion: apiVersion } : {}),
    ...(typeof userAgent === 'string' ? { clientInfo: userAgent } : {}),
    ...(tls ? { tlsVersion: tls } : {}),
    ...(principal
      ? { identity: { oid: principal.id, ...(claim('appid') ? { appid: claim('appid') } : {}), ...(claim('upn') ? { upn: claim('upn') } : {}), ...(principal.tenantId ? { tid: principal.tenantId } : {}) } }
      : {}),
  })
}

function baseHeaders(clock: Clock, requestId: string, req: IncomingMessage, sourceAddress: string): Record<string, string> {
  const h: Record<string, string> = {
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    Date: new Date(clock.now()).toUTCString(),
    'Strict-Transport-Security': 'max-age=31536000;includeSubDomains',
    'X-Content-Type-Options': 'nosniff',
    'x-ms-request-id': requestId,
    'x-ms-keyvault-service-version': SERVICE_VERSION,
    'x-ms-keyvault-network-info': `conn_type=${sourceAddress.includes(':') && !sourceAddress.startsWith('::ffff:') ? 'Ipv6' : 'Ipv4'};addr=${sourceAddress.replace(/^::ffff:/, '')};act_addr_fam=InterNetwork;`,
  }
  const clientRequestId = req.headers['x-ms-client-request-id']
  if (typeof clientRequestId === 'string') h['x-ms-client-request-id'] = clientRequestId
  return h
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = []
  let size = 0
  let tooLarge = false
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) tooLarge = true
    else chunks.push(chunk)
  }
  return tooLarge ? 'too-large' : Buffer.concat(chunks)
}

function parseJson(body: Buffer | 'too-large'): unknown {
  if (body === 'too-large' || body.length === 0) return undefined
  try {
    return JSON.parse(body.toString('utf8')) as unknown
  } catch {
    throw badParameter('The request body is not valid JSON.')
  }
}

/** The body for `refine`: parse failures are reported later by the handler's own parse, not here. */
function parseJsonOrUndefined(body: Buffer): unknown {
  try {
    return parseJson(body)
  } catch {
    return undefined
  }
}

function errorResult(err: unknown): HandlerResult {
  if (err instanceof KvHttpError) return { status: err.status, body: err.body(), headers: { ...err.headers } }
  const message = err instanceof Error ? err.message : String(err)
  console.error(`kvdr emulator: internal error: ${err instanceof Error && err.stack ? err.stack : message}`)
  return { status: 500, body: { error: { code: 'InternalServerError', message: `The emulator failed to process the request: ${message}` } } }
}

function writeResult(res: ServerResponse, result: HandlerResult, headers: Record<string, string>): void {
  const all: Record<string, string> = { ...headers, ...(result.headers ?? {}) }
  if (result.body === undefined) {
    res.writeHead(result.status, { ...all, 'Content-Length': '0' })
    res.end()
    return
  }
  const payload = Buffer.from(JSON.stringify(result.body), 'utf8')
  res.writeHead(result.status, { ...all, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(payload.length) })
  res.end(payload)
}
