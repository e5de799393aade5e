/**
 * VaultWriter: the write side of one vault (restore). Every call goes through the connection's Governor - the
 * create budget (secrets 300 per 10 s), adaptive concurrency and kvdr's retries - and fails with a classified
 * VaultError naming the missing permission. Secret values are passed in, sent to Key Vault and never kept, logged
 * or put into an error message. Each method documents what it creates and the permission it needs.
 */
import type { CertificatePolicy, ImportCertificateOptions } from '@azure/keyvault-certificates'
import type { KeyRotationPolicyProperties } from '@azure/keyvault-keys'
import type { ObjectKind } from '../core/types.js'
import type { VaultConnection } from './connection.js'
import { classifyError, type VaultError } from './errors.js'
import type { VaultOperation } from './permissions.js'
import type { CertificateContact, PlainJson } from './types.js'

/** One secret version to create. `value` is secret. */
export interface SecretVersionInput {
  value: string
  contentType?: string
  tags: Record<string, string>
  enabled: boolean
  /** ISO 8601. */
  notBefore?: string
  expiresOn?: string
}

/** One certificate version to import: the PFX (base64) or PEM text with its private key (secret). */
export interface CertificateImportInput {
  value: string
  /** `application/x-pkcs12` (default) or `application/x-pem-file`. */
  contentType?: string
  tags: Record<string, string>
  enabled: boolean
}

/** A certificate issuer to set. `password` is secret. */
export interface IssuerInput {
  provider: string
  accountId?: string
  password?: string
  organizationId?: string
  administratorContacts?: Array<{ firstName?: string; lastName?: string; email?: string; phone?: string }>
  enabled?: boolean
}

const date = (iso: string | undefined): Date | undefined => (iso === undefined ? undefined : new Date(iso))

/** Policy members that are the vault's bookkeeping, not settings (sent back they would be ignored or refused). */
const POLICY_BOOKKEEPING = new Set(['id', 'createdOn', 'updatedOn', 'attributes'])

export class VaultWriter {
  constructor(
    readonly connection: VaultConnection,
    /** Aborts every call. */
    private readonly signal?: AbortSignal,
  ) {}

  get url(): string {
    return this.connection.address.url
  }

  private opts(): { abortSignal?: AbortSignal } {
    return this.signal ? { abortSignal: this.signal } : {}
  }

