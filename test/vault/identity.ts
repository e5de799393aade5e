/**
 * A local managed-identity endpoint (the App Service form: IDENTITY_ENDPOINT + IDENTITY_HEADER), so kvdr's
 * default credential chain (DefaultAzureCredential) gets tokens in tests exactly as it does on Azure compute.
 * It is a stand-in for Entra ID like Azurite is for Storage; the tokens are JWT-shaped and carry no secret.
 */
import { createServer, type Server } from 'node:http'

export interface IdentityEndpoint {
  /** Environment for a process (or this one) to use it. */
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string }
  /** Token requests served. */
  readonly requests: number
  stop(): Promise<void>
}

/** Start the endpoint on an ephemeral port of 127.0.0.1. */
export async function startIdentityEndpoint(principalId = 'kvdr-backup-identity'): Promise<IdentityEndpoint> {
  let requests = 0
  const header = `test-${Math.random().toString(36).slice(2)}`
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.headers['x-identity-header'] !== header || !url.searchParams.get('resource')) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: 'invalid_request' }))
      return
    }
    requests++
    const exp = Math.floor(Date.now() / 1000) + 3600
    const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: url.searchParams.get('resource'), oid: principalId, exp })}.`
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ access_token: token, expires_on: String(exp), resource: url.searchParams.get('resource'), token_type: 'Bearer' }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: header },
    get requests() {
      return requests
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  }
}
