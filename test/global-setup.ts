/**
 * vitest global setup: one Azurite for the whole run. `.ci/run` may start its own and pass
 * KVDR_TEST_AZURITE (a connection string); otherwise the tests start one here.
 */
import type { TestProject } from 'vitest/node'
import { startAzurite } from './support/azurite.js'

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.KVDR_TEST_AZURITE
  if (given) {
    project.provide('azuriteConnectionString', given)
    return async () => {}
  }
  const azurite = await startAzurite()
  project.provide('azuriteConnectionString', azurite.connectionString)
  return () => azurite.stop()
}
