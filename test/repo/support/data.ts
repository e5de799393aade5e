/** Test data shared by in-process tests and child processes (no test-runner imports here). */
import type { ScryptParams } from '../../../src/crypto/kdf.js'
import type { SnapshotSummary } from '../../../src/repo/types.js'

/** Minimum scrypt cost the format accepts: keeps tests fast. Real repositories use 2^17. */
export const FAST_KDF: ScryptParams = { N: 1024, r: 8, p: 1 }
export const PASSPHRASE = 'correct horse battery staple'
export const VAULT = { url: 'https://prod-kv.vault.azure.net', subscriptionId: '00000000-0000-0000-0000-000000000001', region: 'westeurope', geography: 'Europe' }

export const emptySummary = (done = 0): SnapshotSummary => ({ done, warnings: 0, errors: 0, problems: [] })

/** Values stored as contents by tests: distinct per name and `generation`. */
export const valueOf = (name: string, generation: number): string => `value-of-${name}-gen-${generation}`

export const names = (n: number, prefix = 'secret'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`)
