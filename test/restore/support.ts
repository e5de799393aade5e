/**
 * Test helpers for restores: run kvdr's restore against the emulator fixture the way the CLI does (host-name URL,
 * --ca-file, --resolve, the emulator's credential), the write operations the audit log can show, and the vault
 * worlds the tests restore into.
 */
import type { AuditRecord } from '../../src/emulator/index.js'
import type { Repository } from '../../src/repo/repository.js'
import { type RestoreOptions, type RestoreRun, runRestore } from '../../src/restore/restore.js'
import { parseResolve } from '../../src/vault/transport.js'
import type { VaultFixture } from '../vault/support.js'
import { SUBSCRIPTION } from '../backup/support.js'

export { SUBSCRIPTION }

/** A subscription no default vault belongs to. */
export const OTHER_SUBSCRIPTION = '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e'

/** Add a vault in another subscription, same geography as kv-primary (Europe). */
export async function addOtherSubscriptionVault(f: VaultFixture, name = 'kv-othersub'): Promise<string> {
  await f.em.addVault({ name, region: 'westeurope', subscriptionId: OTHER_SUBSCRIPTION })
  return name
}

/** Restore from `repo` into `vault` of the fixture (subscription: the vault's own unless given). */
export function restore(f: VaultFixture, repo: Repository, vault: string, options: Partial<RestoreOptions> = {}): Promise<RestoreRun> {
  return runRestore(repo, {
    to: f.url(vault),
    targetSubscription: f.em.vault(vault).subscriptionId,
    credential: f.em.credential,
    transport: { caFiles: [f.caFile], resolve: f.resolve(vault) },
    retry: { baseDelayMs: 20, throttleBaseDelayMs: 50 },
    nameWaitMs: 10_000,
    ...options,
  })
}

/** Key Vault operations that change a vault (what a dry run must never send). */
export const WRITE_OPERATIONS = new Set([
  'SecretSet', 'SecretUpdate', 'SecretDelete', 'SecretRecover', 'SecretPurge', 'SecretRestore',
  'KeyCreate', 'KeyImport', 'KeyUpdate', 'KeyDelete', 'KeyRecover', 'KeyPurge', 'KeyRestore', 'KeyRotate', 'KeyRotationPolicySet',
  'CertificateCreate', 'CertificateImport', 'CertificateUpdate', 'CertificatePolicyUpdate', 'CertificateDelete', 'CertificateRecover', 'CertificatePurge', 'CertificateRestore',
  'CertificatePendingMerge', 'CertificatePendingUpdate', 'CertificatePendingDelete', 'CertificateIssuerSet', 'CertificateIssuerUpdate', 'CertificateIssuerDelete', 'CertificateContactsSet', 'CertificateContactsDelete',
])

/** Audit records of answered write operations on `vault` after index `from`. */
export function writesIn(audit: readonly AuditRecord[], vault: string, from = 0): AuditRecord[] {
  return audit.slice(from).filter((r) => r.vault === vault && WRITE_OPERATIONS.has(r.operationName) && r.challenge !== true)
}

/** Every pin for the fixture's vaults (for child processes and CLI runs). */
export function pins(f: VaultFixture, vaults: readonly string[]): string[] {
  return vaults.map((v) => `${new URL(f.url(v)).hostname}=127.0.0.1`)
}

export { parseResolve }
