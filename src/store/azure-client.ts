/**
 * Builds the one ContainerClient an Azure location needs: endpoint (public, sovereign, private, Azurite) and
 * credential (Azure AD token, connection string, SAS token or account key). Credentials never leave this
 * module in any printable form.
 */
import type { TokenCredential } from '@azure/identity'
import { AnonymousCredential, ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { UsageError } from '../core/errors.js'

/** How to authenticate to the storage account. */
export type AzureAuth =
  /** Azure AD (Entra ID) token, e.g. DefaultAzureCredential. Needs https. */
  | { kind: 'token'; credential: TokenCredential }
  /** A storage connection string (AccountName + AccountKey, or SharedAccessSignature; optional BlobEndpoint). */
  | { kind: 'connection-string'; connectionString: string }
  /**
   * A SAS token (query string, with or without the leading `?`) for the container or account, or a whole SAS
   * URL of the container (which then also gives the endpoint).
   */
  | { kind: 'sas'; token: string }
  /** The storage account key. */
  | { kind: 'account-key'; accountKey: string }

export interface AzureClientOptions {
  account: string
  container: string
  /**
   * Blob service endpoint, e.g. https://acct.blob.core.usgovcloudapi.net, https://acct.privatelink.blob.core.windows.net
   * or http://127.0.0.1:10000/devstoreaccount1 (Azurite). Default: the connection string's BlobEndpoint, else
   * https://<account>.blob.core.windows.net.
   */
  endpoint?: string
  auth: AzureAuth
  /** Tries per request inside the SDK (1 = no SDK retries: kvdr's RetryStore retries). Default 1. */
  sdkMaxTries?: number
  /** Per-request timeout. Default 120 s. */
  tryTimeoutMs?: number
}

interface ConnectionString {
  accountName?: string
  accountKey?: string
  sas?: string
  blobEndpoint?: string
  protocol?: string
  endpointSuffix?: string
}

const CS_HINT = 'Copy it from the portal (Access keys or Shared access signature), e.g. "DefaultEndpointsProtocol=https;AccountName=<account>;AccountKey=<key>;EndpointSuffix=core.windows.net".'

/** Parse `Key=Value;...`. Throws UsageError that never repeats the string (it holds a key). */
export function parseConnectionString(text: string): ConnectionString {
  const out: ConnectionString = {}
  for (const part of text.split(';')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw new UsageError('The storage connection string is malformed (expected Key=Value pairs separated by ";").', { hint: CS_HINT })
    const key = part.slice(0, eq).trim().toLowerCase()
    const value = part.slice(eq + 1).trim()
    if (key === 'accountname') out.accountName = value
    else if (key === 'accountkey') out.accountKey = value
    else if (key === 'sharedaccesssignature') out.sas = value
    else if (key === 'blobendpoint') out.blobEndpoint = value
    else if (key === 'defaultendpointsprotocol') out.protocol = value.toLowerCase()
    else if (key === 'endpointsuffix') out.endpointSuffix = value
    else if (key === 'usedevelopmentstorage') {
      throw new UsageError('UseDevelopmentStorage connection strings are not supported.', { hint: 'Give the full Azurite connection string (AccountName, AccountKey and BlobEndpoint).' })
    }
  }
  if (!out.accountKey && !out.sas) throw new UsageError('The storage connection string has neither an AccountKey nor a SharedAccessSignature.', { hint: CS_HINT })
  if (out.accountKey && !out.accountName) throw new UsageError('The storage connection string has an AccountKey but no AccountName.', { hint: CS_HINT })
  return out
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Split a container SAS URL into its token and blob endpoint (path-style for IP and localhost hosts, as
 * Azurite uses). Throws UsageError, never repeating the URL, when it has no token or names another container.
 */
function sasUrl(text: string, options: Pick<AzureClientOptions, 'account' | 'container'>): { token: string; endpoint: string } {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError('The SAS URL is not a valid URL.', { hint: 'Give the container SAS URL as copied from the portal, or just its token (the part after "?").' })
  }
  const token = url.search.replace(/^\?/, '')
  if (token === '') throw new UsageError('The SAS URL has no token (nothing after "?").', { hint: 'Generate a SAS for the container and copy its whole URL or token.' })
  const segments = url.pathname.split('/').filter(Boolean)
  const pathStyle = LOOPBACK.has(url.hostname) || /^\d+\.\d+\.\d+\.\d+$/.test(url.hostname)
  const container = pathStyle ? segments[1] : segments[0]
  if (container !== undefined && container !== options.container) {
    throw new UsageError(`The SAS URL is for container "${container}", but the location names container "${options.container}".`, {
      hint: 'Use a SAS for the container in the location, or fix the location.',
    })
  }
  return { token, endpoint: pathStyle ? `${url.origin}/${segments[0] ?? options.account}` : url.origin }
}

/**
 * Validate a blob service endpoint: an http(s) URL without credentials, query or fragment; plain http only to
 * a loopback address (Azurite), so keys and tokens never cross a network unencrypted. Throws UsageError.
 */
export function checkEndpoint(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new UsageError('The blob endpoint is not a URL.', { hint: 'Give it as https://<account>.blob.core.windows.net (or your cloud\'s / private endpoint\'s host).' })
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError('The blob endpoint must not contain credentials, a query string or a fragment.', {
      hint: 'Give the bare endpoint URL; pass a SAS token in AZURE_STORAGE_SAS_TOKEN.',
    })
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new UsageError(`The blob endpoint ${url.protocol}//${url.host} is not https.`, {
      hint: 'Use https (plain http is accepted only for a local emulator on localhost).',
    })
  }
  return url.href.replace(/\/+$/, '')
}

