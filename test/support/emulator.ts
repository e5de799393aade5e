/** Test helpers for the Key Vault emulator: start one with fast lifecycles and a shared CA, and build SDK clients for it. */
import { request as httpsRequest } from 'node:https'
import { fileURLToPath } from 'node:url'
import { CryptographyClient, KeyClient, type KeyVaultKey } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { startEmulator, type AddressingMode, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator/index.js'

/** One data directory for every test run: the CA and server key are generated once and reused. */
export const TEST_DATA_DIR = fileURLToPath(new URL('../../.tmp/emulator-test', import.meta.url))

/** Lifecycle delays short enough for SDK pollers to finish in a blink. */
export const FAST_TIMING = { deleteDelayMs: 40, recoverDelayMs: 40, purgeDelayMs: 40 }

/**
 * Start an emulator for a test file: shared CA directory, fast lifecycles, ephemeral ports, and throttling off
 * (tests of throttling pass their own `throttling`). Stop it in afterAll.
 */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator({ dataDir: TEST_DATA_DIR, timing: FAST_TIMING, throttling: { enabled: false }, ...options })
}

/** The official SecretClient for `vault`, failing fast (no retries). */
export function secretClient(em: EmulatorHandle, vault: string, mode: AddressingMode = 'host', serviceVersion?: '2025-07-01' | '7.6'): SecretClient {
  const { vaultUrl, options } = em.clientSetup(vault, mode)
  return new SecretClient(vaultUrl, em.credential, {
    ...options,
    retryOptions: { maxRetries: 0 },
    ...(serviceVersion === undefined ? {} : { serviceVersion }),
  })
}

/** The official KeyClient for `vault`, failing fast (no retries). */
export function keyClient(em: EmulatorHandle, vault: string, mode: AddressingMode = 'host'): KeyClient {
  const { vaultUrl, options } = em.clientSetup(vault, mode)
  return new KeyClient(vaultUrl, em.credential, { ...options, retryOptions: { maxRetries: 0 } })
}

/** The official CryptographyClient for a key (or key id) of `vault`, failing fast. */
export function cryptographyClient(em: EmulatorHandle, vault: string, key: KeyVaultKey | string, mode: AddressingMode = 'host'): CryptographyClient {
  const { options } = em.clientSetup(vault, mode)
  return new CryptographyClient(key, em.credential, { ...options, retryOptions: { maxRetries: 0 } })
}

/** Poller options that poll fast. */
export const FAST_POLL = { intervalInMs: 10 }

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
  text: string
}

/** One client set-up (and keep-alive agent) per emulator, vault and addressing mode; `stop()` closes the agents. */
const setups = new WeakMap<EmulatorHandle, Map<string, ReturnType<EmulatorHandle['clientSetup']>>>()
function setupFor(em: EmulatorHandle, vault: string, mode: AddressingMode): ReturnType<EmulatorHandle['clientSetup']> {
  let byVault = setups.get(em)
  if (!byVault) setups.set(em, (byVault = new Map()))
  const key = `${vault.toLowerCase()}|${mode}`
  let setup = byVault.get(key)
  if (!setup) byVault.set(key, (setup = em.clientSetup(vault, mode)))
  return setup
}

/** A bearer token the emulator's vaults accept: the built-in administrator's, from the token service. */
export async function adminToken(em: EmulatorHandle, tenantId?: string): Promise<string> {
  const token = await em.credential.getToken('https://vault.azure.net/.default', tenantId === undefined ? {} : { tenantId })
  if (!token) throw new Error('the emulator credential returned no token')
  return token.token
}

/**
 * Send one raw HTTPS request to a vault of the emulator, addressed by host name (`host` mode) through the
 * emulator's lookup. `token` adds `Authorization: Bearer <token>`; `auth: true` adds a valid administrator token
 * for the vault's tenant.
 */
export async function rawRequest(
  em: EmulatorHandle,
  vault: string,
  method: string,
  pathAndQuery: string,
  options: { body?: string; token?: string; auth?: boolean; headers?: Record<string, string>; mode?: AddressingMode } = {},
): Promise<RawResponse> {
  const { vaultUrl, options: client } = setupFor(em, vault, options.mode ?? 'host')
  const url = new URL(pathAndQuery, vaultUrl)
  const headers: Record<string, string> = { ...(options.headers ?? {}) }
  if (options.auth) headers.Authorization = `Bearer ${await adminToken(em, em.vault(vault).tenantId)}`
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    headers['Content-Length'] = String(Buffer.byteLength(options.body))
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, agent: client.agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = text === '' ? undefined : JSON.parse(text)
        } catch {
          body = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text })
      })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A URL path with an api-version. */
export function withApi(path: string, apiVersion = '2025-07-01'): string {
  return `${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`
}
