/** Real repository locations for command tests: a directory (as a path or a file:// URL) and azblob:// on Azurite. */
import { onTestFinished } from 'vitest'
import { type BackendName, openBackend, type TestBackend } from '../repo/support/backends.js'

export interface CommandLocation {
  label: string
  backend: BackendName
  form?: 'path' | 'url'
}

export const DIRECTORY: CommandLocation = { label: 'a directory path', backend: 'fs', form: 'path' }
export const FILE_URL: CommandLocation = { label: 'a file:// URL', backend: 'fs', form: 'url' }
export const AZURITE: CommandLocation = { label: 'azblob:// on Azurite', backend: 'azurite' }
export const LOCATIONS: CommandLocation[] = [DIRECTORY, FILE_URL, AZURITE]

/**
 * A fresh location for the current test. Its Azure credentials (a connection string) are put in process.env,
 * where commands look for them, until the test ends.
 */
export async function useLocation(where: CommandLocation): Promise<TestBackend> {
  const backend = await openBackend(where.backend, where.form ? { form: where.form } : {})
  setEnv(backend.env)
  return backend
}

/** Set environment variables (undefined removes one) until the current test ends. */
export function setEnv(vars: Record<string, string | undefined>): void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  const apply = (v: Record<string, string | undefined>): void => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k]
      else process.env[k] = value
    }
  }
  apply(vars)
  onTestFinished(() => apply(before))
}
