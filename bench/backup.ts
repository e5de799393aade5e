/**
 * Backup benchmark (`npx tsx bench/backup.ts [--small] [--naive-seconds N] [--naive-full] [--skip-rss | --rss-only]`).
 *
 * On the Key Vault emulator with its throttling at Key Vault's published limits (sliding 10 s windows per vault:
 * 4,000 vault transactions, a 4,000-unit weighted key budget; 429s without Retry-After, as the service often
 * answers) and a 40 ms latency rule, kvdr authenticating as the emulator's managed identity, a vault of 5,000 secrets
 * x 3 versions, 500 keys and 200 certificates (`--small`: 500 x 3, 50, 20):
 *   1. kvdr's full backup: wall time as a ratio to the throttle floor (admitted requests / allowed rate);
 *   2. the same vault with a naive sequential SDK loop making the same reads one at a time (what scripts do
 *      today), in the same run: time-boxed (`--naive-seconds`, default 60; certificates first, then keys, then
 *      secrets) and extrapolated per object to the whole vault unless `--naive-full`;
 *   3. an incremental run with nothing changed: requests and time as a share of the full run;
 *   4. peak RSS of kvdr's process backing up 5,000 and 50,000 objects (no throttling or latency, so it runs as
 *      fast as the machine allows), as a ratio.
 * The emulator and each backup run in their own processes (this file with `--role`), so neither starves the
 * other and the backup's RSS is its own. Prints a table and writes bench/results/backup-<time>.json.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { saveResults, tableLines } from './report.js'
import { forkRole, request } from './roles.js'
import { DefaultAzureCredential } from '@azure/identity'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { runBackup } from '../src/backup/backup.js'
import { KEY_LIMITS, SECRET_LIMITS, THROTTLE_WINDOW_MS } from '../src/core/limits.js'
import {
  emulatorAgent,
  type EmulatorHandle,
  keysOf,
  newVersionId,
  type ObjectRecord,
  type SecretPayload,
  secretsOf,
  startEmulator,
  VersionedCollection,
} from '../src/emulator/index.js'
import type { CollectionState } from '../src/emulator/model/versioned.js'
import { defaultKeyOps, generateKey } from '../src/emulator/keys/crypto.js'
import { initRepository, openRepository } from '../src/repo/repository.js'
import { openLocation } from '../src/store/location.js'
import { parseResolve } from '../src/vault/transport.js'

const SELF = fileURLToPath(import.meta.url)
const PASSPHRASE = 'benchmark passphrase'
const KDF = { N: 2 ** 14, r: 8, p: 1 }
const SUBSCRIPTION = '5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01'
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const flag = (name: string): boolean => process.argv.includes(name)

// ---------------------------------------------------------------------------------------------------------------
// Role "emulator": the emulator with its own throttling at Key Vault's published limits (sliding 10 s windows per
// vault; no Retry-After, as the service often answers) and latency rules, a managed identity for kvdr, its counters.

type Bucket = 'vault' | 'keys'
/** Transactions (key units) per second a vault allows, per bucket: 4,000 per 10 s each. */
const RATE: Record<Bucket, number> = { vault: SECRET_LIMITS.other / (THROTTLE_WINDOW_MS / 1000), keys: KEY_LIMITS['RSA-2048'].software.other / (THROTTLE_WINDOW_MS / 1000) }

/** Requests the service admitted, per bucket, from the emulator's counters (every key here weighs one unit). */
function admitted(counters: Record<string, { total: number; byStatus: Record<string, number> }>): Record<Bucket, number> {
  const out: Record<Bucket, number> = { vault: 0, keys: 0 }
  for (const [op, c] of Object.entries(counters)) {
    if (op === 'Authentication' || op === 'Unknown') continue
    out[op.startsWith('Key') ? 'keys' : 'vault'] += c.total - (c.byStatus['429'] ?? 0)
  }
  return out
}

