/**
 * VaultReader: the read side of one vault. Listings stream page by page; every call goes through the
 * connection's Governor (budget, adaptive concurrency, retries) and fails with a classified VaultError (scope
 * `vault` or `object`, the missing permission named). Returns plain types (types.ts); values only where the
 * method says so.
 */
import { keyFamilyOf } from '../core/limits.js'
import type { ObjectKind } from '../core/types.js'
import type { VaultConnection } from './connection.js'
import { classifyError, VaultError } from './errors.js'
import type { VaultObservations } from './governor.js'
import type { VaultOperation } from './permissions.js'
import { compact, iso, plain } from './plain.js'
import type { Attributes, CertificateContact, CertificateVersionDetail, DeletedObject, IssuerDetail, KeyVersionDetail, ListedObject, PlainJson, VersionInfo } from './types.js'

/** Page size for listings (Key Vault's maximum). */
const PAGE = 25

interface SdkProps {
  name?: string
  version?: string
  enabled?: boolean
  notBefore?: Date
  expiresOn?: Date
  createdOn?: Date
  updatedOn?: Date
  recoveryLevel?: string
  recoverableDays?: number
  tags?: Record<string, string>
  contentType?: string
  managed?: boolean
  x509Thumbprint?: Uint8Array
}

function attributesOf(p: SdkProps): Attributes {
  return compact({
    enabled: p.enabled !== false,
    notBefore: iso(p.notBefore),
    expiresOn: iso(p.expiresOn),
    createdOn: iso(p.createdOn),
    updatedOn: iso(p.updatedOn),
    recoveryLevel: p.recoveryLevel,
    recoverableDays: p.recoverableDays,
  })
}

function listedOf(kind: ObjectKind, p: SdkProps): ListedObject {
  return compact({
    kind,
    name: p.name ?? '',
    attributes: attributesOf(p),
    tags: { ...(p.tags ?? {}) },
    contentType: p.contentType,
    managed: p.managed === true,
    thumbprint: p.x509Thumbprint ? Buffer.from(p.x509Thumbprint).toString('hex') : undefined,
  })
}

function versionOf(p: SdkProps): VersionInfo {
  return compact({ version: p.version ?? '', attributes: attributesOf(p), tags: { ...(p.tags ?? {}) }, contentType: p.contentType, managed: p.managed === true })
}

/**
 * One page of a listing. `listedAt` is the vault's clock (from a response received before this page was asked
 * for, so never later than the read): a change stamped at or after it may not be in the page.
 */
export interface Page<T> {
  items: T[]
  listedAt: number | null
}

const b64url = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('base64url'))

export class VaultReader {
  constructor(
    readonly connection: VaultConnection,
    /** Aborts every call (the run's deadline). */
    private readonly signal?: AbortSignal,
  ) {}

  get url(): string {
    return this.connection.address.url
  }

  /** What the vault has said about itself so far (region, tenant, server time). */
  get observed(): VaultObservations {
    return this.connection.governor.observed
  }

  private opts(): { abortSignal?: AbortSignal } {
    return this.signal ? { abortSignal: this.signal } : {}
  }

