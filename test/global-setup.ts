/**
 * vitest global setup: one Azurite for the whole run. `.ci/run` may start its own and pass
 * KVDR_TEST_AZURITE (a connection string); otherwise the tests start one here.
 *
 * A second Azurite serves https with Azure AD (bearer token) auth, for tests of the token path: its
 * self-signed CA is written to a temp file and put in NODE_EXTRA_CA_CERTS, which the test workers (forked
 * after this runs) inherit, so the SDK clients verify it like any other certificate.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { type AzuriteHandle, startAzurite } from './support/azurite.js'
import { selfSignedCertificate } from './support/tls.js'

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string
    /** Connection string of the https Azurite that also accepts Azure AD tokens (`--oauth basic`). */
    azuriteHttpsConnectionString: string
  }
}

async function startHttpsAzurite(dir: string): Promise<AzuriteHandle> {
  const { cert, key } = selfSignedCertificate()
  const certPath = join(dir, 'azurite-cert.pem')
  const keyPath = join(dir, 'azurite-key.pem')
  const caPath = join(dir, 'ca-bundle.pem')
  await writeFile(keyPath, key, { mode: 0o600 })
  await writeFile(certPath, cert)
  // Keep whatever extra CAs the environment already trusts (NODE_EXTRA_CA_CERTS names one file).
  const inherited = process.env.NODE_EXTRA_CA_CERTS ? await readFile(process.env.NODE_EXTRA_CA_CERTS, 'utf8').catch(() => '') : ''
  await writeFile(caPath, `${inherited}\n${cert}`)
  process.env.NODE_EXTRA_CA_CERTS = caPath
  return startAzurite({ tls: { certPath, keyPath }, oauth: true })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'kvdr-azurite-tls-'))
  const given = process.env.KVDR_TEST_AZURITE
  const started = await Promise.allSettled([given ? Promise.resolve(undefined) : startAzurite(), startHttpsAzurite(dir)])
  const teardown = async (): Promise<void> => {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value?.stop() : undefined)))
    await rm(dir, { recursive: true, force: true })
  }
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    await teardown()
    throw failed.reason
  }
  const [plain, https] = started.map((s) => (s as PromiseFulfilledResult<AzuriteHandle | undefined>).value)
  project.provide('azuriteConnectionString', given ?? plain!.connectionString)
  project.provide('azuriteHttpsConnectionString', https!.connectionString)
  return teardown
}
