/**
 * The audit log: one record per request in the shape of Key Vault's AuditEvent diagnostic log (time, resourceId,
 * operationName, operationVersion, category, resultType, resultSignature, durationMs, callerIpAddress,
 * correlationId, identity claims, properties: id, requestUri, httpStatusCode, clientInfo, tlsVersion,
 * isRbacAuthorized / isAccessPolicyMatch), plus what the emulator decided (throttled, denied by whom, injected
 * fault, dropped). Kept in memory for the handle and the control API (bounded), optionally appended to a JSON-lines
 * file, and counted per operation for benchmarks. Records hold no bodies, secret values or tokens.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import type { AuditRecord, AuditSink } from '../http/pipeline.js'

/** One AuditEvent record. */
export interface AuditEvent {
  time: string
  resourceId: string
  operationName: string
  operationVersion: string
  category: 'AuditEvent'
  /** `Success` for answered requests below 400, `Failure` otherwise. */
  resultType: 'Success' | 'Failure'
  /** HTTP reason (`OK`, `Forbidden`, `TooManyRequests`) or `ConnectionDropped`. */
  resultSignature: string
  /** Error code and inner error code of a failed request (`Forbidden/ForbiddenByRbac`), else empty. */
  resultDescription: string
  durationMs: number
  callerIpAddress: string
  correlationId: string
  identity?: { claim: Record<string, string> }
  properties: {
    id?: string
    requestUri: string
    /** 0 when no response was sent (dropped connection or hung request). */
    httpStatusCode: number
    clientInfo?: string
    tlsVersion?: string
    isRbacAuthorized?: boolean
    isAccessPolicyMatch?: boolean
  }
  /** The emulator's own fields: which vault, and what the pipeline decided. */
  vault: string
  throttled: boolean
  /** The stage that refused the request, when one did (`authentication`: a token was presented and refused). */
  denied?: 'firewall' | 'rbac' | 'accessPolicy' | 'authentication'
  /** The request had no token and got the 401 challenge (every SDK client's first request). */
  challenge?: boolean
  /** Set when an injected fault produced the outcome. */
  fault?: boolean
  dropped?: boolean
}

/** Filters for reading the log; all optional, combined with AND. */
export interface AuditFilter {
  vault?: string
  operationName?: string
  /** HTTP status (0 = dropped). */
  status?: number
  /** Caller object id. */
  principalId?: string
  correlationId?: string
  throttled?: boolean
  denied?: boolean
  /** ISO time or epoch ms: records at or after it. */
  since?: string | number
  /** At most this many (the newest). */
  limit?: number
}

/** Requests per operation name, by HTTP status. */
export type Counters = Record<string, { total: number; byStatus: Record<string, number> }>

/** What the log needs to know about a vault. */
export interface AuditVaultInfo {
  resourceId: string
  permissionModel: 'rbac' | 'accessPolicy'
}

export interface AuditLogOptions {
  /** Records kept in memory (oldest dropped first). Default 10,000. */
  capacity?: number
  /** Append every record as one JSON line to this file. */
  file?: string
  vaultInfo(name: string): AuditVaultInfo | undefined
}

const OID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier'
const UPN_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'

