/**
 * Backup benchmark (`npx tsx bench/backup.ts [--small] [--naive-seconds N] [--naive-full] [--skip-rss]`).
 *
 * On the Key Vault emulator with Key Vault's published throttling limits (a sliding 10 s window per vault: 4,000
 * vault transactions, a 4,000-unit weighted key budget) and an injected 40 ms round trip, a vault of 5,000 secrets
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
import { type ChildProcess, fork } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { runBackup } from '../src/backup/backup.js'
import { KEY_LIMITS, keyOperationWeight, SECRET_LIMITS, THROTTLE_WINDOW_MS } from '../src/core/limits.js'
import {
  emulatorAgent,
  emulatorCredential,
  type EmulatorHandle,
  keysOf,
  KvHttpError,
  type OperationDescriptor,
  parseKeyThrottleClass,
  secretsOf,
  startEmulator,
} from '../src/emulator/index.js'
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
// Role "emulator": Key Vault's limits as a sliding window, a fixed round trip, counters, direct seeding.

type Bucket = 'vault-other' | 'vault-create' | 'keys-other' | 'keys-create'
const LIMITS: Record<Bucket, number> = {
  'vault-other': SECRET_LIMITS.other,
  'vault-create': SECRET_LIMITS.create,
  'keys-other': KEY_LIMITS['RSA-2048'].software.other,
  'keys-create': KEY_LIMITS['RSA-2048'].software.create,
}

function bucketOf(op: OperationDescriptor): { bucket: Bucket; units: number } {
  const key = parseKeyThrottleClass(op.throttleClass)
  if (key) return { bucket: key.kind === 'create' ? 'keys-create' : 'keys-other', units: keyOperationWeight(key.family, key.protection, key.kind) }
  return { bucket: op.throttleClass.endsWith('create') ? 'vault-create' : 'vault-other', units: 1 }
}

/** Per vault and bucket: admitted (time, units) in the last 10 s. Throttled requests do not count (as on Azure). */
class Windows {
  on = false
  private readonly log = new Map<string, { t: number[]; u: number[]; head: number; sum: number }>()
  readonly admitted: Record<string, Record<Bucket, number>> = {}
  throttled = 0

