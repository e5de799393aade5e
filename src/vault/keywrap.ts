/**
 * A Key Vault key as the repository's key-encryption key (a `kek` key slot): RSA-OAEP-256 wrapKey/unwrapKey
 * through the official CryptographyClient, over kvdr's connection (TLS, pins, governor, no SDK retries).
 * Keep the key in a vault of another region or subscription than the vaults being backed up.
 */
import { KEK_ALGORITHM, type KeyWrapper, parseKeyVaultKeyId } from '../crypto/keywrap.js'
import { UsageError } from '../core/errors.js'
import { type ConnectionOptions, VaultConnection } from './connection.js'
import { classifyError } from './errors.js'
import type { VaultOperation } from './permissions.js'

/** Wraps and unwraps with one versioned Key Vault key. Needs the key's wrapKey / unwrapKey permission. */
export class VaultKeyWrapper implements KeyWrapper {
  private connection?: Promise<VaultConnection>
  private readonly vaultUrl: string

  /** Throws UsageError unless `keyId` is a versioned key id (`https://<vault>/keys/<name>/<version>`). */
  constructor(
    readonly keyId: string,
    private readonly options: ConnectionOptions = {},
  ) {
    const parsed = parseKeyVaultKeyId(keyId)
    if (!parsed) {
      throw new UsageError(`"${keyId}" is not a versioned Key Vault key id.`, { hint: 'Give the full id of one key version, e.g. https://dr-kek.vault.azure.net/keys/kvdr-kek/0123456789abcdef0123456789abcdef.' })
    }
    this.vaultUrl = parsed.vaultUrl
  }

  private async call(operation: VaultOperation, fn: (c: VaultConnection) => Promise<Uint8Array>): Promise<Uint8Array> {
    this.connection ??= VaultConnection.open(this.vaultUrl, this.options)
    const conn = await this.connection
    try {
      return await fn(conn)
    } catch (err) {
      throw classifyError(err, { operation, vaultUrl: this.vaultUrl, object: `key ${this.keyId}`, bodyOf: (r) => conn.governor.errorBody(r) })
    }
  }

  async wrap(key: Uint8Array): Promise<Uint8Array> {
    return this.call('keys.wrapKey', async (c) => (await c.cryptography(this.keyId).wrapKey(KEK_ALGORITHM, key)).result)
  }

  async unwrap(wrapped: Uint8Array): Promise<Uint8Array> {
    return this.call('keys.unwrapKey', async (c) => (await c.cryptography(this.keyId).unwrapKey(KEK_ALGORITHM, wrapped)).result)
  }

  /** Release the connection's sockets. */
  async close(): Promise<void> {
    if (this.connection) (await this.connection).close()
  }
}
