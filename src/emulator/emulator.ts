/**
 * startEmulator: serves several emulated vaults over HTTPS, on one shared port (by `<vault>.vault.azure.net` host
 * name) and on a dedicated port per vault (`https://localhost:<port>`), with the request pipeline (authentication,
 * firewall, authorization, throttling, faults, audit), an Entra-compatible token service and control API on the
 * shared port, managed-identity endpoints on a plain-HTTP port, a controllable clock and optional persistence.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http'
import { createServer, type Server } from 'node:https'
import { isIP } from 'node:net'
import type { TokenCredential } from '@azure/core-auth'
import { ManualClock } from '../core/clock.js'
import { UsageError } from '../core/errors.js'
import { AccessControl, type VaultAccess } from './access/access-control.js'
import type { RoleDefinition } from './access/roles.js'
import { resourceId } from './access/scope.js'
import { AuditLog, type AuditEvent, type AuditFilter, type Counters } from './audit/audit-log.js'
import { createBackupCodec } from './backup.js'
import { emulatorAgent, type AddressingMode, type SdkClientSetup } from './client-options.js'
import { EmulatorControl } from './control/controller.js'
import { sideServicesListener } from './control/side-services.js'
import { loadWorldSecret } from './data-dir.js'
import { KvHttpError } from './http/errors.js'
import { permissiveStages, type PipelineStages } from './http/pipeline.js'
import { Router, type RouteModule } from './http/router.js'
import { Listeners } from './http/listeners.js'
import { createFrontEnd } from './http/server.js'
import { EntraAuthenticator, InsecureAuthenticator } from './identity/authenticator.js'
import { EmulatorClientCredential } from './identity/client-credential.js'
import { Directory, type DirectoryPrincipal } from './identity/directory.js'
import { loadSigningKey, TokenIssuer } from './identity/issuer.js'
import { APP_SERVICE_TOKEN_PATH, managedIdentityListener } from './identity/managed-identity.js'
import { Vault, recoveryLevel, type RecoveryLevel } from './model/vault.js'
import { resolveConfig, resolveVault, DEFAULT_TENANT_ID, type EmulatorConfig, type ResolvedVault, type VaultDefinition } from './options.js'
import { VaultPersistence } from './persist/vault-persistence.js'
import { DEFAULT_ROUTE_MODULES } from './routes.js'
import { BUILTIN_DNS_NAMES, prepareTls } from './tls.js'
import { Adversity } from './traffic/faults.js'
import { SlidingWindowThrottle } from './traffic/throttle.js'

/** Everything `startEmulator` accepts: the config-file options plus programmatic hooks. */
export interface EmulatorOptions extends EmulatorConfig {
  /** Secret that backups are sealed with (default: kept in `<dataDir>/world-secret`, stable across restarts). */
  worldSecret?: string | Uint8Array
  /**
   * The emulator's time. Default: a running ManualClock starting now, or, with a state directory, continuing from
   * the stored time plus the time the emulator was down. Pass a frozen one to step time by hand.
   */
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
  /** The vault's ARM resource id. */
  resourceId: string
  permissionModel: 'rbac' | 'accessPolicy'
}

/** A principal of the emulator's directory (never its secret; see `principal()`). */
export interface EmulatorPrincipal {
  name: string
  type: 'servicePrincipal' | 'managedIdentity'
  clientId: string
  objectId: string
  tenantId: string
  systemAssigned: boolean
}

/** Where managed identities get tokens (plain HTTP, like Azure's local endpoints). */
export interface ManagedIdentityEndpoints {
  /** Base URL of the IMDS form; the value of AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  imds: string
  /** The App Service form; the value of IDENTITY_ENDPOINT. */
  appService: string
  /** The value of IDENTITY_HEADER. */
  identityHeader: string
}

