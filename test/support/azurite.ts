/** Start Azurite (the npm package) as a child process on ephemeral ports, in memory. Used by tests and benches. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { once } from 'node:events'

const require = createRequire(import.meta.url)

/** Azurite's well-known development account key (public; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1'
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

export interface AzuriteHandle {
  blobEndpoint: string
  queueEndpoint: string
  connectionString: string
  stop(): Promise<void>
}

export function azuriteConnectionString(blob: string, queue: string): string {
  return `DefaultEndpointsProtocol=${blob.startsWith('https:') ? 'https' : 'http'};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blob}/${AZURITE_ACCOUNT};QueueEndpoint=${queue}/${AZURITE_ACCOUNT};`
}

export interface AzuriteOptions {
  /** Serve https with this certificate and key (PEM file paths). */
  tls?: { certPath: string; keyPath: string }
  /** Accept Azure AD bearer tokens (`--oauth basic`; needs tls). Azurite checks audience, issuer and times, not signatures. */
  oauth?: boolean
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteHandle> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      require.resolve('azurite/dist/src/azurite.js'),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--silent',
      '--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1',
      '--blobPort', '0', '--queuePort', '0', '--tablePort', '0',
      ...(options.tls ? ['--cert', options.tls.certPath, '--key', options.tls.keyPath] : []),
      ...(options.oauth ? ['--oauth', 'basic'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const ports: Record<string, string> = {}
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`azurite exited (${code}) before listening: ${out}`))
    child.once('exit', onExit)
    child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      for (const m of out.matchAll(/Azurite (Blob|Queue|Table) service is successfully listening at (\S+)/g)) {
        ports[m[1] as string] = m[2] as string
      }
      if (ports.Blob && ports.Queue && ports.Table) {
        child.off('exit', onExit)
        resolve()
      }
    })
  })
  const blob = ports.Blob as string
  const queue = ports.Queue as string
  return {
    blobEndpoint: `${blob}/${AZURITE_ACCOUNT}`,
    queueEndpoint: `${queue}/${AZURITE_ACCOUNT}`,
    connectionString: azuriteConnectionString(blob, queue),
    stop: async () => {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}
