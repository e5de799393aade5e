/**
 * The repository config blob (`config`): format version, repository id, algorithms, KDF defaults and page
 * size. Plaintext so it can be read before any key is open; its MAC is verified as soon as one is.
 */
import { DEFAULT_SCRYPT, scryptParamsProblem, type ScryptParams } from '../crypto/kdf.js'
import { decodeSigned, encodeSigned, verifySigned, type SignedBlob } from './signed.js'
import { IntegrityError, RepoVersionError } from './errors.js'
import { isRecord } from './encoding.js'

export const CONFIG_BLOB = 'config'
export const FORMAT_NAME = 'kvdr-repository'
/** The format this code writes. Readers refuse another major version and accept a higher minor one. */
export const FORMAT_MAJOR = 1
export const FORMAT_MINOR = 0
const MAC_LABEL = 'kvdr/config-mac/v1'

export const ALGORITHMS = {
  aead: 'AES-256-GCM',
  id: 'HMAC-SHA256',
  kdf: 'scrypt',
  kek: 'RSA-OAEP-256',
} as const

export const DEFAULT_PAGE_SIZE = 1000

export interface RepoConfig {
  format: typeof FORMAT_NAME
  version: string
  /** 32 hex; shared by replicas made with `kvdr repo copy`. */
  repositoryId: string
  created: string
  algorithms: typeof ALGORITHMS
  /** Parameters for new passphrase slots (each slot stores its own). */
  kdf: ScryptParams
  /** Entries per sealed page in new snapshots. */
  pageSize: number
}

export function newConfig(repositoryId: string, created: Date, kdf: ScryptParams = DEFAULT_SCRYPT, pageSize = DEFAULT_PAGE_SIZE): RepoConfig {
  return {
    format: FORMAT_NAME,
    version: `${FORMAT_MAJOR}.${FORMAT_MINOR}`,
    repositoryId,
    created: created.toISOString(),
    algorithms: ALGORITHMS,
    kdf,
    pageSize,
  }
}

export function encodeConfig(config: RepoConfig, idKey: Uint8Array): Uint8Array {
  return encodeSigned({ ...config }, idKey, MAC_LABEL)
}

/** A config read from storage but not yet verified: use `verifyConfig` once the master keys are open. */
export interface UnverifiedConfig {
  config: RepoConfig
  signed: SignedBlob
}

/**
 * Parse the config blob. Throws RepoVersionError for an unknown major version (checked first, so a future
 * format is reported as such) and IntegrityError for anything malformed.
 */
export function parseConfig(bytes: Uint8Array, location: string): UnverifiedConfig {
  const signed = decodeSigned(bytes)
  const bad = (why: string): IntegrityError =>
    new IntegrityError(CONFIG_BLOB, `The repository config at ${location} is damaged: ${why}.`)
  if (!signed) throw bad('it is not a well-formed config blob')
  const b = signed.body
  if (b.format !== FORMAT_NAME) throw bad('it does not name the kvdr repository format')
  if (typeof b.version !== 'string' || !/^\d+\.\d+$/.test(b.version)) throw bad('it has no format version')
  if (Number(b.version.split('.')[0]) !== FORMAT_MAJOR) throw new RepoVersionError(b.version, location)
  if (typeof b.repositoryId !== 'string' || !/^[0-9a-f]{32}$/.test(b.repositoryId)) throw bad('its repository id is malformed')
  if (typeof b.created !== 'string' || Number.isNaN(Date.parse(b.created))) throw bad('its creation time is malformed')
  const alg = b.algorithms
  if (!isRecord(alg) || Object.entries(ALGORITHMS).some(([k, v]) => alg[k] !== v)) {
    throw bad(`it names algorithms this kvdr does not implement (${JSON.stringify(alg)})`)
  }
  const kdf = b.kdf
  if (!isRecord(kdf) || scryptParamsProblem(kdf as unknown as ScryptParams) !== undefined) throw bad('its KDF parameters are invalid')
  if (typeof b.pageSize !== 'number' || !Number.isInteger(b.pageSize) || b.pageSize < 1 || b.pageSize > 100_000) throw bad('its page size is invalid')
  return { config: b as unknown as RepoConfig, signed }
}

/** Throws IntegrityError unless the config's MAC verifies under `idKey`. */
export function verifyConfig(unverified: UnverifiedConfig, idKey: Uint8Array, location: string): RepoConfig {
  if (!verifySigned(unverified.signed, idKey, MAC_LABEL)) {
    throw new IntegrityError(CONFIG_BLOB, `The repository config at ${location} does not match the repository keys: it was altered or replaced.`)
  }
  return unverified.config
}