export interface EmulatorHandle {
  /** The vaults being served, in definition order. */
  readonly vaults: readonly EmulatorVault[]
  /** The shared port. */
  readonly port: number
  /** The bound address. */
  readonly host: string
  readonly dataDir: string
  /** Where vault state is persisted, when it is. */
  readonly stateDir: string | undefined
  /** The CA certificate that signs the server certificate (PEM) and the file holding it. */
  readonly caPem: string
  readonly caPath: string
  /** `https://localhost:<shared port>`: the token service (authorityHost for @azure/identity credentials). */
  readonly authorityHost: string
  readonly managedIdentity: ManagedIdentityEndpoints
  /** The built-in administrator's credential: signed tokens from the token service, renewed by the emulator clock. */
  readonly credential: TokenCredential
  /** The emulator clock: `advance(ms)` / `set(epochMs)` move lifecycles, purge dates and token expiry. */
  readonly clock: ManualClock
  /** Runtime control: clock, faults, latency, throttling, role assignments, audit log and counters. */
  readonly control: EmulatorControl
  /** Base URL and bearer token of the HTTP control API (the same operations as `control`). */
  readonly controlUrl: string
  readonly controlToken: string
  /** Every principal (the administrator first). */
  readonly principals: readonly EmulatorPrincipal[]
  /** One principal with its client secret (service principals). Throws UsageError for unknown names. */
  principal(name: string): EmulatorPrincipal & { clientSecret?: string }
  /** A credential for a service principal (client credentials against the token service, emulator-clock cache). */
  credentialFor(name: string): TokenCredential
  /**
   * Environment variables that make `new DefaultAzureCredential()` get tokens from this emulator as a managed
   * identity (`imds`: AZURE_POD_IDENTITY_AUTHORITY_HOST; `appService`: IDENTITY_ENDPOINT + IDENTITY_HEADER), plus
   * NODE_EXTRA_CA_CERTS for the vaults' TLS. `identity` names a user-assigned identity (adds AZURE_CLIENT_ID).
   */
  managedIdentityEnv(via?: 'imds' | 'appService', identity?: string): Record<string, string>
  /** Requests per operation and status since start or the last reset (shortcut for control.counters()). */
  counters(): Counters
  /** Audit records (shortcut for control.audit()). */
  audit(filter?: AuditFilter): AuditEvent[]
  /** One vault by name (case-insensitive). Throws UsageError for unknown names. */
  vault(name: string): EmulatorVault
  /** The vault's model and state, for other emulator modules and tests (e.g. creating certificate-managed secrets). */
  model(name: string): Vault
  /** SDK client set-up for a vault in either addressing mode (default `host`). The agent is closed by `stop()`. */
  clientSetup(name: string, mode?: AddressingMode): SdkClientSetup
  /** Serve one more vault (on a new ephemeral port unless `port` is set). Throws UsageError for invalid definitions. */
  addVault(def: VaultDefinition): Promise<EmulatorVault>
  /** Stop serving a vault and forget its contents (also its persisted state). */
  removeVault(name: string): Promise<void>
  /** Write every vault's state and the clock to the state directory now (no-op without one). */
  persist(): Promise<void>
  /** Persist, then close every listener and connection. Idempotent. */
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
 * when a port is taken or the state directory holds unusable files.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const { worldSecret, clock: givenClock, stages: givenStages, routes, ...config } = options
  const cfg = resolveConfig(config)
  const opened = cfg.stateDir === undefined ? undefined : await VaultPersistence.open(cfg.stateDir, givenClock)
  const persistence = opened?.persistence
  const clock = opened?.clock ?? givenClock ?? new ManualClock()
  const aliasNames = cfg.vaults.flatMap((v) => v.hostNames)
  const [tls, signingKey] = await Promise.all([prepareTls(cfg.dataDir, [...cfg.hostNames, ...aliasNames]), loadSigningKey(cfg.dataDir)])
  const secret = worldSecret === undefined ? await loadWorldSecret(cfg.dataDir) : worldSecretBytes(worldSecret)
  const router = new Router()
  for (const register of routes ?? DEFAULT_ROUTE_MODULES) register(router)

  // Identity and access: the built-in administrator holds Key Vault Administrator everywhere and every access policy.
  const directory = new Directory(cfg.principals, secret)
  const issuer = new TokenIssuer(signingKey, clock, cfg.tokenLifetimeSeconds)
  const access = new AccessControl(cfg.roleDefinitions)
  const roleOf = (ref: string): RoleDefinition => access.role(ref) as RoleDefinition
  access.assign(directory.admin.objectId, roleOf('Key Vault Administrator'), {}, '/')
  for (const a of cfg.roleAssignments) access.assign(a.principalId, roleOf(a.roleId), a.scope, a.scopeText)
  const withAdmin = (v: VaultAccess, tenantId: string): VaultAccess =>
    v.permissionModel === 'accessPolicy'
      ? { ...v, accessPolicies: [{ objectId: directory.admin.objectId, tenantId: tenantId.toLowerCase(), permissions: { keys: ['all'], secrets: ['all'], certificates: ['all'] } }, ...v.accessPolicies] }
      : v