  private async call<T>(operation: VaultOperation, object: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw classifyError(err, { operation, vaultUrl: this.url, object, bodyOf: (r) => this.connection.governor.errorBody(r) })
    }
  }

  /**
   * Create a new version of secret `name` (the object too, when it does not exist) and return its version id.
   * Not idempotent: every call makes a version. Needs secrets set (`secrets/setSecret/action`).
   */
  async setSecret(name: string, input: SecretVersionInput): Promise<string> {
    const s = await this.call('secrets.set', `secret/${name}`, () =>
      this.connection.secrets.setSecret(name, input.value, {
        tags: input.tags,
        enabled: input.enabled,
        ...(input.contentType === undefined ? {} : { contentType: input.contentType }),
        ...(input.notBefore === undefined ? {} : { notBefore: date(input.notBefore) as Date }),
        ...(input.expiresOn === undefined ? {} : { expiresOn: date(input.expiresOn) as Date }),
        ...this.opts(),
      }),
    )
    return s.properties.version ?? ''
  }

  /**
   * Restore Key Vault's native backup of an object (every version with its original id, attributes and tags).
   * Key Vault refuses it outside the blob's subscription and geography (400 "Cannot decrypt backup blob") and when
   * the name is in use, soft-deleted or being deleted (409). Needs `<kind>s/restore/action`.
   */
  async restoreNative(kind: ObjectKind, name: string, blob: Uint8Array): Promise<void> {
    const c = this.connection
    const o = this.opts()
    if (kind === 'secret') await this.call('secrets.restore', `secret/${name}`, () => c.secrets.restoreSecretBackup(blob, o))
    else if (kind === 'key') await this.call('keys.restore', `key/${name}`, () => c.keys.restoreKeyBackup(blob, o))
    else await this.call('certificates.restore', `certificate/${name}`, () => c.certificates.restoreCertificateBackup(blob, o))
  }

  /**
   * Import a certificate version (a new version of `name`) from its PFX/PEM with the private key, with tags and
   * enabled state, and return its version id. Needs certificates import.
   */
  async importCertificate(name: string, input: CertificateImportInput): Promise<string> {
    const contentType = input.contentType ?? 'application/x-pkcs12'
    const bytes = contentType === 'application/x-pem-file' ? new TextEncoder().encode(input.value) : Buffer.from(input.value, 'base64')
    // The SDK (4.10.x) serialises `certificatePolicy` and `certificateAttributes`, not `policy` and `enabled`.
    const options: ImportCertificateOptions & { certificatePolicy: unknown; certificateAttributes: unknown } = {
      policy: { contentType: contentType as 'application/x-pkcs12' | 'application/x-pem-file' } as ImportCertificateOptions['policy'],
      certificatePolicy: { secretProperties: { contentType } },
      certificateAttributes: { enabled: input.enabled },
      enabled: input.enabled,
      tags: input.tags,
      ...this.opts(),
    }
    const c = await this.call('certificates.import', `certificate/${name}`, () => this.connection.certificates.importCertificate(name, bytes, options))
    return c.properties.version ?? ''
  }

  /** Replace a certificate's policy (as recorded by backup, SDK shape). Needs certificates update. */
  async setCertificatePolicy(name: string, policy: PlainJson): Promise<void> {
    const p = Object.fromEntries(Object.entries((policy ?? {}) as Record<string, PlainJson>).filter(([k]) => !POLICY_BOOKKEEPING.has(k))) as unknown as CertificatePolicy
    await this.call('certificates.updatePolicy', `certificate/${name}`, () => this.connection.certificates.updateCertificatePolicy(name, p, this.opts()))
  }

  /** Set a key's rotation policy (as recorded by backup, SDK shape). Needs keys setrotationpolicy. */
  async setRotationPolicy(name: string, policy: PlainJson): Promise<void> {
    const { id: _id, createdOn: _c, updatedOn: _u, ...rest } = (policy ?? {}) as Record<string, PlainJson>
    await this.call('keys.setRotationPolicy', `key/${name}`, () => this.connection.keys.updateKeyRotationPolicy(name, rest as unknown as KeyRotationPolicyProperties, this.opts()))
  }

  /** Create or replace a certificate issuer. Needs certificates setissuers (`certificatecas/write`). */
  async setIssuer(name: string, input: IssuerInput): Promise<void> {
    await this.call('certificates.setIssuer', `issuer/${name}`, () =>
      this.connection.certificates.createIssuer(name, input.provider, {
        ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
        ...(input.password === undefined ? {} : { password: input.password }),
        ...(input.organizationId === undefined ? {} : { organizationId: input.organizationId }),
        ...(input.administratorContacts === undefined ? {} : { administratorContacts: input.administratorContacts }),
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
        ...this.opts(),
      }),
    )
  }

  /** Replace the vault's certificate contacts. Needs certificates managecontacts. */
  async setContacts(contacts: CertificateContact[]): Promise<void> {
    await this.call('certificates.setContacts', 'contacts', () => this.connection.certificates.setContacts(contacts as Parameters<VaultConnection['certificates']['setContacts']>[0], this.opts()))
  }
}

/** True when Key Vault refused a native blob because it belongs to another subscription or geography. */
export function isWorldMismatch(err: VaultError): boolean {
  return err.status === 400 && /cannot decrypt backup blob/i.test(err.message)
}

/** True when the name is taken: live, soft-deleted, or being deleted, recovered or purged (409). */
export function isNameConflict(err: VaultError): boolean {
  return err.status === 409
}