const total = (counters: Record<string, { total: number }>): number => Object.values(counters).reduce((n, c) => n + c.total, 0)
const throttledOf = (counters: Record<string, { byStatus: Record<string, number> }>): number => Object.values(counters).reduce((n, c) => n + (c.byStatus['429'] ?? 0), 0)

/**
 * Seed a vault straight into its state (plain JSON records, as `VaultState` is designed to be loaded): tens of
 * thousands of objects in a second, no HTTP. Certificates go through the SDK (issuance is the emulator's own).
 */
async function seedVault(em: EmulatorHandle, vault: string, s: { secrets: number; versions: number; keys: number; certificates: number }): Promise<void> {
  const model = em.model(vault)
  secretsOf(model) // creates the collection
  const objects = (model.state.collections.secrets as CollectionState<SecretPayload>).objects
  const now = Math.floor(em.clock.now() / 1000)
  for (let i = 0; i < s.secrets; i++) {
    const name = `secret-${String(i).padStart(6, '0')}`
    const versions: ObjectRecord<SecretPayload>['versions'] = []
    for (let v = 0; v < s.versions; v++) {
      const previous = versions.at(-1)?.version
      versions.push({ version: newVersionId(), attributes: { enabled: true, created: now, updated: now }, tags: { app: `app-${i % 20}`, env: 'prod' }, ...(previous ? { previousVersion: previous } : {}), payload: { value: `bench-value-${i}-${v}-${'x'.repeat(40)}` } })
    }
    objects[name] = { name, managed: false, versions }
  }
  const materials = [await generateKey({ kty: 'RSA', keySize: 2048 }), await generateKey({ kty: 'EC', crv: 'P-256' }), await generateKey({ kty: 'EC', crv: 'P-384' })]
  const keys = keysOf(model)
  for (let i = 0; i < s.keys; i++) {
    const material = materials[i % materials.length] as (typeof materials)[number]
    keys.create(`key-${String(i).padStart(5, '0')}`, { payload: { material, keyOps: defaultKeyOps(material.kty), exportable: false }, tags: { use: 'bench' } })
  }
  if (s.certificates > 0) {
    const { vaultUrl, options } = em.clientSetup(vault)
    const certs = new CertificateClient(vaultUrl, em.credential, options)
    const names = Array.from({ length: s.certificates }, (_, i) => `cert-${String(i).padStart(4, '0')}`)
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(
        names.slice(i, i + 10).map(async (n) => {
          const poller = await certs.beginCreateCertificate(n, { issuerName: 'Self', subject: `CN=${n}.bench.example`, keyType: 'EC', keyCurveName: 'P-256', exportable: true, contentType: 'application/x-pkcs12' }, { intervalInMs: 5 })
          await poller.pollUntilDone()
        }),
      )
    }
  }
}

/**
 * The emulator's collections sweep every object for finished deletions before each lookup (`VersionedCollection`'s
 * private `sweep`): 54 ms per request at 50,000 objects on this machine, so the emulator, not kvdr, would set the
 * pace. Nothing is deleted during the benchmark, so the sweep has nothing to do: the bench skips it.
 */
function skipEmulatorSweep(): void {
  ;(VersionedCollection.prototype as unknown as { sweep: () => void }).sweep = () => {}
}

