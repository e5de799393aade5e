/** Test helpers for recover: seeding and deleting objects through the official SDK clients, waiting for the deletion. */
import type { VaultFixture } from '../vault/support.js'
import { FAST_POLL } from '../support/emulator.js'

/** Per-vault lifecycle delays long enough to act while a name is being deleted, recovered or purged. */
export const SLOW = { deleteDelayMs: 600, recoverDelayMs: 300, purgeDelayMs: 600 }

/** A self-signed certificate (with its managed key and secret), issued. */
export async function createCertificate(f: VaultFixture, name: string, vault = 'kv-primary'): Promise<void> {
  const policy = { issuerName: 'Self', subject: `CN=${name}.example.test`, contentType: 'application/x-pkcs12', keyType: 'EC', keyCurveName: 'P-256', validityInMonths: 12 } as const
  await (await f.certificates(vault).beginCreateCertificate(name, policy, FAST_POLL)).pollUntilDone()
}

/** Soft-delete and wait until the deleted object is visible. */
export async function deleteSecret(f: VaultFixture, name: string, vault = 'kv-primary'): Promise<void> {
  await (await f.secrets(vault).beginDeleteSecret(name, FAST_POLL)).pollUntilDone()
}

export async function deleteKey(f: VaultFixture, name: string, vault = 'kv-primary'): Promise<void> {
  await (await f.keys(vault).beginDeleteKey(name, FAST_POLL)).pollUntilDone()
}

export async function deleteCertificate(f: VaultFixture, name: string, vault = 'kv-primary'): Promise<void> {
  await (await f.certificates(vault).beginDeleteCertificate(name, FAST_POLL)).pollUntilDone()
}

/** What a promise rejected with; fails when it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!(e instanceof Error)) throw new Error('expected the call to fail')
  return e as Error & Record<string, unknown>
}
