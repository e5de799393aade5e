/**
 * Key Vault's own errors for key material and key operations: HTTP status, error code, message and inner
 * code, ready to be written to the wire as `{"error":{"code","message","innererror"}}`.
 *
 * Where the real service's wording was found (recordings, Microsoft docs, SDK issues quoting service
 * responses) it is used verbatim; the remaining messages follow the same style and say so below. Messages
 * carry names, algorithms and lengths only, never key material or operation payloads.
 */

/** The body Key Vault sends with an error status (spec `KeyVaultError`). */
export interface KeyVaultErrorBody {
  error: { code: string; message: string; innererror?: { code: string } }
}

/** An operation refused the way Key Vault refuses it. `status` and `code` are what the client sees. */
export class CryptoServiceError extends Error {
  readonly status: number
  readonly code: string
  readonly innerCode?: string

  constructor(status: number, code: string, message: string, innerCode?: string) {
    super(message)
    this.name = 'CryptoServiceError'
    this.status = status
    this.code = code
    if (innerCode !== undefined) this.innerCode = innerCode
  }

  /** The JSON body for the HTTP response. */
  toWire(): KeyVaultErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode === undefined ? {} : { innererror: { code: this.innerCode } }),
      },
    }
  }
}

/** Caller-supplied names (kty, alg, crv) are echoed, but never at unbounded length. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
  return text.length > 64 ? `${text.slice(0, 64)}...` : text
}

const quoteList = (items: readonly string[]): string => items.map((i) => `"${i}"`).join(', ')

function badParameter(message: string, innerCode?: string): CryptoServiceError {
  return new CryptoServiceError(400, 'BadParameter', message, innerCode)
}

/** The errors this library raises, one constructor per case. */
export const keyErrors = {
  /** Verbatim (azure-sdk-for-net#13437: `{"kty":"oct"}` on a vault). */
  keyTypeNotSupported: (kty: unknown) => badParameter(`Invalid kty value: ${shown(kty)}`, 'KeyTypeNotSupported'),

  /** Wording of the service's EC-size error (MicrosoftDocs/azure-docs#88477), applied to RSA sizes. */
  unsupportedKeySize: (size: unknown, supported: readonly number[]) =>
    badParameter(`Unsupported key size (${shown(size)}). Supported sizes are [${supported.join(', ')}].`),

  /** Verbatim code and message (azure-cli#26898; the .NET SDK's live tests catch this code). */
  curveNotSupported: () => new CryptoServiceError(400, 'KeyCurveNotSupported', 'The specified key curve is not supported'),

  /** Verbatim (azure-sdk-for-java#3405, azure-sdk-for-java#19529, azure-cli#7150). */
  invalidJwk: () => badParameter('The property "key" must be a valid JsonWebKey object.'),

  /** Verbatim (azure-sdk-for-go#22173, azure-sdk-for-python#28452). */
  invalidRsaKey: () => badParameter('RSA key is not valid - cannot instantiate crypto service'),

  /** Emulator-specific: BYOK transfer blobs need the service's HSM key-exchange key, which the emulator lacks. */
  byokNotSupported: () =>
    badParameter('Importing a protected key (key_hsm, "Bring Your Own Key") is not supported by the kvdr emulator; import the plain private JWK instead.'),

  /** Verbatim format (Azure/AzureKeyVault#22 and MicrosoftDocs certificate guidance). */
  unsupportedKeyOps: (rejected: readonly string[], supported: readonly string[]) =>
    badParameter(`Unsupported key operation(s): ${quoteList(rejected.map(shown))}. Supported values are ${quoteList(supported)}.`),

  /** Verbatim (the SDK troubleshooting guides quote this 403 body). */
  operationNotPermitted: (operation: string) =>
    new CryptoServiceError(403, 'Forbidden', `Operation ${operation} is not permitted on this key.`, 'KeyOperationForbidden'),

  /** Verbatim format ("Invalid length of 'value': 30 bytes. ES256 requires 32 bytes, encoded with base64url."). */
  invalidDigestLength: (got: number, alg: string, want: number) =>
    badParameter(`Invalid length of 'value': ${got} bytes. ${alg} requires ${want} bytes, encoded with base64url.`),

  /** Verbatim format (azure-sdk-for-node#4603, azure-sdk-for-java#6262). */
  curveMismatch: (kid: string, crv: string, alg: string, wantCrv: string) =>
    badParameter(`Key and signing algorithm are incompatible. Key ${kid} uses curve '${crv}', and algorithm '${alg}' can only be used with curve '${wantCrv}'.`),

  /** Same style as curveMismatch; the service's wording for a key-type mismatch was not found. */
  keyTypeMismatch: (kid: string, kty: string, alg: string, wantKty: string) =>
    badParameter(`Key and algorithm are incompatible. Key ${kid} is of type '${kty}', and algorithm '${alg}' can only be used with keys of type '${wantKty}'.`),

  /** Not found in the wild; states which algorithms the operation takes. */
  unknownAlgorithm: (operation: string, alg: unknown, supported: readonly string[]) =>
    badParameter(`Invalid algorithm '${shown(alg)}' for operation ${operation}. Supported algorithms are ${quoteList(supported)}.`),

  /** Same style as invalidDigestLength; the service's wording was not found. */
  plaintextTooLong: (got: number, alg: string, keyBits: number, max: number) =>
    badParameter(`Invalid length of 'value': ${got} bytes. ${alg} with a ${keyBits}-bit key accepts at most ${max} bytes.`),

  /** Not found in the wild. */
  ciphertextLength: (got: number, alg: string, want: number) =>
    badParameter(`Invalid length of 'value': ${got} bytes. ${alg} with this key requires ${want} bytes, encoded with base64url.`),

  /** Not found in the wild. Deliberately says nothing about why (no padding oracle in the message). */
  decryptionFailed: () => badParameter('Decryption failed: the value was not encrypted with this key and algorithm.'),
}