  // Traffic and audit.
  const throttle = new SlidingWindowThrottle(clock, cfg.throttling)
  const adversity = new Adversity()
  for (const f of cfg.faults) adversity.addFault(f)
  adversity.setLatency(cfg.latency)
  const served = new Map<string, Served>()
  const auditLog = new AuditLog({
    capacity: cfg.audit.capacity,
    ...(cfg.audit.file === undefined ? {} : { file: cfg.audit.file }),
    vaultInfo: (name) => {
      const s = served.get(name.toLowerCase())
      return s && { resourceId: resourceIdOf(s.resolved), permissionModel: s.resolved.access.permissionModel }
    },
  })
  const control = new EmulatorControl({ clock, throttle, adversity, audit: auditLog, access, principals: cfg.principals, customRoles: cfg.roleDefinitions })

  const stages: PipelineStages = {
    ...permissiveStages(),
    authenticator:
      cfg.auth === 'none'
        ? new InsecureAuthenticator((oid) => directory.find(oid) !== undefined, { id: directory.admin.objectId, tenantId: directory.admin.tenantId })
        : new EntraAuthenticator(() => issuer.keys, clock),
    firewall: access.firewall,
    authorizer: access.authorizer,
    throttle,
    faults: adversity,
    audit: auditLog,
    ...givenStages,
  }

  const byPort = new Map<number, Served>()
  const byAlias = new Map<string, Served>()
  const agents: { close(): void }[] = []
  const sans = new Set([...BUILTIN_DNS_NAMES, ...cfg.hostNames, ...aliasNames])
  const listeners = new Listeners(cfg.host)
  const saveVault = (s: Served): Promise<void> => persistence?.save(s.resolved.definition, s.vault.state) ?? Promise.resolve()

  const isVaultHost = (hostname: string): boolean => hostname.endsWith(VAULT_SUFFIX) || byAlias.has(hostname)
  const resolveHostVault = (hostHeader: string, localPort: number): Vault | KvHttpError => {
    const hostname = hostOf(hostHeader)
    let found: Served | undefined
    if (hostname.endsWith(VAULT_SUFFIX)) found = served.get(hostname.slice(0, -VAULT_SUFFIX.length))
    else found = byAlias.get(hostname) ?? byPort.get(localPort)
    if (found) return found.vault
    const names = [...served.values()].map((s) => s.resolved.settings.name).join(', ')
    return new KvHttpError(404, 'VaultNotFound', `No vault answers to host '${hostHeader}' on this emulator. Served vaults: ${names}.`)
  }
  const vaultListener = createFrontEnd({
    router,
    stages,
    clock,
    backups: createBackupCodec(secret),
    paging: cfg.paging,
    resolveVault: resolveHostVault,
    // With a state directory, a vault's state is written before the answer to a request that changed it: every
    // write, and reads that applied something the clock made due (a rotation, a certificate issuance).
    ...(persistence
      ? {
          commit: async (vault: Vault, method: string) => {
            const s = served.get(vault.settings.name.toLowerCase())
            if (!s) return
            if (method === 'GET') await persistence.saveIfChanged(s.resolved.definition, s.vault.state)
            else await saveVault(s)
          },
        }
      : {}),
  })

