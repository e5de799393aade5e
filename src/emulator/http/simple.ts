/** Small HTTP helpers for the emulator's side services (token service, managed identity, control API). */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Request bodies of the side services are small; anything larger is refused. */
const SIDE_BODY_LIMIT = 1024 * 1024

/** The request body as text, or undefined when it exceeds `limit` bytes. */
export async function readText(req: IncomingMessage, limit = SIDE_BODY_LIMIT): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= limit) chunks.push(chunk)
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8')
}

/** Answer with a JSON body (no caching, as token endpoints answer). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8')
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(payload.length),
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    ...headers,
  })
  res.end(payload)
}

/** The first value of a header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}
