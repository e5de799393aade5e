/** Key Vault error responses: the `{"error":{code,message,innererror}}` body, its HTTP status and extra headers. */

/** The body Key Vault sends with every failed request (spec `KeyVaultError`). */
export interface KeyVaultErrorBody {
  error: { code: string; message: string; innererror?: { code: string } }
}

/**
 * An error the emulator answers with, exactly as Key Vault would. Handlers and pipeline stages throw it; the
 * server renders it. Messages carry object names, never secret values.
 */
export class KvHttpError extends Error {
  readonly status: number
  readonly code: string
  readonly innerCode?: string
  readonly headers: Readonly<Record<string, string>>

  constructor(status: number, code: string, message: string, options: { innerCode?: string; headers?: Record<string, string> } = {}) {
    super(message)
    this.name = 'KvHttpError'
    this.status = status
    this.code = code
    if (options.innerCode !== undefined) this.innerCode = options.innerCode
    this.headers = options.headers ?? {}
  }

  /** The JSON body for this error. */
  body(): KeyVaultErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode === undefined ? {} : { innererror: { code: this.innerCode } }),
      },
    }
  }
}

/** 400 BadParameter: malformed names, bodies, query parameters. */
export function badParameter(message: string): KvHttpError {
  return new KvHttpError(400, 'BadParameter', message)
}

/** 405 for a path the service knows under another method (Key Vault's wording: `HTTP PUT not allowed`). */
export function methodNotAllowed(method: string): KvHttpError {
  return new KvHttpError(405, 'MethodNotAllowed', `HTTP ${method} not allowed`)
}

/**
 * Thrown by a pipeline stage (fault injection) to make the server drop the connection without answering, as a
 * reset or a crashed front end would.
 */
export class DropConnection extends Error {
  constructor() {
    super('connection dropped by the emulator')
    this.name = 'DropConnection'
  }
}
