/** Reaching a vault: --ca-file, --resolve, challenge verification, and the errors for 401/403/firewall/unreachable. */
import { createServer } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode, UsageError } from '../../src/core/errors.js'
import { challenge, KvHttpError } from '../../src/emulator/index.js'
import { VaultConnection } from '../../src/vault/connection.js'
import { VaultError } from '../../src/vault/errors.js'
import { VaultReader } from '../../src/vault/reader.js'
import { parseResolve } from '../../src/vault/transport.js'
import { parseVaultUrl } from '../../src/vault/url.js'
import { startVaultFixture, type VaultFixture } from './support.js'

/** Read the first page of secrets and return what was thrown (or undefined). */
async function listError(conn: VaultConnection): Promise<unknown> {
  try {
    for await (const _ of new VaultReader(conn).listActive('secret')) break
    return undefined
  } catch (err) {
    return err
  } finally {
    conn.close()
  }
}

describe('vault URLs and flags', () => {
  it('normalises vault URLs and refuses what is not one, with a hint', () => {
    expect(parseVaultUrl('https://Prod-KV.vault.azure.net/')).toEqual({ url: 'https://prod-kv.vault.azure.net', name: 'prod-kv', host: 'prod-kv.vault.azure.net' })
    expect(parseVaultUrl('https://kv.vault.azure.net:8443').url).toBe('https://kv.vault.azure.net:8443')
    for (const bad of ['http://kv.vault.azure.net', 'https://kv.vault.azure.net/secrets/x', 'https://u:p@kv.vault.azure.net', 'not a url']) {
      expect(() => parseVaultUrl(bad)).toThrow(UsageError)
    }
    const e = (() => {
      try {
        parseVaultUrl('prod-kv')
      } catch (err) {
        return err as UsageError
      }
    })()
    expect(e?.hint).toContain('https://prod-kv.vault.azure.net')
  })

  it('parses --resolve pins and refuses malformed ones', () => {
    expect([...parseResolve(['KV.vault.azure.net=10.0.0.4', 'b.vault.azure.net=[::1]'])]).toEqual([
      ['kv.vault.azure.net', '10.0.0.4'],
      ['b.vault.azure.net', '::1'],
    ])
    expect(() => parseResolve(['kv.vault.azure.net'])).toThrow(/host=ip/)
    expect(() => parseResolve(['kv.vault.azure.net=not-an-ip'])).toThrow(UsageError)
  })
})

describe('connecting to the emulator', () => {
  let f: VaultFixture
  beforeAll(async () => {
    f = await startVaultFixture()
    await f.secrets().setSecret('probe', 'probe-value')
  })
  afterAll(() => f.stop())

  it('lists over the host-name URL with --ca-file and --resolve, challenge verification on, and learns the vault\'s world', async () => {
    const conn = await f.connect()
    const reader = new VaultReader(conn)
    const names: string[] = []
    for await (const page of reader.listActive('secret')) names.push(...page.items.map((o) => o.name))
    conn.close()
    expect(names).toEqual(['probe'])
    expect(reader.observed.region).toBe('westeurope')
    expect(reader.observed.tenantId).toBe(f.em.vault('kv-primary').tenantId)
    expect(reader.observed.serverTime).toBeTypeOf('number')
  })

  it('without the CA: a TLS trust failure (exit 22) that names --ca-file', async () => {
    const conn = await VaultConnection.open(f.url(), { credential: f.em.credential, transport: { resolve: f.resolve() } })
    const err = await listError(conn)
    expect(err).toBeInstanceOf(VaultError)
    expect((err as VaultError).code).toBe('VAULT_TLS_UNTRUSTED')
    expect((err as VaultError).exitCode).toBe(ExitCode.Unreachable)
    expect((err as VaultError).hint).toContain('--ca-file')
  })

  it('refuses unreadable or non-PEM CA files with a usage error', async () => {
    await expect(VaultConnection.open(f.url(), { credential: f.em.credential, transport: { caFiles: [join(f.dir, 'missing.pem')] } })).rejects.toThrow(/Cannot read the CA file/)
    const junk = join(f.dir, 'junk.pem')
    await writeFile(junk, 'not a certificate')
    await expect(VaultConnection.open(f.url(), { credential: f.em.credential, transport: { caFiles: [junk] } })).rejects.toThrow(/holds no PEM certificate/)
  })

  it('keeps challenge verification on: a localhost URL fails with a hint to use the host name and --resolve', async () => {
    const conn = await VaultConnection.open(f.em.vault('kv-primary').url, { credential: f.em.credential, transport: { caFiles: [f.caFile] } })
    const err = (await listError(conn)) as VaultError
    expect(err.code).toBe('VAULT_CHALLENGE')
    expect(err.exitCode).toBe(ExitCode.Auth)
    expect(err.hint).toContain('--resolve')
  })

  it('a host name the certificate does not cover: TLS name failure (exit 22)', async () => {
    const port = new URL(f.url()).port
    const conn = await VaultConnection.open(`https://kv-primary.vault.example.test:${port}`, {
      credential: f.em.credential,
      transport: { caFiles: [f.caFile], resolve: parseResolve(['kv-primary.vault.example.test=127.0.0.1']) },
    })
    const err = (await listError(conn)) as VaultError
    expect(err.code).toBe('VAULT_TLS_NAME')
    expect(err.exitCode).toBe(ExitCode.Unreachable)
  })

  it('unresolvable host: exit 22 with the --resolve hint', async () => {
    const conn = await VaultConnection.open('https://no-such-vault.invalid', { credential: f.em.credential })
    const err = (await listError(conn)) as VaultError
    expect(err.code).toBe('VAULT_UNREACHABLE')
    expect(err.exitCode).toBe(ExitCode.Unreachable)
    expect(err.message).toContain('Cannot resolve no-such-vault.invalid')
    expect(err.hint).toContain('--resolve no-such-vault.invalid=')
  })

  it('refused connection: exit 22 after a few tries', async () => {
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((r) => server.close(() => r()))
    const conn = await VaultConnection.open(`https://closed.vault.azure.net:${port}`, {
      credential: f.em.credential,
      transport: { resolve: parseResolve(['closed.vault.azure.net=127.0.0.1']) },
      governor: { retry: { baseDelayMs: 5 } },
    })
    const gov = conn.governor
    const err = (await listError(conn)) as VaultError
    expect(err.code).toBe('VAULT_UNREACHABLE')
    expect(err.message).toContain('ECONNREFUSED')
    expect(gov.stats.networkErrors).toBe(3)
  })
})