/** Convert a pipeline record to an AuditEvent. */
function toAuditEvent(r: AuditRecord, info: AuditVaultInfo | undefined): AuditEvent {
  const status = r.resultSignature
  const denied =
    r.innerErrorCode === 'ForbiddenByFirewall' ? 'firewall' : r.innerErrorCode === 'ForbiddenByRbac' ? 'rbac' : r.innerErrorCode === 'ForbiddenByPolicy' ? 'accessPolicy' : r.stage === 'authentication' && !r.challenge ? 'authentication' : undefined
  const authorized = r.principalId !== undefined && r.stage !== 'firewall' && r.stage !== 'authentication'
  const claim: Record<string, string> = {}
  if (r.identity?.oid) {
    claim.oid = r.identity.oid
    claim[OID_CLAIM] = r.identity.oid
  }
  if (r.identity?.appid) claim.appid = r.identity.appid
  if (r.identity?.upn) {
    claim.upn = r.identity.upn
    claim[UPN_CLAIM] = r.identity.upn
  }
  return {
    time: r.time,
    resourceId: (info?.resourceId ?? `/vaults/${r.vault}`).toUpperCase(),
    operationName: r.operationName,
    operationVersion: r.operationVersion ?? '',
    category: 'AuditEvent',
    resultType: status > 0 && status < 400 ? 'Success' : 'Failure',
    resultSignature: r.dropped ? 'ConnectionDropped' : (STATUS_CODES[status] ?? String(status)).replace(/[^A-Za-z]/g, ''),
    resultDescription: [r.errorCode, r.innerErrorCode].filter((x) => x !== undefined).join('/'),
    durationMs: r.durationMs,
    callerIpAddress: r.callerIpAddress.replace(/^::ffff:/, ''),
    correlationId: r.correlationId ?? '',
    ...(Object.keys(claim).length > 0 ? { identity: { claim } } : {}),
    properties: {
      ...(r.id === undefined ? {} : { id: r.id }),
      requestUri: r.requestUri,
      httpStatusCode: status,
      ...(r.clientInfo === undefined ? {} : { clientInfo: r.clientInfo }),
      ...(r.tlsVersion === undefined ? {} : { tlsVersion: r.tlsVersion.replace(/^TLSv(\d)\.(\d)$/, 'TLS$1_$2') }),
      ...(authorized && info?.permissionModel === 'rbac' ? { isRbacAuthorized: denied !== 'rbac' } : {}),
      ...(authorized && info?.permissionModel === 'accessPolicy' ? { isAccessPolicyMatch: denied !== 'accessPolicy' } : {}),
    },
    vault: r.vault,
    throttled: status === 429 && r.stage === 'throttling',
    ...(denied ? { denied } : {}),
    ...(r.challenge ? { challenge: true } : {}),
    ...(r.stage === 'faults' ? { fault: true } : {}),
    ...(r.dropped ? { dropped: true } : {}),
  }
}

export class AuditLog implements AuditSink {
  private records: AuditEvent[] = []
  private counts: Counters = {}
  private readonly capacity: number
  private readonly stream: WriteStream | undefined

  constructor(private readonly options: AuditLogOptions) {
    this.capacity = options.capacity ?? 10_000
    this.stream = options.file === undefined ? undefined : createWriteStream(options.file, { flags: 'a', mode: 0o600 })
    this.stream?.on('error', (err) => console.error(`kvdr emulator: cannot write the audit file ${options.file}: ${err.message}`))
  }

  record(entry: AuditRecord): void {
    const event = toAuditEvent(entry, this.options.vaultInfo(entry.vault))
    this.records.push(event)
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity)
    const c = (this.counts[event.operationName] ??= { total: 0, byStatus: {} })
    c.total++
    const key = String(event.properties.httpStatusCode)
    c.byStatus[key] = (c.byStatus[key] ?? 0) + 1
    this.stream?.write(`${JSON.stringify(event)}\n`)
  }

  /** Records matching `filter`, oldest first. */
  query(filter: AuditFilter = {}): AuditEvent[] {
    const since = filter.since === undefined ? undefined : typeof filter.since === 'number' ? filter.since : Date.parse(filter.since)
    const out = this.records.filter(
      (e) =>
        (filter.vault === undefined || e.vault.toLowerCase() === filter.vault.toLowerCase()) &&
        (filter.operationName === undefined || e.operationName === filter.operationName) &&
        (filter.status === undefined || e.properties.httpStatusCode === filter.status) &&
        (filter.principalId === undefined || e.identity?.claim.oid === filter.principalId.toLowerCase()) &&
        (filter.correlationId === undefined || e.correlationId === filter.correlationId) &&
        (filter.throttled === undefined || e.throttled === filter.throttled) &&
        (filter.denied === undefined || (e.denied !== undefined) === filter.denied) &&
        (since === undefined || Date.parse(e.time) >= since),
    )
    return filter.limit === undefined ? out : out.slice(-filter.limit)
  }

  clear(): void {
    this.records = []
  }

  counters(): Counters {
    return structuredClone(this.counts)
  }

  resetCounters(): void {
    this.counts = {}
  }

  /** Flush and close the file. */
  close(): Promise<void> {
    const s = this.stream
    return s === undefined ? Promise.resolve() : new Promise((resolve) => s.end(() => resolve()))
  }
}
