/**
 * Test helpers for the vault layer: an emulator with its CA in a file, and kvdr VaultConnections to it the way the
 * CLI makes them (host-name URL, --ca-file, --resolve, challenge verification on). Stages given here are the
 * emulator's own extension points (throttle, faults, audit), never stand-ins for kvdr code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import type { AuditRecord, EmulatorHandle, EmulatorOptions } from '../../src/emulator/index.js'
import { VaultConnection, type ConnectionOptions } from '../../src/vault/connection.js'
import { parseResolve } from '../../src/vault/transport.js'
import { FAST_TIMING, startTestEmulator } from '../support/emulator.js'

export interface VaultFixture {
  em: EmulatorHandle
  /** The emulator CA as a PEM file (what --ca-file gets). */
  caFile: string
  dir: string
  /** Every audit record the emulator wrote (one per answered request). */
  audit: AuditRecord[]
  /** Vault URL in host-name form (`https://<name>.vault.azure.net:<port>`). */
  url(vault?: string): string
  /** `--resolve` pins for the emulator's vault host names. */
  resolve(vault?: string): Map<string, string>
  /** A kvdr connection to `vault` (default kv-primary) with the emulator's credential. */
  connect(vault?: string, options?: ConnectionOptions): Promise<VaultConnection>
  /** The official SecretClient (for seeding), failing fast. */
  secrets(vault?: string): SecretClient
  /** The official KeyClient (for seeding), failing fast. */
  keys(vault?: string): KeyClient
  /** The official CertificateClient (for seeding), failing fast. */
  certificates(vault?: string): CertificateClient
  stop(): Promise<void>
}

/** Start an emulator (audit records collected) and write its CA to a temp file. */
export async function startVaultFixture(options: EmulatorOptions = {}): Promise<VaultFixture> {
  const audit: AuditRecord[] = []
  const given = options.stages?.audit
  const em = await startTestEmulator({
    ...options,
    timing: { ...FAST_TIMING, issueDelayMs: 40, ...options.timing },
    stages: { ...options.stages, audit: { record: (r) => (audit.push(r), given?.record(r)) } },
  })
  const dir = await mkdtemp(join(tmpdir(), 'kvdr-vault-test-'))
  const caFile = join(dir, 'ca.pem')
  await writeFile(caFile, em.caPem)
  const host = (vault: string): string => new URL(em.vault(vault).hostUrl).hostname
  return {
    em,
    caFile,
    dir,
    audit,
    url: (vault = 'kv-primary') => em.vault(vault).hostUrl,
    resolve: (vault = 'kv-primary') => parseResolve([`${host(vault)}=127.0.0.1`]),
    async connect(vault = 'kv-primary', o = {}) {
      return VaultConnection.open(em.vault(vault).hostUrl, {
        credential: em.credential,
        transport: { caFiles: [caFile], resolve: parseResolve([`${host(vault)}=127.0.0.1`]) },
        ...o,
      })
    },
    secrets(vault = 'kv-primary') {
      const { vaultUrl, options: client } = em.clientSetup(vault)
      return new SecretClient(vaultUrl, em.credential, { ...client, retryOptions: { maxRetries: 0 } })
    },
    keys(vault = 'kv-primary') {
      const { vaultUrl, options: client } = em.clientSetup(vault)
      return new KeyClient(vaultUrl, em.credential, { ...client, retryOptions: { maxRetries: 0 } })
    },
    certificates(vault = 'kv-primary') {
      const { vaultUrl, options: client } = em.clientSetup(vault)
      return new CertificateClient(vaultUrl, em.credential, { ...client, retryOptions: { maxRetries: 0 } })
    },
    async stop() {
      await em.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Audit records of requests a client made with a token (the 401 challenges excluded). */
export function answered(audit: readonly AuditRecord[]): AuditRecord[] {
  return audit.filter((r) => r.operationName !== 'Authentication')
}
