/**
 * Azure Storage failures as StoreErrors a person can act on (auth, role, network, missing container). Only
 * safe fields are kept (status, service error code, request id, the service's first message line): the SDK's
 * error object carries the request URL, which may hold a SAS token, so it is never attached as a cause.
 */
import { StoreError } from './errors.js'

/** Where and what: used to phrase messages and hints. Names only, never credentials. */
export interface AzureErrorContext {
  /** The kvdr location, e.g. azblob://acct/container/prefix. */
  location: string
  account: string
  container: string
  /** True when the operation writes (upload, delete, lease, create): decides which role the hint names. */
  write: boolean
}

interface AzureErrorFields {
  status: number | undefined
  /** Service error code (x-ms-error-code) or Node/network error code. */
  code: string | undefined
  requestId: string | undefined
  /** First line of the service's message. */
  summary: string
  name: string
}

function fieldsOf(err: unknown): AzureErrorFields {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>
  const details = (typeof e.details === 'object' && e.details !== null ? e.details : {}) as Record<string, unknown>
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
  const message = err instanceof Error ? err.message : String(err)
  return {
    status: typeof e.statusCode === 'number' ? e.statusCode : undefined,
    code: str(details.errorCode) ?? str(e.code),
    requestId: str(details['x-ms-request-id']) ?? str(details.requestId),
    summary: (message.split('\n')[0] ?? '').slice(0, 300),
    name: err instanceof Error ? err.name : typeof err,
  }
}

/** The service error code of an SDK error (x-ms-error-code), e.g. BlobNotFound, LeaseAlreadyPresent. */
export function azureErrorCode(err: unknown): string | undefined {
  return fieldsOf(err).code
}

const NET_TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'REQUEST_SEND_ERROR', 'UND_ERR_SOCKET'])
const TLS = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/
const AUTH_CODES = new Set(['AuthenticationFailed', 'InvalidAuthenticationInfo', 'NoAuthenticationInformation', 'InvalidAuthenticationInfoHeader'])
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AggregateAuthenticationError', 'AuthenticationError', 'AuthenticationRequiredError'])

const READER = 'Storage Blob Data Reader'
const CONTRIBUTOR = 'Storage Blob Data Contributor'

/**
 * Map an @azure/storage-blob (or @azure/identity) error to a StoreError. `what` says what was attempted, e.g.
 * "read snapshots/abc". Callers handle the expected outcomes (BlobNotFound, BlobAlreadyExists) themselves.
 */
export function azureError(err: unknown, what: string, ctx: AzureErrorContext): StoreError {
  const f = fieldsOf(err)
  const details: Record<string, unknown> = { location: ctx.location }
  if (f.status !== undefined) details.status = f.status
  if (f.code !== undefined) details.azureCode = f.code
  if (f.requestId !== undefined) details.requestId = f.requestId
  const where = `${ctx.location}`
  const role = ctx.write ? CONTRIBUTOR : READER

  if (CREDENTIAL_ERRORS.has(f.name)) {
    return new StoreError('STORE_AUTH', `Could not get an Azure AD token to ${what} in ${where}: ${f.summary}`, {
      hint: 'Sign in (`az login`), run where a managed identity is assigned, or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a secret or certificate; or give AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_SAS_TOKEN.',
      details,
    })
  }
  if (f.status === undefined) {
    if (f.name === 'AbortError' || f.code === 'ETIMEDOUT') {
      return new StoreError('STORE_TIMEOUT', `Timed out trying to ${what} in ${where}.`, { transient: true, hint: 'Check the network path to the storage account, then run the command again.', details })
    }
    if (f.code === 'ENOTFOUND') {
      return new StoreError('STORE_UNREACHABLE', `Cannot resolve the storage endpoint of ${where} (${f.summary}).`, {
        hint: `Check the account name "${ctx.account}" and --blob-endpoint; with a private endpoint, check that its private DNS zone resolves from here.`,
        details,
      })
    }
    if (f.code !== undefined && TLS.test(f.code)) {
      return new StoreError('STORE_UNREACHABLE', `TLS failed talking to the storage endpoint of ${where} (${f.code}).`, {
        hint: 'If a proxy or private CA signs the endpoint certificate, point NODE_EXTRA_CA_CERTS at that CA certificate.',
        details,
      })
    }
    if (f.code !== undefined && NET_TRANSIENT.has(f.code)) {
      return new StoreError('STORE_UNREACHABLE', `Cannot reach the storage endpoint of ${where} to ${what} (${f.summary}).`, {
        transient: true,
        hint: 'Check --blob-endpoint, the network path, firewall and private endpoint settings, then run the command again.',
        details,
      })
    }
    return new StoreError('STORE_FAILED', `Failed to ${what} in ${where}: ${f.summary}`, { details })
  }
  if (f.status === 401 || (f.code !== undefined && AUTH_CODES.has(f.code)) || /failed to authenticate/i.test(f.summary)) {
    return new StoreError('STORE_AUTH', `Azure Storage rejected the credentials for ${where} (${f.status} ${f.code ?? ''}).`.replace(' )', ')'), {
      hint: 'Check the account key, connection string or SAS token (and its expiry); for Azure AD sign-in, check the tenant.',
      details,
    })
  }
  if (f.status === 403) {
    if (f.code === 'KeyBasedAuthenticationNotPermitted') {
      return new StoreError('STORE_FORBIDDEN', `The storage account of ${where} does not allow account keys or SAS.`, {
        hint: `Use Azure AD sign-in (unset AZURE_STORAGE_CONNECTION_STRING/AZURE_STORAGE_SAS_TOKEN) with the role "${role}" on the container.`,
        details,
      })
    }
    const network = f.code === 'AuthorizationFailure' ? ' If the account has a firewall or private endpoint, allow this network.' : ''
    return new StoreError('STORE_FORBIDDEN', `Permission denied: cannot ${what} in ${where} (${f.code ?? '403'}).`, {
      hint: `Grant the identity the role "${role}" on the container or account (SAS: permissions ${ctx.write ? 'racwdl' : 'rl'}).${network}`,
      details: { ...details, role },
    })
  }
  if (f.status === 404 && (f.code === 'ContainerNotFound' || f.code === 'ResourceNotFound' || f.code === 'AccountNotFound')) {
    return new StoreError('REPO_NOT_FOUND', `The container "${ctx.container}" does not exist in storage account "${ctx.account}" (${where}).`, {
      hint: 'Check the location, or run `kvdr repo init` to create the repository (it creates the container when asked to).',
      details,
    })
  }
  if (f.status === 429 || f.status === 503 || f.code === 'ServerBusy') {
    return new StoreError('STORE_THROTTLED', `Azure Storage is throttling requests to ${where} (${f.status} ${f.code ?? ''}).`.replace(' )', ')'), {
      transient: true,
      hint: 'Run fewer kvdr jobs against this account at once, or run the command again later.',
      details,
    })
  }
  if (f.status === 408 || f.status === 500 || f.status === 502 || f.status === 504) {
    return new StoreError('STORE_SERVER', `Azure Storage failed to ${what} in ${where} (${f.status} ${f.code ?? ''}).`.replace(' )', ')'), { transient: true, details })
  }
  return new StoreError('STORE_FAILED', `Failed to ${what} in ${where}: ${f.status} ${f.code ?? ''} ${f.summary}`.trim(), { details })
}
