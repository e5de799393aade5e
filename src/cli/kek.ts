/**
 * Where the CLI gets KeyWrappers for Key Vault key slots: a VaultKeyWrapper (src/vault) per versioned key id,
 * with DefaultAzureCredential and the network settings of the environment: KVDR_CA_FILE (extra trusted CA PEM
 * files, separated like PATH) and KVDR_RESOLVE (comma-separated host=ip pins), as --ca-file and --resolve do.
 */
import type { KeyWrapper } from '../crypto/keywrap.js'
import { VaultKeyWrapper } from '../vault/keywrap.js'
import type { TransportOptions } from '../vault/transport.js'
import { transportFrom } from './vault-flags.js'

/** Network settings for Key Vault calls outside the commands that have flags for them: the environment's only. */
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): TransportOptions {
  return transportFrom({}, env)
}

/** Builds a KeyWrapper for a versioned Key Vault key id. Throws UsageError for an unversioned or malformed id. */
export const keyWrapperFactory: ((keyId: string) => KeyWrapper) | undefined = (keyId) => new VaultKeyWrapper(keyId, { transport: transportFromEnv() })

/** The factory (always available in this build). */
export function requireKeyWrapperFactory(): (keyId: string) => KeyWrapper {
  return keyWrapperFactory as (keyId: string) => KeyWrapper
}