  admit(vault: string, op: OperationDescriptor): void {
    const { bucket, units } = bucketOf(op)
    const key = `${vault}/${bucket}`
    let w = this.log.get(key)
    if (!w) this.log.set(key, (w = { t: [], u: [], head: 0, sum: 0 }))
    const now = performance.now()
    while (w.head < w.t.length && now - (w.t[w.head] as number) >= THROTTLE_WINDOW_MS) w.sum -= w.u[w.head++] as number
    if (w.head > 10_000) {
      w.t = w.t.slice(w.head)
      w.u = w.u.slice(w.head)
      w.head = 0
    }
    if (this.on && w.sum + units > LIMITS[bucket]) {
      this.throttled++
      throw new KvHttpError(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached')
    }
    w.t.push(now)
    w.u.push(units)
    w.sum += units
    const a = (this.admitted[vault] ??= { 'vault-other': 0, 'vault-create': 0, 'keys-other': 0, 'keys-create': 0 })
    a[bucket] += units
  }
}

async function seedVault(em: EmulatorHandle, vault: string, s: { secrets: number; versions: number; keys: number; certificates: number }): Promise<void> {
  const model = em.model(vault)
  const secrets = secretsOf(model)
  const value = (i: number, v: number): string => `bench-value-${i}-${v}-${'x'.repeat(40)}`
  for (let i = 0; i < s.secrets; i++) for (let v = 0; v < s.versions; v++) secrets.create(`secret-${String(i).padStart(6, '0')}`, { payload: { value: value(i, v) }, tags: { app: `app-${i % 20}`, env: 'prod' }, trackPreviousVersion: true })
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

async function emulatorRole(): Promise<void> {
  const windows = new Windows()
  let rttMs = 0
  let requests = 0
  const byOperation: Record<string, number> = {}
  const dataDir = join(tmpdir(), 'kvdr-bench-emulator')
  const em = await startEmulator({
    port: 0,
    dataDir,
    paging: 'full',
    timing: { deleteDelayMs: 0, recoverDelayMs: 0, purgeDelayMs: 0, issueDelayMs: 0 },
    stages: {
      throttle: { admit: (_p, op, req) => windows.admit(req.vault.name, op) },
      faults: { inject: () => (rttMs > 0 ? new Promise((r) => setTimeout(r, rttMs)) : undefined) },
      audit: {
        record: (r) => {
          requests++
          byOperation[r.operationName] = (byOperation[r.operationName] ?? 0) + 1
        },
      },
    },
  })
  const send = (m: unknown): void => void process.send?.(m)
  process.on('message', (msg: { type: string; [k: string]: unknown }) => {
    void (async () => {
      switch (msg.type) {
        case 'seed':
          await seedVault(em, msg.vault as string, msg.spec as Parameters<typeof seedVault>[2])
          return send({ type: 'seeded' })
        case 'traffic':
          windows.on = msg.throttle as boolean
          rttMs = msg.rttMs as number
          return send({ type: 'ok' })
        case 'counters':
          return send({ type: 'counters', requests, byOperation: { ...byOperation }, admitted: JSON.parse(JSON.stringify(windows.admitted)), throttled: windows.throttled })
        case 'reset':
          requests = 0
          for (const k of Object.keys(byOperation)) delete byOperation[k]
          for (const k of Object.keys(windows.admitted)) delete windows.admitted[k]
          windows.throttled = 0
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
  send({ type: 'ready', vaults: em.vaults.map((v) => ({ name: v.name, url: v.hostUrl })), caPem: em.caPem })
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
    credential: emulatorCredential(),
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

function child(role: string, env: Record<string, string> = {}): ChildProcess {
  return fork(SELF, ['--role', role], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
}

function request<T>(c: ChildProcess, msg: unknown, expect: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string; message?: string }): void => {
      if (m.type === 'error') reject(new Error(m.message))
      else if (m.type === expect) resolve(m as T)
      else return
      c.off('message', on)
    }
    c.on('message', on)
    if (msg !== undefined) c.send(msg as never)
  })
}

async function backupOnce(job: BackupJob): Promise<{ wallMs: number; exitCode: number; counts: Record<string, number>; requests: Record<string, number>; contents: Record<string, number>; cpuSeconds: number; maxRssMB: number; error?: unknown }> {
  const c = child('backup', { KVDR_BENCH_JOB: JSON.stringify(job) })
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
  const cred = emulatorCredential()
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

async function main(): Promise<void> {
  const small = flag('--small')
  const size = small ? { secrets: 500, versions: 3, keys: 50, certificates: 20 } : { secrets: 5000, versions: 3, keys: 500, certificates: 200 }
  const dir = await mkdtemp(join(tmpdir(), 'kvdr-bench-backup-'))
  const em = child('emulator')
  try {
    const ready = await request<{ vaults: Array<{ name: string; url: string }>; caPem: string }>(em, undefined, 'ready')
    const caFile = join(dir, 'ca.pem')
    await writeFile(caFile, ready.caPem)
    const url = (name: string): string => (ready.vaults.find((v) => v.name === name) as { url: string }).url
    const log = (s: string): void => console.log(s)

    log(`Seeding kv-primary: ${size.secrets} secrets x ${size.versions} versions, ${size.keys} keys, ${size.certificates} certificates ...`)
    const t = performance.now()
    await request(em, { type: 'seed', vault: 'kv-primary', spec: size }, 'seeded')
    await request(em, { type: 'advance', ms: 5000 }, 'ok')
    log(`  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`)

    // 1. Full backup under Key Vault's limits and a 40 ms round trip.
    await request(em, { type: 'traffic', throttle: true, rttMs: 40 }, 'ok')
    await request(em, { type: 'reset' }, 'ok')
    const repoDir = join(dir, 'repo')
    log('Full backup (kvdr) ...')
    const full = await backupOnce({ url: url('kv-primary'), caFile, repoDir, capture: 'both' })
    const fullCounters = await request<{ requests: number; admitted: Record<string, Record<Bucket, number>>; throttled: number }>(em, { type: 'counters' }, 'counters')
    const a = fullCounters.admitted['kv-primary'] as Record<Bucket, number>
    const floorS = Math.max(a['vault-other'] / (LIMITS['vault-other'] / 10), a['keys-other'] / (LIMITS['keys-other'] / 10), a['vault-create'] / (LIMITS['vault-create'] / 10), a['keys-create'] / (LIMITS['keys-create'] / 10))
    log(`  ${(full.wallMs / 1000).toFixed(1)} s, ${fullCounters.requests} requests (${fullCounters.throttled} throttled), floor ${floorS.toFixed(1)} s, exit ${full.exitCode}, kvdr CPU ${full.cpuSeconds.toFixed(1)} s, waited for budget ${((full.requests.budgetWaitMs ?? 0) / 1000).toFixed(1)} s`)

    // 2. Incremental, nothing changed.
    await request(em, { type: 'advance', ms: 5000 }, 'ok')
    await request(em, { type: 'reset' }, 'ok')
    log('Incremental backup, nothing changed ...')
    const inc = await backupOnce({ url: url('kv-primary'), caFile, repoDir, capture: 'both' })
    const incCounters = await request<{ requests: number; byOperation: Record<string, number> }>(em, { type: 'counters' }, 'counters')
    log(`  ${(inc.wallMs / 1000).toFixed(1)} s, ${incCounters.requests} requests`)

    // 3. The naive sequential loop, same vault, same limits and round trip.
    const naiveSeconds = flag('--naive-full') ? 1e9 : Number(arg('--naive-seconds') ?? 60)
    log(`Naive sequential loop (${flag('--naive-full') ? 'whole vault' : `${naiveSeconds} s, extrapolated`}) ...`)
    const naive = await naiveLoop(url('kv-primary'), ready.caPem, naiveSeconds)
    // Extrapolated by requests (the loop makes the same reads as kvdr, one at a time), not by objects: the kinds differ in cost.
    const naiveFullS = naive.complete ? naive.ms / 1000 : fullCounters.requests / (naive.requests / (naive.ms / 1000))
    log(`  ${naive.objects} objects (${naive.requests} reads besides listings) in ${(naive.ms / 1000).toFixed(1)} s -> ${naiveFullS.toFixed(0)} s for the ${fullCounters.requests} requests of the whole vault`)

    // 4. Peak RSS at 5k and 50k objects (no throttling or latency; values of one-version secrets).
    let rss: { at5k: number; at50k: number; wall5k: number; wall50k: number } | undefined
    if (!flag('--skip-rss')) {
      await request(em, { type: 'traffic', throttle: false, rttMs: 0 }, 'ok')
      const big = small ? 5_000 : 50_000
      log(`Seeding kv-dr (5,000 secrets) and kv-us (${big.toLocaleString('en')} secrets) for the memory runs ...`)
      await request(em, { type: 'seed', vault: 'kv-dr', spec: { secrets: 5_000, versions: 1, keys: 0, certificates: 0 } }, 'seeded')
      await request(em, { type: 'seed', vault: 'kv-us', spec: { secrets: big, versions: 1, keys: 0, certificates: 0 } }, 'seeded')
      await request(em, { type: 'advance', ms: 5000 }, 'ok')
      const r5 = await backupOnce({ url: url('kv-dr'), caFile, repoDir: join(dir, 'rss-5k'), capture: 'value', kinds: ['secret'] })
      log(`  5k: ${r5.maxRssMB.toFixed(0)} MB peak RSS, ${(r5.wallMs / 1000).toFixed(1)} s`)
      const r50 = await backupOnce({ url: url('kv-us'), caFile, repoDir: join(dir, 'rss-50k'), capture: 'value', kinds: ['secret'] })
      log(`  ${big / 1000}k: ${r50.maxRssMB.toFixed(0)} MB peak RSS, ${(r50.wallMs / 1000).toFixed(1)} s`)
      rss = { at5k: r5.maxRssMB, at50k: r50.maxRssMB, wall5k: r5.wallMs, wall50k: r50.wallMs }
    }

    const results = {
      date: new Date().toISOString(),
      machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
      vault: size,
      full: { seconds: full.wallMs / 1000, requests: fullCounters.requests, throttled: fullCounters.throttled, admitted: a, floorSeconds: floorS, ratioToFloor: full.wallMs / 1000 / floorS, exitCode: full.exitCode, contents: full.contents },
      naive: { objects: naive.objects, requests: naive.requests, seconds: naive.ms / 1000, complete: naive.complete, extrapolatedSeconds: naiveFullS, kvdrSpeedup: naiveFullS / (full.wallMs / 1000) },
      incremental: { seconds: inc.wallMs / 1000, requests: incCounters.requests, byOperation: incCounters.byOperation, requestShare: incCounters.requests / fullCounters.requests, timeShare: inc.wallMs / full.wallMs },
      ...(rss ? { rss: { ...rss, ratio: rss.at50k / rss.at5k } } : {}),
    }
    const table = [
      ['measure', 'value', 'target'],
      ['full backup / throttle floor', `${results.full.ratioToFloor.toFixed(2)} (${results.full.seconds.toFixed(1)} s / ${floorS.toFixed(1)} s)`, '<= 1.15'],
      ['naive sequential loop / kvdr', `${results.naive.kvdrSpeedup.toFixed(1)}x (${naiveFullS.toFixed(0)} s${naive.complete ? '' : ', extrapolated'} vs ${results.full.seconds.toFixed(1)} s)`, '>= 10x'],
      ['incremental, unchanged: requests', `${(results.incremental.requestShare * 100).toFixed(2)}% (${incCounters.requests} of ${fullCounters.requests})`, '<= 5%'],
      ['incremental, unchanged: time', `${(results.incremental.timeShare * 100).toFixed(1)}% (${results.incremental.seconds.toFixed(1)} s)`, '<= 5%'],
      ...(rss ? [['peak RSS 50k / 5k objects', `${(rss.at50k / rss.at5k).toFixed(2)} (${rss.at50k.toFixed(0)} MB / ${rss.at5k.toFixed(0)} MB)`, '<= 1.3']] : []),
    ]
    const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => (r[i] as string).length)))
    log('')
    for (const row of table) log(row.map((c, i) => c.padEnd(widths[i] as number)).join('  '))
    const out = join(fileURLToPath(new URL('.', import.meta.url)), 'results')
    await mkdir(out, { recursive: true })
    await writeFile(join(out, `backup-${results.date.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(results, null, 2)}\n`)
  } finally {
    em.send({ type: 'stop' })
    await new Promise((r) => em.on('exit', r))
    await rm(dir, { recursive: true, force: true })
  }
}

const role = arg('--role')
await (role === 'emulator' ? emulatorRole() : role === 'backup' ? backupRole() : main())