async function emulatorRole(): Promise<void> {
  skipEmulatorSweep()
  const em = await startEmulator({
    port: 0,
    identityPort: 0,
    dataDir: join(tmpdir(), 'kvdr-bench-emulator'),
    paging: 'full',
    timing: { deleteDelayMs: 0, recoverDelayMs: 0, purgeDelayMs: 0, issueDelayMs: 0 },
    principals: [{ name: 'kvdr-backup', type: 'managedIdentity', systemAssigned: true }],
    roleAssignments: [{ principal: 'kvdr-backup', role: 'Key Vault Administrator', scope: '/' }],
    throttling: { enabled: false, factor: 1, retryAfter: false },
    audit: { memory: 1000 },
  })
  const send = (m: unknown): void => void process.send?.(m)
  // Never outlive the orchestrator.
  process.on('disconnect', () => void em.stop().then(() => process.exit(0)))
  process.on('message', (msg: { type: string; [k: string]: unknown }) => {
    void (async () => {
      switch (msg.type) {
        case 'seed':
          await seedVault(em, msg.vault as string, msg.spec as Parameters<typeof seedVault>[2])
          return send({ type: 'seeded' })
        case 'traffic':
          em.control.configureThrottling({ enabled: msg.throttle as boolean })
          em.control.resetThrottling()
          em.control.setLatency((msg.rttMs as number) > 0 ? [{ fixedMs: msg.rttMs as number, jitterMs: 0 }] : [])
          return send({ type: 'ok' })
        case 'counters':
          return send({ type: 'counters', counters: em.counters(), cpuSeconds: (() => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 })() })
        case 'reset':
          em.control.resetCounters()
          return send({ type: 'ok' })
        case 'advance':
          em.clock.advance(msg.ms as number)
          return send({ type: 'ok' })
        case 'stop':
          await em.stop()
          return process.exit(0)
      }
    })().catch((err: unknown) => send({ type: 'error', message: String(err) }))
  })
  const { NODE_EXTRA_CA_CERTS: _ca, ...identity } = em.managedIdentityEnv('appService')
  send({ type: 'ready', vaults: em.vaults.map((v) => ({ name: v.name, url: v.hostUrl })), caPem: em.caPem, identity })
}

// ---------------------------------------------------------------------------------------------------------------
// Role "backup": one kvdr backup in its own process; prints its result, wall time and peak RSS.

interface BackupJob {
  url: string
  caFile: string
  repoDir: string
  capture: 'both' | 'value' | 'native'
  kinds?: Array<'secret' | 'key' | 'certificate'>
}

