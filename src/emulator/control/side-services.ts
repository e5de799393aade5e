/**
 * What the shared port answers for hosts that are not vaults (`localhost`, an IP address): the control API, then the
 * token service, else a 404 that says where the vaults are.
 */
import type { RequestListener } from 'node:http'
import { sendJson } from '../http/simple.js'
import { handleTokenService, type TokenServiceDeps } from '../identity/sts.js'
import { handleControl, type ControlApiDeps } from './api.js'

/** A listener for the side services. `sharedPort()` names the port in the 404 message. */
export function sideServicesListener(control: ControlApiDeps, tokens: TokenServiceDeps, sharedPort: () => number): RequestListener {
  return (req, res) => {
    void (async () => {
      if (await handleControl(control, req, res)) return
      if (await handleTokenService(tokens, req, res)) return
      req.resume()
      sendJson(res, 404, { error: { code: 'NotFound', message: `Nothing at ${req.url ?? '/'} on this host. Vaults answer at https://<vault>.vault.azure.net:${sharedPort()} or their own ports.` } })
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message: err instanceof Error ? err.message : String(err) } })
    })
  }
}