/** Build the ContainerClient for `options`. Throws UsageError for bad endpoints or connection strings. */
export function createContainerClient(options: AzureClientOptions): ContainerClient {
  const pipeline = {
    retryOptions: { maxTries: options.sdkMaxTries ?? 1, tryTimeoutInMs: options.tryTimeoutMs ?? 120_000 },
    userAgentOptions: { userAgentPrefix: 'kvdr' },
  }
  const auth = options.auth
  let endpoint = options.endpoint
  let credential: TokenCredential | StorageSharedKeyCredential | AnonymousCredential
  let sas: string | undefined
  if (auth.kind === 'connection-string') {
    const cs = parseConnectionString(auth.connectionString)
    if (cs.accountName && cs.accountName !== options.account) {
      throw new UsageError(`The storage connection string is for account "${cs.accountName}", but the location names account "${options.account}".`, {
        hint: 'Use the connection string of the account in the location, or fix the location.',
      })
    }
    endpoint ??= cs.blobEndpoint ?? (cs.endpointSuffix || cs.protocol ? `${cs.protocol ?? 'https'}://${options.account}.blob.${cs.endpointSuffix ?? 'core.windows.net'}` : undefined)
    if (cs.accountKey) credential = new StorageSharedKeyCredential(options.account, cs.accountKey)
    else {
      credential = new AnonymousCredential()
      sas = cs.sas
    }
  } else if (auth.kind === 'sas') {
    credential = new AnonymousCredential()
    const url = /^https?:\/\//i.test(auth.token.trim()) ? sasUrl(auth.token.trim(), options) : undefined
    sas = url?.token ?? auth.token
    endpoint ??= url?.endpoint
  } else if (auth.kind === 'account-key') {
    credential = new StorageSharedKeyCredential(options.account, auth.accountKey)
  } else {
    credential = auth.credential
  }
  const base = checkEndpoint(endpoint ?? `https://${options.account}.blob.core.windows.net`)
  if (auth.kind === 'token' && !base.startsWith('https:')) {
    throw new UsageError('Azure AD sign-in needs an https blob endpoint.', {
      hint: 'For a local emulator on http, set AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_KEY) instead.',
    })
  }
  const query = sas === undefined ? '' : `?${sas.replace(/^\?/, '')}`
  return new ContainerClient(`${base}/${options.container}${query}`, credential, pipeline)
}