async function backupRole(): Promise<void> {
  const job = JSON.parse(process.env.KVDR_BENCH_JOB as string) as BackupJob
  const { store, locker } = await openLocation(job.repoDir, { create: true })
  const repo = (await store.stat('config'))
    ? await openRepository(store, { passphrase: PASSPHRASE }, { locker })
    : (await initRepository(store, { locker, kdf: KDF, slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: KDF }] })).repo
  const started = performance.now()
  const cpu = process.cpuUsage()
  const result = await runBackup(repo, {
    targets: [{ url: job.url, subscriptionId: SUBSCRIPTION }],
    modes: { native: job.capture !== 'value', value: job.capture !== 'native' },
    ...(job.kinds ? { kinds: job.kinds } : {}),
    // No credential given: DefaultAzureCredential finds the managed identity (IDENTITY_ENDPOINT, IDENTITY_HEADER).
    transport: { caFiles: [job.caFile], resolve: parseResolve([`${new URL(job.url).hostname}=127.0.0.1`]) },
    ...(process.env.KVDR_BENCH_CONCURRENCY ? { maxConcurrency: Number(process.env.KVDR_BENCH_CONCURRENCY) } : {}),
  })
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  await store.close()
  const v = result.vaults[0]
  process.stdout.write(
    `${JSON.stringify({ wallMs, exitCode: result.exitCode, counts: v?.counts, requests: v?.requests, summary: v?.summary, error: v?.error, contents: result.contents, cpuSeconds: (used.user + used.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`,
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator.


async function backupOnce(job: BackupJob): Promise<{ wallMs: number; exitCode: number; counts: Record<string, number>; requests: Record<string, number>; contents: Record<string, number>; cpuSeconds: number; maxRssMB: number; error?: unknown }> {
  const c = forkRole(SELF, 'backup', { KVDR_BENCH_JOB: JSON.stringify(job) })
  let out = ''
  c.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((r) => c.on('exit', r))
  if (code !== 0) throw new Error(`backup child exited ${code}: ${out}`)
  return JSON.parse(out.trim().split('\n').pop() as string)
}

/**
 * What scripts do today, for the same vault and the same reads as kvdr: one request at a time with the SDK's
 * defaults - list each kind, then per object its versions, each version (and a certificate's secret), the key's
 * rotation policy or the certificate's policy, and the native backup. Stops after `seconds`.
 */
async function naiveLoop(url: string, caPem: string, seconds: number): Promise<{ objects: number; requests: number; ms: number; complete: boolean }> {
  const agent = emulatorAgent(caPem, '127.0.0.1')
  const cred = new DefaultAzureCredential()
  const s = new SecretClient(url, cred, { agent })
  const k = new KeyClient(url, cred, { agent })
  const c = new CertificateClient(url, cred, { agent })
  const started = performance.now()
  const deadline = started + seconds * 1000
  let objects = 0
  let requests = 0
  const r = async <T>(p: Promise<T>): Promise<T> => {
    requests++
    return p
  }
  const done = (): boolean => {
    objects++
    return performance.now() >= deadline
  }
  const result = (complete: boolean) => ({ objects, requests, ms: performance.now() - started, complete })
  try {
    for await (const cert of c.listPropertiesOfCertificates()) {
      const name = cert.name as string
      await r(c.getCertificatePolicy(name))
      for await (const v of c.listPropertiesOfCertificateVersions(name)) {
        await r(c.getCertificateVersion(name, v.version as string))
        if (v.enabled) await r(s.getSecret(name, { version: v.version as string }))
      }
      await r(c.backupCertificate(name))
      if (done()) return result(false)
    }
    for await (const key of k.listPropertiesOfKeys()) {
      if (key.managed) continue
      for await (const v of k.listPropertiesOfKeyVersions(key.name)) await r(k.getKey(key.name, { version: v.version as string }))
      await r(k.getKeyRotationPolicy(key.name))
      await r(k.backupKey(key.name))
      if (done()) return result(false)
    }
    for await (const secret of s.listPropertiesOfSecrets()) {
      if (secret.managed) continue
      for await (const v of s.listPropertiesOfSecretVersions(secret.name)) if (v.enabled) await r(s.getSecret(secret.name, { version: v.version as string }))
      await r(s.backupSecret(secret.name))
      if (done()) return result(false)
    }
    return result(true)
  } finally {
    agent.destroy()
  }
}

interface Bench {
  em: ChildProcess
  dir: string
  caFile: string
  caPem: string
  small: boolean
  url(name: string): string
  counted(): Promise<{ counters: Record<string, { total: number; byStatus: Record<string, number> }>; cpuSeconds: number }>
}

const log = (s: string): void => console.log(s)

/** Phases 1-3: the full backup against the throttle floor, the incremental run, the naive loop. */
async function throughput(b: Bench) {
  const size = b.small ? { secrets: 500, versions: 3, keys: 50, certificates: 20 } : { secrets: 5000, versions: 3, keys: 500, certificates: 200 }
  log(`Seeding kv-primary: ${size.secrets} secrets x ${size.versions} versions, ${size.keys} keys, ${size.certificates} certificates ...`)
  const t = performance.now()
  await request(b.em, { type: 'seed', vault: 'kv-primary', spec: size }, 'seeded')
  await request(b.em, { type: 'advance', ms: 5000 }, 'ok')
  log(`  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`)

  // 1. Full backup under Key Vault's limits and a 40 ms round trip.
  await request(b.em, { type: 'traffic', throttle: true, rttMs: 40 }, 'ok')
  await request(b.em, { type: 'reset' }, 'ok')
  const repoDir = join(b.dir, 'repo')
  log('Full backup (kvdr) ...')
  const emCpu0 = (await b.counted()).cpuSeconds
  const full = await backupOnce({ url: b.url('kv-primary'), caFile: b.caFile, repoDir, capture: 'both' })
  const afterFull = await b.counted()
  const fullRequests = total(afterFull.counters)
  const a = admitted(afterFull.counters)
  const floorS = Math.max(a.vault / RATE.vault, a.keys / RATE.keys)
  const emulatorCpu = afterFull.cpuSeconds - emCpu0
  log(`  ${(full.wallMs / 1000).toFixed(1)} s, ${fullRequests} requests (${throttledOf(afterFull.counters)} throttled), floor ${floorS.toFixed(1)} s, exit ${full.exitCode}; CPU: kvdr ${full.cpuSeconds.toFixed(1)} s, emulator ${emulatorCpu.toFixed(1)} s; kvdr waited for its budget ${((full.requests.budgetWaitMs ?? 0) / 1000).toFixed(1)} s`)

  // 2. Incremental, nothing changed.
  await request(b.em, { type: 'advance', ms: 5000 }, 'ok')
  await request(b.em, { type: 'reset' }, 'ok')
  log('Incremental backup, nothing changed ...')
  const inc = await backupOnce({ url: b.url('kv-primary'), caFile: b.caFile, repoDir, capture: 'both' })
  const incCounters = (await b.counted()).counters
  const incRequests = total(incCounters)
  log(`  ${(inc.wallMs / 1000).toFixed(1)} s, ${incRequests} requests`)

  // 3. The naive sequential loop, same vault, same limits and round trip.
  const naiveSeconds = flag('--naive-full') ? 1e9 : Number(arg('--naive-seconds') ?? 60)
  log(`Naive sequential loop (${flag('--naive-full') ? 'whole vault' : `${naiveSeconds} s, extrapolated`}) ...`)
  const naive = await naiveLoop(b.url('kv-primary'), b.caPem, naiveSeconds)
  // Extrapolated by requests (the loop makes the same reads as kvdr, one at a time), not by objects: the kinds differ in cost.
  const naiveFullS = naive.complete ? naive.ms / 1000 : fullRequests / (naive.requests / (naive.ms / 1000))
  log(`  ${naive.objects} objects (${naive.requests} reads besides listings) in ${(naive.ms / 1000).toFixed(1)} s -> ${naiveFullS.toFixed(0)} s for the ${fullRequests} requests of the whole vault`)
  return {
    vault: size,
    full: { seconds: full.wallMs / 1000, requests: fullRequests, throttled: throttledOf(afterFull.counters), admitted: a, floorSeconds: floorS, ratioToFloor: full.wallMs / 1000 / floorS, exitCode: full.exitCode, contents: full.contents, kvdrCpuSeconds: full.cpuSeconds, emulatorCpuSeconds: emulatorCpu },
    naive: { objects: naive.objects, requests: naive.requests, seconds: naive.ms / 1000, complete: naive.complete, extrapolatedSeconds: naiveFullS, kvdrSpeedup: naiveFullS / (full.wallMs / 1000) },
    incremental: { seconds: inc.wallMs / 1000, requests: incRequests, byOperation: Object.fromEntries(Object.entries(incCounters).map(([k, v]) => [k, v.total])), requestShare: incRequests / fullRequests, timeShare: inc.wallMs / full.wallMs },
  }
}

/** Phase 4: peak RSS at 5k and 50k objects (no throttling or latency; values of one-version secrets). */
async function memory(b: Bench) {
  await request(b.em, { type: 'traffic', throttle: false, rttMs: 0 }, 'ok')
  const big = b.small ? 5_000 : 50_000
  log(`Seeding kv-dr (5,000 secrets) and kv-us (${big.toLocaleString('en')} secrets) for the memory runs ...`)
  await request(b.em, { type: 'seed', vault: 'kv-dr', spec: { secrets: 5_000, versions: 1, keys: 0, certificates: 0 } }, 'seeded')
  await request(b.em, { type: 'seed', vault: 'kv-us', spec: { secrets: big, versions: 1, keys: 0, certificates: 0 } }, 'seeded')
  await request(b.em, { type: 'advance', ms: 5000 }, 'ok')
  const r5 = await backupOnce({ url: b.url('kv-dr'), caFile: b.caFile, repoDir: join(b.dir, 'rss-5k'), capture: 'value', kinds: ['secret'] })
  log(`  5k: ${r5.maxRssMB.toFixed(0)} MB peak RSS, ${(r5.wallMs / 1000).toFixed(1)} s`)
  const rBig = await backupOnce({ url: b.url('kv-us'), caFile: b.caFile, repoDir: join(b.dir, 'rss-big'), capture: 'value', kinds: ['secret'] })
  log(`  ${big / 1000}k: ${rBig.maxRssMB.toFixed(0)} MB peak RSS, ${(rBig.wallMs / 1000).toFixed(1)} s`)
  return { objects: big, atBig: rBig.maxRssMB, at5k: r5.maxRssMB, seconds5k: r5.wallMs / 1000, secondsBig: rBig.wallMs / 1000, ratio: rBig.maxRssMB / r5.maxRssMB }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kvdr-bench-backup-'))
  const em = forkRole(SELF, 'emulator')
  try {
    const ready = await request<{ vaults: Array<{ name: string; url: string }>; caPem: string; identity: Record<string, string> }>(em, undefined, 'ready')
    // kvdr (and the naive loop) authenticate as the emulator's managed identity, through DefaultAzureCredential.
    Object.assign(process.env, ready.identity)
    const caFile = join(dir, 'ca.pem')
    await writeFile(caFile, ready.caPem)
    const b: Bench = {
      em,
      dir,
      caFile,
      caPem: ready.caPem,
      small: flag('--small'),
      url: (name) => (ready.vaults.find((v) => v.name === name) as { url: string }).url,
      counted: () => request(em, { type: 'counters' }, 'counters'),
    }
    const main = flag('--rss-only') ? undefined : await throughput(b)
    const rss = flag('--skip-rss') ? undefined : await memory(b)
    const results = { date: new Date().toISOString(), machine: { node: process.version, cpus: (await import('node:os')).cpus().length }, ...(main ?? {}), ...(rss ? { rss } : {}) }
    const table = [
      ['measure', 'value', 'target'],
      ...(main
        ? [
            ['full backup / throttle floor', `${main.full.ratioToFloor.toFixed(2)} (${main.full.seconds.toFixed(1)} s / ${main.full.floorSeconds.toFixed(1)} s)`, '<= 1.15'],
            ['naive sequential loop / kvdr', `${main.naive.kvdrSpeedup.toFixed(1)}x (${main.naive.extrapolatedSeconds.toFixed(0)} s${main.naive.complete ? '' : ', extrapolated'} vs ${main.full.seconds.toFixed(1)} s)`, '>= 10x'],
            ['incremental, unchanged: requests', `${(main.incremental.requestShare * 100).toFixed(2)}% (${main.incremental.requests} of ${main.full.requests})`, '<= 5%'],
            ['incremental, unchanged: time', `${(main.incremental.timeShare * 100).toFixed(1)}% (${main.incremental.seconds.toFixed(1)} s)`, '<= 5%'],
          ]
        : []),
      ...(rss ? [[`peak RSS ${rss.objects / 1000}k / 5k objects`, `${rss.ratio.toFixed(2)} (${rss.atBig.toFixed(0)} MB / ${rss.at5k.toFixed(0)} MB)`, '<= 1.3']] : []),
    ]
    log('')
    for (const line of tableLines(table)) log(line)
    await saveResults('backup', results)
  } finally {
    em.send({ type: 'stop' })
    await new Promise((r) => em.on('exit', r))
    await rm(dir, { recursive: true, force: true })
  }
}

const role = arg('--role')
await (role === 'emulator' ? emulatorRole() : role === 'backup' ? backupRole() : main())
