/**
 * Certificate import: a PFX or PEM becomes a new version with its managed key and secret, and the certificate's
 * policy becomes the one derived from it.
 */
import type { Clock } from '../../core/clock.js'
import type { Vault } from '../model/vault.js'
import { materialFromNodeKey } from '../keys/jwk.js'
import { wireErrorsSync } from './errors.js'
import { assertCanAddVersion } from './issuance.js'
import { certificateCollection, metaOf, setMeta, type CertificateRecord, type CertificateVersion } from './model.js'
import { addIssuedVersion, dropPlaceholder, storedPolicy } from './versions.js'
import { importCertificate, type ImportRequest } from './x509-import.js'

/** An import request, validated by the route. */
export interface ImportCertificateRequest extends ImportRequest {
  name: string
  enabled?: boolean
  tags?: Record<string, string>
}

/**
 * Import a PFX or PEM as a new version. The certificate's policy becomes the one derived from the certificate (a sent
 * policy keeps its exportable, reuse_key, lifetime actions and issuer). An ended request is replaced. Throws 400 for
 * content Key Vault refuses, 409 while the name is blocked or a request runs.
 */
export function importVersion(vault: Vault, clock: Clock, req: ImportCertificateRequest): { record: CertificateRecord; version: CertificateVersion } {
  const record = assertCanAddVersion(vault, clock, req.name)
  const previous = record ? metaOf(record) : undefined
  const imported = wireErrorsSync(() =>
    importCertificate({
      value: req.value,
      ...(req.password === undefined ? {} : { password: req.password }),
      ...(req.policy === undefined ? {} : { policy: req.policy }),
      ...(req.preserveCertOrder ? { preserveCertOrder: true } : {}),
    }),
  )
  const material = materialFromNodeKey(imported.policy.key_props.kty, imported.key)
  if (record && previous?.operation) {
    dropPlaceholder(vault, record, previous.operation, 'keep-record')
    delete previous.operation
  }
  const nowSec = Math.floor(clock.now() / 1000)
  const version = addIssuedVersion(vault, req.name, {
    material,
    privateKey: imported.key,
    chain: imported.chain,
    leaf: imported.leaf,
    policy: imported.policy,
    enabled: req.enabled ?? true,
    ...(req.tags === undefined ? {} : { tags: req.tags }),
    ...(req.preserveCertOrder ? { preserveCertOrder: true } : {}),
    at: clock.now(),
  })
  const stored = certificateCollection(vault).active(req.name)
  setMeta(stored, { policy: storedPolicy(imported.policy, req.policy, previous?.policy, nowSec) })
  return { record: stored, version }
}
