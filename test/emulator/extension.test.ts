/**
 * Extension points: replaceable pipeline stages (firewall, authenticator, authorizer, throttle, faults, audit) see
 * each route's operation descriptor; route modules register like the secrets module; vault state is plain JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import {
  ADMIN_PRINCIPAL_NAME,
  DEFAULT_ROUTE_MODULES,
  DropConnection,
  KvHttpError,
  Router,
  SECRET_OPERATIONS,
  Vault,
  secretsOf,
  type AuditRecord,
  type EmulatorHandle,
  type OperationDescriptor,
  type RouteModule,
  type StageRequest,
} from '../../src/emulator/index.js'
import { FAST_POLL, rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

const audit: AuditRecord[] = []
const authorized: string[] = []
const firewallSources: string[] = []
const ping: OperationDescriptor = { name: 'VaultPing', dataAction: 'Test/ping/action', kind: 'vault', throttleClass: 'test' }
const pingModule: RouteModule = (router) =>
  router.add({ method: 'GET', path: '/ping/{who?}', operation: ping, handler: (ctx) => ({ status: 200, body: { pong: ctx.params.who ?? null, vault: ctx.vault.settings.name } }) })

let em: EmulatorHandle
beforeAll(async () => {
  em = await startTestEmulator({
    vaults: [{ name: 'kv-ext' }],
    routes: [...DEFAULT_ROUTE_MODULES, pingModule],
    stages: {
      firewall: { check: (req: StageRequest) => void firewallSources.push(req.sourceAddress) },
      authorizer: {
        authorize: (principal, op) => {
          authorized.push(`${principal.id} ${op.dataAction}`)
          if (op.dataAction === SECRET_OPERATIONS.get.dataAction && /forbidden/.test(authorizedName)) {
            throw new KvHttpError(403, 'Forbidden', 'Caller is not authorized to perform action on resource.', { innerCode: 'ForbiddenByRbac' })
          }
        },
      },
      throttle: {
        admit: (_p, op) => {
          if (op.throttleClass === 'secret-create' && throttleCreates) {
            throw new KvHttpError(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached')
          }
        },
      },
      faults: {
        inject: (op) => {
          if (op.name === 'SecretBackup' && dropBackups) throw new DropConnection()
        },
      },
      audit: { record: (r) => void audit.push(r) },
    },
  })
})
afterAll(async () => {
  await em?.stop()
})

let authorizedName = ''
let throttleCreates = false
let dropBackups = false

describe('pipeline stages', () => {
  it('audits every operation under its Key Vault name, and the challenge as Authentication', async () => {
    const client = secretClient(em, 'kv-ext')
    await client.setSecret('audited', 'v')
    await client.getSecret('audited')
    await client.updateSecretProperties('audited', '', { tags: { a: 'b' } })
    for await (const _ of client.listPropertiesOfSecrets());
    for await (const _ of client.listPropertiesOfSecretVersions('audited'));
    const blob = (await client.backupSecret('audited')) as Uint8Array
    await (await client.beginDeleteSecret('audited', FAST_POLL)).pollUntilDone()
    for await (const _ of client.listDeletedSecrets());
    await (await client.beginRecoverDeletedSecret('audited', FAST_POLL)).pollUntilDone()
    await (await client.beginDeleteSecret('audited', FAST_POLL)).pollUntilDone()
    await client.purgeDeletedSecret('audited')
    em.clock.advance(1000)
    await client.restoreSecretBackup(blob)

    const names = new Set(audit.map((r) => r.operationName))
    for (const op of Object.values(SECRET_OPERATIONS)) expect(names, op.name).toContain(op.name)
    const probe = audit.find((r) => r.operationName === 'Authentication')
    expect(probe?.resultSignature).toBe(401)
    const set = audit.find((r) => r.operationName === 'SecretSet' && r.resultSignature === 200)
    expect(set?.id).toMatch(/\/secrets\/audited\/[0-9a-f]{32}$/)
    expect(set?.vault).toBe('kv-ext')
    expect(JSON.stringify(audit)).not.toContain('"v"')
    expect(authorized).toContain(`${em.principal(ADMIN_PRINCIPAL_NAME).objectId} ${SECRET_OPERATIONS.set.dataAction}`)
    expect(firewallSources.every((s) => s.endsWith('127.0.0.1'))).toBe(true)
  })

  it('lets the authorizer refuse by data action', async () => {
    const client = secretClient(em, 'kv-ext')
    await client.setSecret('forbidden-one', 'v')
    authorizedName = 'forbidden'
    try {
      await expect(client.getSecret('forbidden-one')).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' })
      await expect(client.setSecret('forbidden-one', 'w')).resolves.toBeDefined()
    } finally {
      authorizedName = ''
    }
  })

  it('lets the throttle refuse by throttling class', async () => {
    const client = secretClient(em, 'kv-ext')
    throttleCreates = true
    try {
      await expect(client.setSecret('throttled', 'v')).rejects.toMatchObject({ statusCode: 429, code: 'Throttled' })
      await expect(client.getSecret('forbidden-one')).resolves.toBeDefined()
    } finally {
      throttleCreates = false
    }
  })

  it('lets fault injection drop the connection', async () => {
    const client = secretClient(em, 'kv-ext')
    await client.setSecret('dropped', 'v')
    dropBackups = true
    try {
      await expect(client.backupSecret('dropped')).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|socket hang up/i) })
    } finally {
      dropBackups = false
    }
  })
})

describe('route modules', () => {
  it('serves routes registered by another module, behind the same challenge', async () => {
    expect((await rawRequest(em, 'kv-ext', 'GET', withApi('/ping/you'))).status).toBe(401)
    const res = await rawRequest(em, 'kv-ext', 'GET', withApi('/ping/you'), { auth: true })
    expect(res.body).toEqual({ pong: 'you', vault: 'kv-ext' })
    expect(audit.at(-1)?.operationName).toBe('VaultPing')
  })

  it('prefers literal segments, answers 405 for other methods, and refuses duplicate routes', () => {
    const router = new Router()
    for (const register of DEFAULT_ROUTE_MODULES) register(router)
    const restore = router.match('POST', '/secrets/restore')
    expect(restore.ok && restore.route.operation.name).toBe('SecretRestore')
    const versions = router.match('GET', '/secrets/x/versions')
    expect(versions.ok && versions.route.operation.name).toBe('SecretListVersions')
    const latest = router.match('GET', '/secrets/x/')
    expect(latest.ok && latest.params).toEqual({ name: 'x' })
    const put = router.match('PUT', '/secrets/')
    expect(put.ok ? 'matched' : put.error.status).toBe(405)
    const unknown = router.match('GET', '/nothing/here')
    expect(unknown.ok ? 'matched' : unknown.error.status).toBe(404)
    expect(() => registerTwice(router)).toThrow(/registered twice/)
  })
})

function registerTwice(router: Router): void {
  for (const register of DEFAULT_ROUTE_MODULES) register(router)
}

describe('vault state', () => {
  it('round-trips through JSON and keeps answering the same', () => {
    const clock = new ManualClock(Date.UTC(2031, 5, 1), { running: false })
    const vault = Vault.create(
      { name: 'kv-state', region: 'westeurope', geography: 'Europe', subscriptionId: 's', tenantId: 't', softDeleteRetentionDays: 30, purgeProtection: false, deleteDelayMs: 0, recoverDelayMs: 0, purgeDelayMs: 0 },
      clock,
    )
    const secrets = secretsOf(vault)
    secrets.create('alpha', { payload: { value: 'a1', contentType: 'text/plain' }, tags: { t: '1' } })
    secrets.create('alpha', { payload: { value: 'a2' }, attributes: { exp: 2_000_000_000 } })
    secrets.create('beta', { payload: { value: 'b' }, managed: true })
    secrets.softDelete('beta')
    const json = JSON.stringify(vault.state)
    const copy = secretsOf(new Vault(JSON.parse(json), clock))
    expect(JSON.stringify(JSON.parse(json))).toBe(json)
    expect(copy.version('alpha').version.payload.value).toBe('a2')
    expect(copy.listVersions('alpha').map((v) => v.payload.value).sort()).toEqual(['a1', 'a2'])
    expect(copy.listDeleted().map((r) => [r.name, r.managed])).toEqual([['beta', true]])
    expect(copy.recover('beta').versions[0]?.payload.value).toBe('b')
  })
})
