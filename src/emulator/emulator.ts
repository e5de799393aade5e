/**
 * startEmulator: serves several emulated vaults over HTTPS, on one shared port (by `<vault>.vault.azure.net` host
 * name) and on a dedicated port per vault (`https://localhost:<port>`), with the request pipeline, the route
 * modules, a controllable clock and everything a client needs to connect.
 */
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import { isIP, type AddressInfo, type Socket } from 'node:net'
import type { TokenCredential } from '@azure/core-auth'
import { ManualClock } from '../core/clock.js'
import { ExitCode, KvdrError, UsageError } from '../core/errors.js'
import { createBackupCodec } from './backup.js'
import { emulatorAgent, type AddressingMode, type SdkClientSetup } from './client-options.js'
import { emulatorCredential } from './credential.js'
import { loadWorldSecret } from './data-dir.js'
import { KvHttpError } from './http/errors.js'
import { permissiveStages, type PipelineStages } from './http/pipeline.js'
import { Router, type RouteModule } from './http/router.js'
import { createFrontEnd } from './http/server.js'
import { Vault, recoveryLevel, type RecoveryLevel } from './model/vault.js'
import { resolveConfig, resolveVault, type EmulatorConfig, type ResolvedVault, type VaultDefinition } from './options.js'
import { DEFAULT_ROUTE_MODULES } from './routes.js'
import { BUILTIN_DNS_NAMES, prepareTls } from './tls.js'

/** Everything `startEmulator` accepts: the config-file options plus programmatic hooks. */
export interface EmulatorOptions extends EmulatorConfig {
  /** Secret that backups are sealed with (default: kept in `<dataDir>/world-secret`, stable across restarts). */
  worldSecret?: string | Uint8Array
  /** The emulator's time. Default: a running ManualClock starting now. Pass a frozen one to step time by hand. */
  clock?: ManualClock
  /** Replace pipeline stages (firewall, authenticator, authorizer, throttle, faults, audit). */
  stages?: Partial<PipelineStages>
  /** Route modules to serve (default: every kind the emulator implements). */
  routes?: readonly RouteModule[]
}

/** A served vault as clients see it. */
export interface EmulatorVault {
  name: string
  /** `https://localhost:<port>` (dedicated port; clients set disableChallengeResourceVerification). */
  url: string
  /** `https://<name>.vault.azure.net:<shared port>` (resolve the host to the emulator; verification stays on). */
  hostUrl: string
  port: number
  region: string
  geography: string
  subscriptionId: string
  tenantId: string
  softDeleteRetentionDays: number
  purgeProtection: boolean
  recoveryLevel: RecoveryLevel
}

export interface EmulatorHandle {
  /** The vaults being served, in definition order. */
  readonly vaults: readonly EmulatorVault[]
  /** The shared port. */
  readonly port: number
  /** The bound address. */
  readonly host: string
  readonly dataDir: string
  /** The CA certificate that signs the server certificate (PEM) and the file holding it. */
  readonly caPem: string
  readonly caPath: string
  /** A credential whose tokens the emulator accepts. */
  readonly credential: TokenCredential
  /** The emulator clock: `advance(ms)` / `set(epochMs)` move soft-delete lifecycles and purge dates. */
  readonly clock: ManualClock
  /** One vault by name (case-insensitive). Throws UsageError for unknown names. */
  vault(name: string): EmulatorVault
  /** The vault's model and state, for other emulator modules and tests (e.g. creating certificate-managed secrets). */
  model(name: string): Vault
  /** SDK client set-up for a vault in either addressing mode (default `host`). The agent is closed by `stop()`. */
  clientSetup(name: string, mode?: AddressingMode): SdkClientSetup
  /** Serve one more vault (on a new ephemeral port unless `port` is set). Throws UsageError for invalid definitions. */
  addVault(def: VaultDefinition): Promise<EmulatorVault>
  /** Stop serving a vault and forget its contents. */
  removeVault(name: string): Promise<void>
  /** Close every listener and connection. Idempotent. */
  stop(): Promise<void>
}

interface Served {
  resolved: ResolvedVault
  vault: Vault
  server: Server
  port: number
}

const VAULT_SUFFIX = '.vault.azure.net'

