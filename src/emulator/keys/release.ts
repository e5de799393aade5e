/**
 * Secure key release: the exportable / release-policy rules the service applies when keys are created, imported and
 * updated (AKV.SKR.1004 and AKV.SKR.1005 verbatim from the recordings), and the release operation, which the
 * emulator does not support (it has no attestation service to check a target's token against a policy).
 */
import { KvHttpError, badParameter } from '../http/errors.js'
import { decodeBase64Url } from './crypto.js'
import type { ReleasePolicy } from './model.js'

/** The content type the service gives a release policy when the request names none. */
const RELEASE_POLICY_CONTENT_TYPE = 'application/json; charset=utf-8'

/** 400 for an exportable key created without a release policy (recorded wording). */
function exportableWithoutPolicy(): KvHttpError {
  return badParameter('AKV.SKR.1004: Exportable keys must have release policy.')
}

/** 400 for a release policy on a key that is not exportable (recorded wording). */
function policyWithoutExportable(): KvHttpError {
  return badParameter('AKV.SKR.1005: Non-exportable keys must not have release policy.')
}

/**
 * The release policy a create, import or update request gives (`release_policy`), or undefined. Throws 400 unless
 * it is an object whose `data` is base64url of a JSON object, `contentType` a string and `immutable` a boolean.
 */
export function requestedReleasePolicy(body: Record<string, unknown>): ReleasePolicy | undefined {
  const raw = body.release_policy
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badParameter(`Property 'release_policy' must be an object.`)
  const p = raw as Record<string, unknown>
  const bytes = decodeBase64Url(p.data)
  let policy: unknown
  try {
    policy = bytes === undefined ? undefined : JSON.parse(bytes.toString('utf8'))
  } catch {
    policy = undefined
  }
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    throw badParameter(`Property 'release_policy.data' must be a base64url-encoded JSON release policy.`)
  }
  if (p.contentType !== undefined && typeof p.contentType !== 'string') throw badParameter(`Property 'release_policy.contentType' must be a string.`)
  if (p.immutable !== undefined && typeof p.immutable !== 'boolean') throw badParameter(`Property 'release_policy.immutable' must be true or false.`)
  return {
    contentType: (p.contentType as string | undefined) ?? RELEASE_POLICY_CONTENT_TYPE,
    data: p.data as string,
    ...(p.immutable === undefined ? {} : { immutable: p.immutable as boolean }),
  }
}

/**
 * The release policy a new version gets. An exportable key needs a policy, given or (for later versions) inherited
 * from the current version; a key that is not exportable must not have one. Throws 400 AKV.SKR.1004 / 1005.
 */
export function releasePolicyForNewVersion(
  exportable: boolean,
  given: ReleasePolicy | undefined,
  inherited: ReleasePolicy | undefined,
): ReleasePolicy | undefined {
  if (!exportable) {
    if (given !== undefined) throw policyWithoutExportable()
    return undefined
  }
  const policy = given ?? inherited
  if (policy === undefined) throw exportableWithoutPolicy()
  return policy
}

/**
 * The release policy after an update that gives `given`. Throws 400 AKV.SKR.1005 for a key that is not exportable
 * and 400 when the current policy is immutable.
 */
export function updatedReleasePolicy(exportable: boolean, current: ReleasePolicy | undefined, given: ReleasePolicy): ReleasePolicy {
  if (!exportable) throw policyWithoutExportable()
  if (current?.immutable === true) throw badParameter('The release policy of this key is immutable and cannot be changed.')
  return given
}

/** The answer to a release request for a key that exists: 400 unless it is exportable, otherwise 501 (not supported). */
export function releaseNotSupported(kid: string, exportable: boolean): KvHttpError {
  if (!exportable) return badParameter(`Key ${kid} is not exportable; only exportable keys with a release policy can be released.`)
  return new KvHttpError(
    501,
    'NotImplemented',
    `Secure key release is not supported by the kvdr emulator: it has no attestation service to check the target's token against the key's release policy.`,
  )
}
