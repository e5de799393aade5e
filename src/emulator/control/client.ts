/** A client for the HTTP control API of a running emulator (used by `kvdr emulator ctl`). */
import { readFile } from 'node:fs/promises'
import { request } from 'node:https'
import { ExitCode, KvdrError, UsageError, errorMessage } from '../../core/errors.js'
import { CONTROL_PREFIX } from './api.js'

export interface ControlTarget {
  /** `https://localhost:<shared port>` (the emulator's authority host). */
  url: string
  token: string
  /** File holding the emulator's CA certificate (PEM); default: trust NODE_EXTRA_CA_CERTS / system CAs. */
  caPath?: string
}

export interface ControlReply {
  status: number
  body: unknown
}

/**
 * Send `method path [body]` to the control API. `path` is `/emulator/...` (or a path below it). Throws UsageError
 * for bad input, KvdrError (Unreachable) when the emulator cannot be reached, and KvdrError for refusals.
 */
export async function callControl(target: ControlTarget, method: string, path: string, body?: string): Promise<ControlReply> {
  const m = method.toUpperCase()
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) throw new UsageError(`'${method}' is not an HTTP method the control API uses.`, { hint: 'Use GET, POST, PUT, PATCH or DELETE.' })
  const full = path.startsWith(CONTROL_PREFIX) ? path : `${CONTROL_PREFIX}/${path.replace(/^\/+/, '')}`
  if (body !== undefined) {
    try {
      JSON.parse(body)
    } catch {
      throw new UsageError('The request body is not valid JSON.', { hint: `Quote it for the shell, e.g. '{"advanceMs": 86400000}'.` })
    }
  }
  let base: URL
  try {
    base = new URL(target.url)
  } catch {
    throw new UsageError(`'${target.url}' is not a URL.`, { hint: 'Give the emulator\'s authority host, e.g. https://localhost:8443 (printed by kvdr emulator start).' })
  }
  const ca = target.caPath === undefined ? undefined : await readFile(target.caPath, 'utf8').catch((err: unknown) => {
    throw new UsageError(`Cannot read the CA file ${target.caPath}: ${errorMessage(err)}`)
  })
  return new Promise((resolve, reject) => {
    const req = request(new URL(full, base), { method: m, headers: { Authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: unknown = text
        try {
          parsed = text === '' ? undefined : (JSON.parse(text) as unknown)
        } catch {
          // keep the text
        }
        const status = res.statusCode ?? 0
        if (status === 401) reject(new KvdrError('EMULATOR_CONTROL', ExitCode.Auth, 'The control API refused the token.', { hint: 'Use the control token kvdr emulator start printed (--token or KVDR_EMULATOR_TOKEN).' }))
        else resolve({ status, body: parsed })
      })
    })
    req.on('error', (err) =>
      reject(new KvdrError('EMULATOR_UNREACHABLE', ExitCode.Unreachable, `Cannot reach the emulator at ${base.origin}: ${err.message}`, { hint: 'Check --url (the authority host kvdr emulator start printed) and --ca.' })),
    )
    req.end(body)
  })
}
