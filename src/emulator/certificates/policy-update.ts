/**
 * Policy updates (PATCH /certificates/{name}/policy, or `policy` in a certificate update): the sent parts are merged
 * into the certificate's one policy, which then gets Key Vault's defaults and checks again. It applies to the next
 * version; existing versions keep their certificates.
 */
import { wireErrorsSync } from './errors.js'
import type { CertificateRecord, StoredPolicy } from './model.js'
import { metaOf } from './model.js'
import { completePolicy, type CertificatePolicy, type CompletePolicy } from './policy.js'

/**
 * Merge `patch` into `current`: each of key_props, secret_props, x509_props and issuer field by field, lifetime
 * actions replaced when sent. A changed key type starts from fresh key size and curve.
 */
function merge(current: CompletePolicy, patch: CertificatePolicy): CertificatePolicy {
  const keyTypeChanges = patch.key_props?.kty !== undefined && patch.key_props.kty !== current.key_props.kty
  const { key_size: _size, crv: _crv, ...keyBase } = current.key_props
  return {
    key_props: { ...(keyTypeChanges ? keyBase : current.key_props), ...patch.key_props },
    secret_props: { ...current.secret_props, ...patch.secret_props },
    x509_props: { ...current.x509_props, ...patch.x509_props },
    lifetime_actions: patch.lifetime_actions ?? current.lifetime_actions,
    issuer: { ...current.issuer, ...patch.issuer },
  }
}

/**
 * Apply a policy patch to live certificate `record` at `nowSec`. Returns the stored policy. Throws 400 BadParameter
 * (nothing changed) when the merged policy is invalid.
 */
export function updatePolicy(record: CertificateRecord, patch: CertificatePolicy, nowSec: number): StoredPolicy {
  const meta = metaOf(record)
  const policy = wireErrorsSync(() => completePolicy(merge(meta.policy.policy, patch)))
  const enabled = patch.attributes?.enabled
  meta.policy = { policy, enabled: typeof enabled === 'boolean' ? enabled : meta.policy.enabled, created: meta.policy.created, updated: nowSec }
  return meta.policy
}