  const controlToken = cfg.controlToken ?? randomBytes(24).toString('base64url')
  const knownTenants = new Set([DEFAULT_TENANT_ID, ...cfg.vaults.map((v) => v.settings.tenantId), ...cfg.principals.map((p) => p.tenantId)].map((t) => t.toLowerCase()))
  let sharedPort = 0
  const info = (s: Served): EmulatorVault => {
    const v = s.resolved.settings
    return {
      name: v.name,
      url: `https://localhost:${s.port}`,
      hostUrl: `https://${v.name.toLowerCase()}${VAULT_SUFFIX}:${sharedPort}`,
      port: s.port,
      region: v.region,
      geography: v.geography,
      subscriptionId: v.subscriptionId,
      tenantId: v.tenantId,
      softDeleteRetentionDays: v.softDeleteRetentionDays,
      purgeProtection: v.purgeProtection,
      recoveryLevel: recoveryLevel(v),
      resourceId: resourceIdOf(s.resolved),
      permissionModel: s.resolved.access.permissionModel,
    }
  }
  // The shared port: vault host names go to the vaults; anything else (localhost, an IP) to the side services.
  const sideServices = sideServicesListener(
    {
      control,
      token: controlToken,
      status: () => ({ vaults: [...served.values()].map(info), authorityHost: `https://localhost:${sharedPort}`, managedIdentity: managedIdentityOf(), now: new Date(clock.now()).toISOString() }),
    },
    { directory, issuer, clock, knownTenant: (t) => knownTenants.has(t.toLowerCase()) },
    () => sharedPort,
  )
  const sharedListener: RequestListener = (req, res) => (isVaultHost(hostOf(req.headers.host ?? '')) ? vaultListener(req, res) : sideServices(req, res))
  const tlsOptions = { key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' as const }

  const identityHeader = createHmac('sha256', secret).update('identity-header').digest('base64url').slice(0, 32)
  const shared = await listeners.listen(createServer(tlsOptions, sharedListener), cfg.port, 'shared port')
  sharedPort = shared.port
  let identity: { server: HttpServer; port: number }
  try {
    identity = await listeners.listen(createHttpServer(managedIdentityListener({ directory, issuer, identityHeader })), cfg.identityPort, 'managed identity endpoint')
  } catch (err) {
    await listeners.close(shared.server)
    throw err
  }
  const connect = connectAddress(cfg.host)
  const managedIdentityOf = (): ManagedIdentityEndpoints => {
    const base = `http://${connect.includes(':') ? `[${connect}]` : connect}:${identity.port}`
    return { imds: base, appService: `${base}${APP_SERVICE_TOKEN_PATH}`, identityHeader }
  }
  const authorityHost = `https://localhost:${shared.port}`
  const newAgent = (): ReturnType<typeof emulatorAgent> => {
    const agent = emulatorAgent(tls.caPem, connect, ['localhost', ...byAlias.keys()])
    agents.push({ close: () => agent.destroy() })
    return agent
  }
  const credentialFor = (p: DirectoryPrincipal): TokenCredential => {
    if (p.clientSecret === undefined) throw new UsageError(`Principal '${p.name}' is a managed identity; it gets tokens from the managed-identity endpoint.`, { hint: 'Use managedIdentityEnv() with DefaultAzureCredential or ManagedIdentityCredential.' })
    return new EmulatorClientCredential({ authority: authorityHost, clientId: p.clientId, clientSecret: p.clientSecret, tenantId: p.tenantId, agent: newAgent(), clock })
  }

  const serve = async (resolved: ResolvedVault, vault: Vault): Promise<Served> => {
    const { server, port } = await listeners.listen(createServer(tlsOptions, vaultListener), resolved.port, `vault ${resolved.settings.name}`)
    const s: Served = { resolved, vault, server, port }
    served.set(resolved.settings.name.toLowerCase(), s)
    byPort.set(port, s)
    for (const h of resolved.hostNames) byAlias.set(h, s)
    access.setVault(resolved.settings.name, withAdmin(resolved.access, resolved.settings.tenantId))
    return s
  }
  const lookup = (name: string): Served => {
    const s = served.get(name.toLowerCase())
    if (!s) throw new UsageError(`The emulator serves no vault named '${name}'.`, { hint: `Served vaults: ${[...served.values()].map((x) => x.resolved.settings.name).join(', ')}.` })
    return s
  }
  const persistAll = async (): Promise<void> => {
    if (!persistence) return
    await Promise.all([...served.values()].map(saveVault))
    await persistence.saveClock()
    await persistence.flush()
  }
  const closeAll = (): Promise<void[]> => Promise.all([shared.server, identity.server, ...[...served.values()].map((s) => s.server)].map((x) => listeners.close(x)))

  try {
    const load = async (r: ResolvedVault): Promise<Vault> => (persistence ? persistence.load(r.settings) : Vault.create(r.settings, clock))
    for (const v of cfg.vaults) await serve(v, await load(v))
    // Vaults added at run time (not in the configuration) come back from their stored definitions, on new ports.
    for (const previous of persistence?.remaining() ?? []) {
      const resolved = resolveVault({ ...previous.definition, port: 0 }, cfg.timing, [...served.values()].map((s) => s.resolved), shared.port, cfg.principals, `stored vault ${previous.definition.name}`)
      knownTenants.add(resolved.settings.tenantId.toLowerCase())
      await serve(resolved, await load(resolved))
    }
    await persistAll()
  } catch (err) {
    await closeAll()
    await auditLog.close()
    throw err
  }

  const adminCredential = credentialFor(directory.admin)
  const principalInfo = (p: DirectoryPrincipal): EmulatorPrincipal => ({ name: p.name, type: p.type, clientId: p.clientId, objectId: p.objectId, tenantId: p.tenantId, systemAssigned: p.systemAssigned })
  const findPrincipal = (name: string): DirectoryPrincipal => {
    const p = directory.find(name)
    if (!p) throw new UsageError(`The emulator has no principal '${name}'.`, { hint: `Principals: ${directory.list().map((x) => x.name).join(', ')}.` })
    return p
  }
  let stopped = false
  return {
    get vaults() {
      return [...served.values()].map(info)
    },
    port: shared.port,
    host: cfg.host,
    dataDir: cfg.dataDir,
    stateDir: cfg.stateDir,
    caPem: tls.caPem,
    caPath: tls.caPath,
    authorityHost,
    get managedIdentity() {
      return managedIdentityOf()
    },
    credential: adminCredential,
    clock,
    control,
    controlUrl: `${authorityHost}/emulator`,
    controlToken,
    principals: directory.list().map(principalInfo),
    principal(name) {
      const p = findPrincipal(name)
      return { ...principalInfo(p), ...(p.clientSecret === undefined ? {} : { clientSecret: p.clientSecret }) }
    },
    credentialFor: (name) => credentialFor(findPrincipal(name)),
    managedIdentityEnv(via = 'imds', identityName) {
      const mi = managedIdentityOf()
      const env: Record<string, string> = via === 'imds' ? { AZURE_POD_IDENTITY_AUTHORITY_HOST: mi.imds } : { IDENTITY_ENDPOINT: mi.appService, IDENTITY_HEADER: mi.identityHeader }
      if (identityName !== undefined) {
        const p = findPrincipal(identityName)
        if (p.type !== 'managedIdentity') throw new UsageError(`Principal '${p.name}' is not a managed identity.`)
        env.AZURE_CLIENT_ID = p.clientId
      }
      return { ...env, NODE_EXTRA_CA_CERTS: tls.caPath }
    },
    counters: () => control.counters(),
    audit: (filter) => control.audit(filter),
    vault: (name) => info(lookup(name)),
    model: (name) => lookup(name).vault,
    clientSetup(name, mode = 'host') {
      const v = info(lookup(name))
      const agent = newAgent()
      return mode === 'host'
        ? { vaultUrl: v.hostUrl, options: { agent } }
        : { vaultUrl: v.url, options: { agent, disableChallengeResourceVerification: true } }
    },
    async addVault(def) {
      const resolved = resolveVault(def, cfg.timing, [...served.values()].map((s) => s.resolved), shared.port, cfg.principals)
      const uncovered = resolved.hostNames.filter((h) => !sans.has(h) && !h.endsWith(VAULT_SUFFIX))
      if (uncovered.length > 0) {
        throw new UsageError(`Host names ${uncovered.join(', ')} are not in the emulator's TLS certificate.`, {
          hint: 'List extra host names in hostNames (or the vault definitions) when starting the emulator.',
        })
      }
      knownTenants.add(resolved.settings.tenantId.toLowerCase())
      const s = await serve(resolved, Vault.create(resolved.settings, clock))
      await saveVault(s)
      return info(s)
    },
    async removeVault(name) {
      const s = lookup(name)
      served.delete(s.resolved.settings.name.toLowerCase())
      byPort.delete(s.port)
      for (const h of s.resolved.hostNames) byAlias.delete(h)
      access.removeVault(s.resolved.settings.name)
      await listeners.close(s.server)
      await persistence?.remove(s.resolved.settings.name)
    },
    persist: persistAll,
    async stop() {
      if (stopped) return
      stopped = true
      for (const a of agents) a.close()
      await closeAll()
      await persistAll()
      await auditLog.close()
    },
  }
}

function resourceIdOf(v: ResolvedVault): string {
  return resourceId({ subscriptionId: v.settings.subscriptionId, resourceGroup: v.access.resourceGroup, vault: v.settings.name })
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