/**
 * Start the emulator. Resolves once every listener is bound. Throws UsageError for invalid options and KvdrError
 * when a port is taken.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const { worldSecret, clock: givenClock, stages: givenStages, routes, ...config } = options
  const cfg = resolveConfig(config)
  const clock = givenClock ?? new ManualClock()
  const aliasNames = cfg.vaults.flatMap((v) => v.hostNames)
  const tls = await prepareTls(cfg.dataDir, [...cfg.hostNames, ...aliasNames])
  const secret = worldSecret === undefined ? await loadWorldSecret(cfg.dataDir) : worldSecretBytes(worldSecret)
  const router = new Router()
  for (const register of routes ?? DEFAULT_ROUTE_MODULES) register(router)
  const stages: PipelineStages = { ...permissiveStages(), ...givenStages }

  const served = new Map<string, Served>()
  const byPort = new Map<number, Served>()
  const byAlias = new Map<string, Served>()
  const agents: { close(): void }[] = []
  const sans = new Set([...BUILTIN_DNS_NAMES, ...cfg.hostNames, ...aliasNames])

  const resolveHostVault = (hostHeader: string, localPort: number): Vault | KvHttpError => {
    const hostname = hostOf(hostHeader)
    let found: Served | undefined
    if (hostname.endsWith(VAULT_SUFFIX)) found = served.get(hostname.slice(0, -VAULT_SUFFIX.length))
    else found = byAlias.get(hostname) ?? byPort.get(localPort)
    if (found) return found.vault
    const names = [...served.values()].map((s) => s.resolved.settings.name).join(', ')
    return new KvHttpError(404, 'VaultNotFound', `No vault answers to host '${hostHeader}' on this emulator. Served vaults: ${names}.`)
  }
  const listener = createFrontEnd({ router, stages, clock, backups: createBackupCodec(secret), paging: cfg.paging, resolveVault: resolveHostVault })
  const tlsOptions = { key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' as const }

  // Every TCP connection, including ones still in the TLS handshake, so stop() can close them all at once.
  const sockets = new Map<Server, Set<Socket>>()
  const listen = async (port: number, what: string): Promise<{ server: Server; port: number }> => {
    const server = createServer(tlsOptions, listener)
    const open = new Set<Socket>()
    sockets.set(server, open)
    server.on('connection', (socket: Socket) => {
      open.add(socket)
      socket.once('close', () => open.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new KvdrError('EMULATOR_PORT', ExitCode.Failure, `Port ${port} (${what}) on ${cfg.host} is already in use.`, {
                hint: 'Stop whatever uses it, or choose other ports (--port, or port in the vault definitions; 0 picks a free port).',
              })
            : err,
        ),
      )
      server.listen(port, cfg.host, () => resolve())
    })
    return { server, port: (server.address() as AddressInfo).port }
  }
  const closeServer = (server: Server): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve())
      for (const socket of sockets.get(server) ?? []) socket.destroy()
      sockets.delete(server)
    })

  const shared = await listen(cfg.port, 'shared port')
  const serve = async (resolved: ResolvedVault, vault: Vault): Promise<Served> => {
    const { server, port } = await listen(resolved.port, `vault ${resolved.settings.name}`)
    const s: Served = { resolved, vault, server, port }
    served.set(resolved.settings.name.toLowerCase(), s)
    byPort.set(port, s)
    for (const h of resolved.hostNames) byAlias.set(h, s)
    return s
  }
  const info = (s: Served): EmulatorVault => {
    const v = s.resolved.settings
    return {
      name: v.name,
      url: `https://localhost:${s.port}`,
      hostUrl: `https://${v.name.toLowerCase()}${VAULT_SUFFIX}:${shared.port}`,
      port: s.port,
      region: v.region,
      geography: v.geography,
      subscriptionId: v.subscriptionId,
      tenantId: v.tenantId,
      softDeleteRetentionDays: v.softDeleteRetentionDays,
      purgeProtection: v.purgeProtection,
      recoveryLevel: recoveryLevel(v),
    }
  }
  const lookup = (name: string): Served => {
    const s = served.get(name.toLowerCase())
    if (!s) throw new UsageError(`The emulator serves no vault named '${name}'.`, { hint: `Served vaults: ${[...served.values()].map((x) => x.resolved.settings.name).join(', ')}.` })
    return s
  }

  try {
    for (const v of cfg.vaults) await serve(v, Vault.create(v.settings, clock))
  } catch (err) {
    await Promise.all([shared.server, ...[...served.values()].map((s) => s.server)].map(closeServer))
    throw err
  }

  let stopped = false
  return {
    get vaults() {
      return [...served.values()].map(info)
    },
    port: shared.port,
    host: cfg.host,
    dataDir: cfg.dataDir,
    caPem: tls.caPem,
    caPath: tls.caPath,
    credential: emulatorCredential(),
    clock,
    vault: (name) => info(lookup(name)),
    model: (name) => lookup(name).vault,
    clientSetup(name, mode = 'host') {
      const v = info(lookup(name))
      const agent = emulatorAgent(tls.caPem, connectAddress(cfg.host), [...byAlias.keys()])
      agents.push({ close: () => agent.destroy() })
      return mode === 'host'
        ? { vaultUrl: v.hostUrl, options: { agent } }
        : { vaultUrl: v.url, options: { agent, disableChallengeResourceVerification: true } }
    },
    async addVault(def) {
      const resolved = resolveVault(def, cfg.timing, [...served.values()].map((s) => s.resolved), shared.port)
      const uncovered = resolved.hostNames.filter((h) => !sans.has(h) && !h.endsWith(VAULT_SUFFIX))
      if (uncovered.length > 0) {
        throw new UsageError(`Host names ${uncovered.join(', ')} are not in the emulator's TLS certificate.`, {
          hint: 'List extra host names in hostNames (or the vault definitions) when starting the emulator.',
        })
      }
      return info(await serve(resolved, Vault.create(resolved.settings, clock)))
    },
    async removeVault(name) {
      const s = lookup(name)
      served.delete(s.resolved.settings.name.toLowerCase())
      byPort.delete(s.port)
      for (const h of s.resolved.hostNames) byAlias.delete(h)
      await closeServer(s.server)
    },
    async stop() {
      if (stopped) return
      stopped = true
      for (const a of agents) a.close()
      await Promise.all([shared.server, ...[...served.values()].map((s) => s.server)].map(closeServer))
    },
  }
}

/** Host name of a Host header (`name:port`, `[v6]:port`), lower-cased. */
function hostOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'))
  const colon = h.lastIndexOf(':')
  return colon === -1 ? h : h.slice(0, colon)
}

/** The address clients connect to for a bind address (wildcards mean the loopback). */
function connectAddress(bind: string): string {
  if (bind === '::') return '::1'
  if (bind === '0.0.0.0' || isIP(bind) === 0) return '127.0.0.1'
  return bind
}

function worldSecretBytes(s: string | Uint8Array): Buffer {
  return typeof s === 'string' ? createHash('sha256').update(s, 'utf8').digest() : Buffer.from(s)
}
