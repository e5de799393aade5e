/**
 * Restore benchmark (`npx tsx bench/restore.ts [--small] [--skip-value]`).
 *
 * Reuses bench/backup.ts: its emulator role (Key Vault's throttling at the published limits, a 40 ms latency rule,
 * the managed identity, counters) and its seeding of the backup benchmark vault (5,000 secrets x 3 versions, 500
 * keys, 200 certificates; `--small`: 500 x 3, 50, 20), and its backup role to back that vault up. Then, with kvdr
 * in its own process:
 *   1. a full restore of the vault into an empty vault of the same world (kv-dr: native, every object), wall time as
 *      a ratio to the create-budget floor - the creates the restore needed at Key Vault's create limits (secrets and
 *      certificates 300 per 10 s; keys 20 units per 10 s; kvdr budgets a native restore as a create, which Key Vault
 *      does not publish);
 *   2. (unless --skip-value) the secrets restored by value into an empty vault in another geography (kv-us): every
 *      version is a create.
 * Prints a table and writes bench/results/restore-<time>.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { saveResults, tableLines } from './report.js'
import { forkRole, request } from './roles.js'
import { KEY_LIMITS, SECRET_LIMITS, THROTTLE_WINDOW_MS } from '../src/core/limits.js'
import { openRepository } from '../src/repo/repository.js'
import { runRestore } from '../src/restore/restore.js'
import { openLocation } from '../src/store/location.js'
import { parseResolve } from '../src/vault/transport.js'

const SELF = fileURLToPath(import.meta.url)
const BACKUP_BENCH = fileURLToPath(new URL('./backup.ts', import.meta.url))
/** bench/backup.ts's repository passphrase and the subscription of the emulator's default vaults. */
const PASSPHRASE = 'benchmark passphrase'
const SUBSCRIPTION = '5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01'
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const flag = (name: string): boolean => process.argv.includes(name)
const log = (s: string): void => console.log(s)

/** Creates per second Key Vault allows a vault: secrets and certificates, and key units. */
const CREATE_RATE = { vault: SECRET_LIMITS.create / (THROTTLE_WINDOW_MS / 1000), keys: KEY_LIMITS['RSA-2048'].software.create / (THROTTLE_WINDOW_MS / 1000) }
const VAULT_CREATES = ['SecretRestore', 'SecretSet', 'CertificateRestore', 'CertificateImport']
const KEY_CREATES = ['KeyRestore', 'KeyImport', 'KeyCreate']

type Counters = Record<string, { total: number; byStatus: Record<string, number> }>

// ---------------------------------------------------------------------------------------------------------------
// Role "restore": one kvdr restore in its own process; prints its result and wall time.

interface RestoreJob {
  from: string
  to: string
  caFile: string
  repoDir: string
  kinds?: Array<'secret' | 'key' | 'certificate'>
}