  private async call<T>(operation: VaultOperation, object: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw classifyError(err, { operation, vaultUrl: this.url, bodyOf: (r) => this.connection.governor.errorBody(r), ...(object === undefined ? {} : { object }) })
    }
  }

  private async *pages<T, R>(operation: VaultOperation, object: string | undefined, iter: AsyncIterableIterator<T[]>, map: (item: T) => R): AsyncIterable<Page<R>> {
    while (true) {
      const listedAt = this.observed.serverTime ?? null
      const next = await this.call(operation, object, () => iter.next())
      if (next.done) return
      yield { items: next.value.map(map), listedAt }
    }
  }

  /**
   * Read one item of a listing, to learn the vault's clock (and region and tenant) before the real listings
   * start: their pages are stamped with a time observed before they were asked for. One request.
   */
  async probe(kind: ObjectKind): Promise<void> {
    const c = this.connection
    const o = { ...this.opts() }
    const op: VaultOperation = kind === 'secret' ? 'secrets.list' : kind === 'key' ? 'keys.list' : 'certificates.list'
    const iter: AsyncIterableIterator<unknown> =
      kind === 'secret'
        ? c.secrets.listPropertiesOfSecrets(o).byPage({ maxPageSize: 1 })
        : kind === 'key'
          ? c.keys.listPropertiesOfKeys(o).byPage({ maxPageSize: 1 })
          : c.certificates.listPropertiesOfCertificates(o).byPage({ maxPageSize: 1 })
    await this.call(op, undefined, () => iter.next())
  }

  /** The id of an object's current (latest) version. Needs get permission on the kind. */
  async latestVersion(kind: ObjectKind, name: string): Promise<string | undefined> {
    const c = this.connection
    const o = this.opts()
    if (kind === 'secret') return (await this.call('secrets.get', `secret/${name}`, () => c.secrets.getSecret(name, o))).properties.version
    if (kind === 'key') return (await this.call('keys.get', `key/${name}`, () => c.keys.getKey(name, o))).properties.version
    return (await this.call('certificates.get', `certificate/${name}`, () => c.certificates.getCertificate(name, o))).properties.version
  }

  /** Live objects of one kind, a page at a time (managed items included, flagged). Needs list permission. */
  listActive(kind: ObjectKind): AsyncIterable<Page<ListedObject>> {
    const c = this.connection
    const o = { ...this.opts() }
    switch (kind) {
      case 'secret':
        return this.pages('secrets.list', undefined, c.secrets.listPropertiesOfSecrets(o).byPage({ maxPageSize: PAGE }), (p) => listedOf('secret', p))
      case 'key':
        return this.pages('keys.list', undefined, c.keys.listPropertiesOfKeys(o).byPage({ maxPageSize: PAGE }), (p) => listedOf('key', p))
      case 'certificate':
        return this.pages('certificates.list', undefined, c.certificates.listPropertiesOfCertificates(o).byPage({ maxPageSize: PAGE }), (p) => listedOf('certificate', p))
    }
  }

  /** Soft-deleted objects of one kind, a page at a time. */
  listDeleted(kind: ObjectKind): AsyncIterable<Page<DeletedObject>> {
    const c = this.connection
    const o = { ...this.opts() }
    const deleted = (k: ObjectKind, p: SdkProps & { deletedOn?: Date; scheduledPurgeDate?: Date; recoveryId?: string }): DeletedObject =>
      compact({ ...listedOf(k, p), deletedOn: iso(p.deletedOn), scheduledPurgeDate: iso(p.scheduledPurgeDate), recoveryId: p.recoveryId })
    switch (kind) {
      case 'secret':
        return this.pages('secrets.listDeleted', undefined, c.secrets.listDeletedSecrets(o).byPage({ maxPageSize: PAGE }), (p) => deleted('secret', { ...p.properties, name: p.name, deletedOn: p.properties.deletedOn, scheduledPurgeDate: p.properties.scheduledPurgeDate, recoveryId: p.properties.recoveryId }))
      case 'key':
        return this.pages('keys.listDeleted', undefined, c.keys.listDeletedKeys(o).byPage({ maxPageSize: PAGE }), (p) => deleted('key', { ...p.properties, name: p.name, deletedOn: p.properties.deletedOn, scheduledPurgeDate: p.properties.scheduledPurgeDate, recoveryId: p.properties.recoveryId }))
      case 'certificate':
        return this.pages('certificates.listDeleted', undefined, c.certificates.listDeletedCertificates(o).byPage({ maxPageSize: PAGE }), (p) => deleted('certificate', { ...p.properties, name: p.name, deletedOn: p.deletedOn, scheduledPurgeDate: p.scheduledPurgeDate, recoveryId: p.recoveryId }))
    }
  }

  /** Every version of an object (disabled and expired ones included), a page at a time. */
  versions(kind: ObjectKind, name: string): AsyncIterable<Page<VersionInfo>> {
    const c = this.connection
    const o = { ...this.opts() }
    const object = `${kind}/${name}`
    switch (kind) {
      case 'secret':
        return this.pages('secrets.listVersions', object, c.secrets.listPropertiesOfSecretVersions(name, o).byPage({ maxPageSize: PAGE }), versionOf)
      case 'key':
        return this.pages('keys.listVersions', object, c.keys.listPropertiesOfKeyVersions(name, o).byPage({ maxPageSize: PAGE }), versionOf)
      case 'certificate':
        return this.pages('certificates.listVersions', object, c.certificates.listPropertiesOfCertificateVersions(name, o).byPage({ maxPageSize: PAGE }), versionOf)
    }
  }

  /**
   * The value of one enabled secret version. Secret: the caller seals it and never logs it. A disabled version
   * answers 403 SecretDisabled (callers do not ask for those). Needs secrets get.
   */
  async secretValue(name: string, version: string): Promise<string> {
    return (await this.secretVersion(name, version)).value
  }

  /**
   * The value of one enabled secret version (secret, as secretValue) and the version that was current before it
   * was created (`previousVersion`, api-version 2025-07-01), which orders versions created within one second.
   */
  async secretVersion(name: string, version: string): Promise<{ value: string; previousVersion?: string }> {
    const s = await this.call('secrets.get', `secret/${name}/${version}`, () => this.connection.secrets.getSecret(name, { version, ...this.opts() }))
    if (typeof s.value !== 'string') throw new VaultError('VAULT_NO_VALUE', 1, `secret/${name}/${version} came back without a value.`, { scope: 'object', operation: 'secrets.get' })
    return s.properties.previousVersion ? { value: s.value, previousVersion: s.properties.previousVersion } : { value: s.value }
  }

  /** A key version's public material and settings. Teaches the governor the key's throttling weight. */
  async keyVersion(name: string, version: string): Promise<KeyVersionDetail> {
    const k = await this.call('keys.get', `key/${name}/${version}`, () => this.connection.keys.getKey(name, { version, ...this.opts() }))
    const jwk = k.key ?? {}
    const keyType = String(jwk.kty ?? k.keyType ?? '')
    const keySize = jwk.n ? jwk.n.length * 8 : undefined
    if (keyType) this.connection.governor.learnKey(name, keyFamilyOf(keyType, keySize))
    const rp = k.properties.releasePolicy
    return compact({
      ...versionOf({ ...k.properties, version: k.properties.version ?? version }),
      keyType,
      keySize,
      curve: jwk.crv,
      keyOps: [...(k.keyOperations ?? jwk.keyOps ?? [])].map(String),
      publicJwk: compact({ kty: keyType, n: b64url(jwk.n), e: b64url(jwk.e), crv: jwk.crv, x: b64url(jwk.x), y: b64url(jwk.y) }) as Record<string, string>,
      exportable: k.properties.exportable,
      releasePolicy: rp ? compact({ contentType: rp.contentType, immutable: rp.immutable, data: rp.encodedPolicy ? Buffer.from(rp.encodedPolicy).toString('base64') : undefined }) : undefined,
      hsmPlatform: k.properties.hsmPlatform,
    })
  }

  /** A key's rotation policy as plain JSON, or null when the key has none. Needs keys getrotationpolicy. */
  async rotationPolicy(name: string): Promise<PlainJson> {
    try {
      const p = await this.call('keys.getRotationPolicy', `key/${name}`, () => this.connection.keys.getKeyRotationPolicy(name, this.opts()))
      if (p.id === undefined && (p.lifetimeActions ?? []).length === 0 && p.expiresIn === undefined) return null
      return plain(p)
    } catch (err) {
      if (err instanceof VaultError && err.status === 404) return null
      throw err
    }
  }

  /** A certificate version: DER, thumbprint, attributes, tags, ids. Needs certificates get. */
  async certificateVersion(name: string, version: string): Promise<CertificateVersionDetail> {
    const c = await this.call('certificates.get', `certificate/${name}/${version}`, () => this.connection.certificates.getCertificateVersion(name, version, this.opts()))
    return compact({
      ...versionOf({ ...c.properties, version: c.properties.version ?? version }),
      cer: c.cer,
      thumbprint: c.properties.x509Thumbprint ? Buffer.from(c.properties.x509Thumbprint).toString('hex') : undefined,
      keyId: c.keyId,
      secretId: c.secretId,
    })
  }

  /** A certificate's policy as plain JSON (SDK shape). Needs certificates get. */
  async certificatePolicy(name: string): Promise<PlainJson> {
    return plain(await this.call('certificates.getPolicy', `certificate/${name}`, () => this.connection.certificates.getCertificatePolicy(name, this.opts())))
  }

  /** Key Vault's opaque native backup of every version (restorable only in the same subscription and geography). */
  async backup(kind: ObjectKind, name: string): Promise<Uint8Array> {
    const c = this.connection
    const o = this.opts()
    const bytes =
      kind === 'secret'
        ? await this.call('secrets.backup', `secret/${name}`, () => c.secrets.backupSecret(name, o))
        : kind === 'key'
          ? await this.call('keys.backup', `key/${name}`, () => c.keys.backupKey(name, o))
          : await this.call('certificates.backup', `certificate/${name}`, () => c.certificates.backupCertificate(name, o))
    if (!bytes || bytes.length === 0) throw new VaultError('VAULT_EMPTY_BACKUP', 1, `Key Vault returned an empty backup for ${kind}/${name}.`, { scope: 'object', operation: `${kind === 'secret' ? 'secrets' : kind === 'key' ? 'keys' : 'certificates'}.backup` })
    return bytes
  }

  /** Names and providers of the vault's certificate issuers. */
  async *issuers(): AsyncIterable<Page<{ name: string; provider?: string }>> {
    yield* this.pages('certificates.listIssuers', undefined, this.connection.certificates.listPropertiesOfIssuers(this.opts()).byPage({ maxPageSize: PAGE }), (p) => compact({ name: p.name ?? decodeURIComponent(new URL(p.id ?? 'https://x/').pathname.split('/').pop() ?? ''), provider: p.provider }))
  }

  /** One issuer with its (secret) credentials. */
  async issuer(name: string): Promise<IssuerDetail> {
    const i = await this.call('certificates.getIssuer', `issuer/${name}`, () => this.connection.certificates.getIssuer(name, this.opts()))
    const credentials = i.accountId !== undefined || i.password !== undefined ? compact({ accountId: i.accountId, password: i.password }) : undefined
    // The SDK derives `name` from the id as if it were a certificate id ("issuers"): keep the name asked for.
    return compact({
      name,
      provider: i.provider,
      enabled: i.enabled,
      createdOn: iso(i.createdOn),
      updatedOn: iso(i.updatedOn),
      organizationId: i.organizationId,
      administratorContacts: i.administratorContacts?.map((a) => compact({ firstName: a.firstName, lastName: a.lastName, email: a.email, phone: a.phone })),
      credentials,
    })
  }

  /** The vault's certificate contacts, or null when none are set. */
  async contacts(): Promise<CertificateContact[] | null> {
    try {
      const list = await this.call('certificates.getContacts', 'contacts', () => this.connection.certificates.getContacts(this.opts()))
      return list && list.length > 0 ? list.filter((c) => c !== undefined).map((c) => compact({ email: c.email, name: c.name, phone: c.phone })) : null
    } catch (err) {
      if (err instanceof VaultError && err.status === 404) return null
      throw err
    }
  }
}