describe('refusals by the vault', () => {
  const rbac = (action: string): KvHttpError =>
    new KvHttpError(
      403,
      'Forbidden',
      `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=1;oid=2;iss=https://sts.windows.net/t/\r\nAction: '${action}'\r\nResource: '/subscriptions/x/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv-primary/secrets/s'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: kv-primary;location=westeurope\r\n`,
      { innerCode: 'ForbiddenByRbac' },
    )

  it('401 after the token was sent: exit 20, and the tenant comes from the challenge', async () => {
    const f = await startVaultFixture({
      stages: {
        authenticator: {
          authenticate: (req) => {
            throw challenge(req.vault.tenantId)
          },
        },
      },
    })
    try {
      const conn = await f.connect()
      const err = (await listError(conn)) as VaultError
      expect(err.exitCode).toBe(ExitCode.Auth)
      expect(err.code).toBe('VAULT_AUTH')
      expect(conn.governor.observed.tenantId).toBe(f.em.vault('kv-primary').tenantId)
    } finally {
      await f.stop()
    }
  })

  it('firewall: exit 21 naming the client address; RBAC: the data action and role, vault-scoped for listings and object-scoped otherwise', async () => {
    let mode: 'firewall' | 'rbac-list' | 'rbac-backup' = 'firewall'
    const f = await startVaultFixture({
      stages: {
        firewall: {
          check: (req) => {
            if (mode === 'firewall') throw new KvHttpError(403, 'Forbidden', `Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.9\r\nCaller: appid=1\r\nVault: ${req.vault.name};location=${req.vault.region}`, { innerCode: 'ForbiddenByFirewall' })
          },
        },
        authorizer: {
          authorize: (_p, op) => {
            if (mode === 'rbac-list' && op.name === 'SecretList') throw rbac('Microsoft.KeyVault/vaults/secrets/readMetadata/action')
            if (mode === 'rbac-backup' && op.name === 'SecretBackup') throw rbac('Microsoft.KeyVault/vaults/secrets/backup/action')
          },
        },
      },
    })
    try {
      const fw = (await listError(await f.connect())) as VaultError
      expect(fw.code).toBe('VAULT_FIREWALL')
      expect(fw.exitCode).toBe(ExitCode.Forbidden)
      expect(fw.message).toContain('203.0.113.9')
      expect(fw.scope).toBe('vault')

      mode = 'rbac-list'
      const list = (await listError(await f.connect())) as VaultError
      expect(list.code).toBe('VAULT_FORBIDDEN')
      expect(list.scope).toBe('vault')
      expect(list.missingPermission).toBe('Microsoft.KeyVault/vaults/secrets/readMetadata/action')

      mode = 'rbac-backup'
      await f.secrets().setSecret('s', 'value-s')
      const conn = await f.connect()
      const err = await new VaultReader(conn).backup('secret', 's').catch((e: unknown) => e as VaultError)
      conn.close()
      expect(err).toBeInstanceOf(VaultError)
      expect((err as VaultError).scope).toBe('object')
      expect((err as VaultError).exitCode).toBe(ExitCode.Forbidden)
      expect((err as VaultError).message).toContain('Microsoft.KeyVault/vaults/secrets/backup/action')
      expect((err as VaultError).message).toContain('Key Vault Secrets Officer')
      expect((err as VaultError).message).toContain('secret/s')
    } finally {
      await f.stop()
    }
  })
})
