/**
 * What each keyed fingerprint covers (FORMAT.md, "Fingerprints"): one definition, used by backup to record them and
 * by restore to recognise the same versions in a target vault. The inputs are canonical JSON under a label per kind;
 * the key is the repository's id key, so a fingerprint says "identical" without exposing a value.
 */
import { canonicalJson, utf8 } from '../repo/encoding.js'
import type { RepositoryReader } from '../repo/repository.js'
import type { IssuerDetail, KeyVersionDetail, VersionInfo } from '../vault/types.js'
import { FINGERPRINT } from './records.js'

/** Whatever can compute keyed fingerprints: a repository reader or writer. */
export type Fingerprinter = Pick<RepositoryReader, 'fingerprint'>

/** The attributes and tags every version fingerprint covers. */
function settings(v: VersionInfo): { enabled: boolean; notBefore: string | null; expiresOn: string | null; tags: Record<string, string> } {
  return { enabled: v.attributes.enabled, notBefore: v.attributes.notBefore ?? null, expiresOn: v.attributes.expiresOn ?? null, tags: v.tags }
}

const of = (f: Fingerprinter, label: string, body: unknown): string => f.fingerprint(label, utf8(canonicalJson(body)))

/** A secret version: value, content type, enabled, validity, tags. */
export function secretFingerprint(f: Fingerprinter, v: VersionInfo, value: string): string {
  return of(f, FINGERPRINT.secret, { value, contentType: v.contentType ?? null, ...settings(v) })
}

/** A key version: public JWK, key_ops, exportable flag, release policy, enabled, validity, tags. */
export function keyFingerprint(f: Fingerprinter, v: VersionInfo, d: KeyVersionDetail): string {
  return of(f, FINGERPRINT.key, { jwk: d.publicJwk, keyOps: d.keyOps, exportable: d.exportable ?? null, releasePolicy: d.releasePolicy ?? null, ...settings(v) })
}

/** A certificate version: the X.509 certificate (DER), enabled, validity, tags. */
export function certificateFingerprint(f: Fingerprinter, v: VersionInfo, cer: Uint8Array): string {
  return of(f, FINGERPRINT.certificate, { cer: Buffer.from(cer).toString('base64'), ...settings(v) })
}

/** A certificate issuer: provider, enabled, organisation, administrators, credentials (as far as Key Vault returns them). */
export function issuerFingerprint(f: Fingerprinter, i: IssuerDetail): string {
  return of(f, FINGERPRINT.issuer, { provider: i.provider ?? null, enabled: i.enabled ?? null, organizationId: i.organizationId ?? null, administratorContacts: i.administratorContacts ?? [], credentials: i.credentials ?? null })
}
