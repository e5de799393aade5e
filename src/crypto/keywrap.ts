/**
 * KeyWrapper: the narrow interface to a key-encryption key held elsewhere (an Azure Key Vault key in a
 * separate vault, used through wrapKey/unwrapKey with RSA-OAEP-256). src/vault implements it; the key slot
 * logic here only needs these three members.
 */

/** The one wrapping algorithm kvdr uses with Key Vault keys. */
export const KEK_ALGORITHM = 'RSA-OAEP-256'

export interface KeyWrapper {
  /**
   * The full, versioned key identifier, e.g. `https://dr-kek.vault.azure.net/keys/kvdr-kek/0123...`.
   * Recorded in the key slot so the slot names which key (and which version) can open it.
   */
  readonly keyId: string
  /** Wrap (encrypt) a short key with RSA-OAEP-256. Needs the `wrapKey` key permission. */
  wrap(key: Uint8Array): Promise<Uint8Array>
  /** Unwrap what `wrap` produced. Needs the `unwrapKey` key permission. Throws when the vault is unreachable. */
  unwrap(wrapped: Uint8Array): Promise<Uint8Array>
}

/** The parts of a Key Vault key identifier. */
export interface KeyVaultKeyId {
  /** `https://<vault>.vault.azure.net` (scheme, host and port; no trailing slash). */
  vaultUrl: string
  name: string
  version: string
}

/**
 * Parse `https://<host>/keys/<name>/<version>`. Returns undefined for anything else, including an
 * unversioned id: a slot must name the exact key version that wrapped it.
 */
export function parseKeyVaultKeyId(keyId: string): KeyVaultKeyId | undefined {
  let url: URL
  try {
    url = new URL(keyId)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' || url.search || url.hash || url.username || url.password) return undefined
  const m = /^\/keys\/([0-9a-zA-Z-]{1,127})\/([0-9a-zA-Z]{1,64})\/?$/.exec(url.pathname)
  if (!m) return undefined
  return { vaultUrl: url.origin, name: m[1] as string, version: m[2] as string }
}
