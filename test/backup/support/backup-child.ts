/**
 * A kvdr backup in its own process, for crash tests: backs up the vault named in KVDR_TEST_JOB into a directory
 * repository (DefaultAzureCredential: the emulator's managed identity from the environment) and prints the result.
 * The parent kills it with SIGKILL part-way.
 */
import { runBackup } from '../../../src/backup/backup.js'
import { openRepository } from '../../../src/repo/repository.js'
import { openLocation } from '../../../src/store/location.js'
import { parseResolve } from '../../../src/vault/transport.js'

const job = JSON.parse(process.env.KVDR_TEST_JOB as string) as { url: string; caFile: string; repoDir: string; passphrase: string }
const { store, locker } = await openLocation(job.repoDir)
const repo = await openRepository(store, { passphrase: job.passphrase }, { locker })
const result = await runBackup(repo, {
  targets: [{ url: job.url }],
  modes: { native: true, value: true },
  kinds: ['secret'],
  transport: { caFiles: [job.caFile], resolve: parseResolve([`${new URL(job.url).hostname}=127.0.0.1`]) },
})
await store.close()
process.stdout.write(`${JSON.stringify({ exitCode: result.exitCode, contents: result.contents })}\n`)