async function restoreRole(): Promise<void> {
  const job = JSON.parse(process.env.KVDR_BENCH_JOB as string) as RestoreJob
  const { store, locker } = await openLocation(job.repoDir)
  const repo = await openRepository(store, { passphrase: PASSPHRASE }, { locker })
  const started = performance.now()
  const cpu = process.cpuUsage()
  // No credential given: DefaultAzureCredential finds the managed identity (IDENTITY_ENDPOINT, IDENTITY_HEADER).
  const r = await runRestore(repo, {
    from: job.from,
    to: job.to,
    targetSubscription: SUBSCRIPTION,
    ...(job.kinds ? { selection: { kinds: job.kinds } } : {}),
    transport: { caFiles: [job.caFile], resolve: parseResolve([`${new URL(job.to).hostname}=127.0.0.1`]) },
  })
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  await store.close()
  process.stdout.write(`${JSON.stringify({ wallMs, exitCode: r.exitCode, counts: r.plan.counts, summary: r.summary, requests: r.requests, cpuSeconds: (used.user + used.system) / 1e6, errors: (r.outcomes ?? []).filter((o) => o.status === 'error').slice(0, 5).map((o) => `${o.kind}/${o.name}: ${o.message}`) })}\n`)
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator.


async function runChild<T>(script: string, role: string, job: unknown): Promise<T> {
  const c = forkRole(script, role, { KVDR_BENCH_JOB: JSON.stringify(job) })
  let out = ''
  c.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((r) => c.on('exit', r))
  if (code !== 0) throw new Error(`${role} child exited ${code}: ${out}`)
  return JSON.parse(out.trim().split('\n').pop() as string) as T
}

const ok = (c: Counters, ops: string[]): number => ops.reduce((n, op) => n + Object.entries(c[op]?.byStatus ?? {}).filter(([s]) => Number(s) < 400).reduce((m, [, k]) => m + k, 0), 0)
const total = (c: Counters): number => Object.values(c).reduce((n, x) => n + x.total, 0)
const throttled = (c: Counters): number => Object.values(c).reduce((n, x) => n + (x.byStatus['429'] ?? 0), 0)

interface RestoreOutput {
  wallMs: number
  exitCode: number
  counts: Record<string, number>
  summary: Record<string, number>
  requests: Record<string, number>
  cpuSeconds: number
  errors: string[]
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kvdr-bench-restore-'))
  const em = forkRole(BACKUP_BENCH, 'emulator')
  try {
    const ready = await request<{ vaults: Array<{ name: string; url: string }>; caPem: string; identity: Record<string, string> }>(em, undefined, 'ready')
    Object.assign(process.env, ready.identity)
    const caFile = join(dir, 'ca.pem')
    await writeFile(caFile, ready.caPem)
    const url = (name: string): string => (ready.vaults.find((v) => v.name === name) as { url: string }).url
    const counted = async (): Promise<Counters> => (await request<{ counters: Counters }>(em, { type: 'counters' }, 'counters')).counters
    const small = flag('--small')
    const size = small ? { secrets: 500, versions: 3, keys: 50, certificates: 20 } : { secrets: 5000, versions: 3, keys: 500, certificates: 200 }
    log(`Seeding kv-primary (bench/backup.ts): ${size.secrets} secrets x ${size.versions} versions, ${size.keys} keys, ${size.certificates} certificates ...`)
    await request(em, { type: 'seed', vault: 'kv-primary', spec: size }, 'seeded')
    await request(em, { type: 'advance', ms: 5000 }, 'ok')
    const repoDir = join(dir, 'repo')
    log('Backing it up (bench/backup.ts backup role, no throttling) ...')
    await request(em, { type: 'traffic', throttle: false, rttMs: 0 }, 'ok')
    const b = await runChild<{ wallMs: number; exitCode: number }>(BACKUP_BENCH, 'backup', { url: url('kv-primary'), caFile, repoDir, capture: 'both' })
    if (b.exitCode !== 0) throw new Error(`the backup exited ${b.exitCode}`)
    log(`  ${(b.wallMs / 1000).toFixed(1)} s`)

    const phase = async (label: string, job: RestoreJob) => {
      await request(em, { type: 'traffic', throttle: true, rttMs: 40 }, 'ok')
      await request(em, { type: 'reset' }, 'ok')
      log(`${label} ...`)
      const r = await runChild<RestoreOutput>(SELF, 'restore', job)
      const c = await counted()
      const creates = { vault: ok(c, VAULT_CREATES), keys: ok(c, KEY_CREATES) }
      const floorSeconds = Math.max(creates.vault / CREATE_RATE.vault, creates.keys / CREATE_RATE.keys)
      const seconds = r.wallMs / 1000
      log(`  ${seconds.toFixed(1)} s, exit ${r.exitCode}, ${JSON.stringify(r.summary)}; ${total(c)} requests (${throttled(c)} throttled); creates ${creates.vault} vault + ${creates.keys} key -> floor ${floorSeconds.toFixed(1)} s; ratio ${(seconds / floorSeconds).toFixed(2)}; kvdr CPU ${r.cpuSeconds.toFixed(1)} s`)
      for (const e of r.errors) log(`  error: ${e}`)
      return { seconds, exitCode: r.exitCode, summary: r.summary, plan: r.counts, requests: total(c), throttled: throttled(c), creates, floorSeconds, ratioToFloor: seconds / floorSeconds, kvdrCpuSeconds: r.cpuSeconds, budgetWaitSeconds: (r.requests.budgetWaitMs ?? 0) / 1000 }
    }
    const native = await phase('Full restore into an empty vault of the same world (kv-dr, native)', { from: url('kv-primary'), to: url('kv-dr'), caFile, repoDir })
    const value = flag('--skip-value') ? undefined : await phase('Secrets restored by value into an empty vault in another geography (kv-us)', { from: url('kv-primary'), to: url('kv-us'), caFile, repoDir, kinds: ['secret'] })
    const results = { date: new Date().toISOString(), machine: { node: process.version, cpus: (await import('node:os')).cpus().length }, vault: size, native, ...(value ? { value } : {}) }
    const table = [
      ['measure', 'value', 'target'],
      ['full restore (native) / create floor', `${native.ratioToFloor.toFixed(2)} (${native.seconds.toFixed(1)} s / ${native.floorSeconds.toFixed(1)} s)`, '<= 1.2'],
      ...(value ? [['secrets by value / create floor', `${value.ratioToFloor.toFixed(2)} (${value.seconds.toFixed(1)} s / ${value.floorSeconds.toFixed(1)} s)`, '<= 1.2']] : []),
    ]
    log('')
    for (const line of tableLines(table)) log(line)
    await saveResults('restore', results)
  } finally {
    em.send({ type: 'stop' })
    await new Promise((r) => em.on('exit', r))
    await rm(dir, { recursive: true, force: true })
  }
}

const role = arg('--role')
await (role === 'restore' ? restoreRole() : main())
