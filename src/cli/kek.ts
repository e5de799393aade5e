/**
 * Where the CLI gets KeyWrappers for Key Vault key slots. Key Vault access lives in src/vault (not part of
 * this build yet); when it lands, point `keyWrapperFactory` at its CryptographyClient-based KeyWrapper and
 * both opening through a KEK slot and `kvdr repo key add --type kek` start working.
 */
import { UsageError } from '../core/errors.js'
import type { KeyWrapper } from '../crypto/keywrap.js'

/** Builds a KeyWrapper for a versioned Key Vault key id, or undefined when this build cannot reach Key Vault. */
export const keyWrapperFactory: ((keyId: string) => KeyWrapper) | undefined = undefined

/** The factory, or a UsageError saying Key Vault key slots are not available in this build. */
export function requireKeyWrapperFactory(): (keyId: string) => KeyWrapper {
  if (keyWrapperFactory) return keyWrapperFactory
  throw new UsageError('Key Vault key slots need Key Vault access, which this kvdr build does not include yet.', {
    hint: 'Use a passphrase or an offline recovery key slot for now.',
  })
}
