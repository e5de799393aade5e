/**
 * `npm run demo`: kvdr end to end on embedded defaults - start the Key Vault emulator in-process, seed a
 * realistic vault through the official Azure SDKs, back it up into a local encrypted repository, change a few
 * objects, back up again incrementally, list the snapshots, then break things and restore: the plan, a restore into
 * the same vault (recover, re-create, make the right value current) and into a DR vault in another geography (by
 * value; keys impossible there). No cloud account; no secret is ever printed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { runBackup, type BackupOptions, type BackupResult } from '../src/backup/backup.js'
import { restoreReport } from '../src/restore/report.js'
import { runRestore, type RestoreOptions, type RestoreRun } from '../src/restore/restore.js'
import { snapshotTable } from '../src/cli/render.js'
import { randomBytes } from '../src/crypto/mac.js'
import { startEmulator } from '../src/emulator/index.js'
import { initRepository } from '../src/repo/repository.js'
import { openLocation } from '../src/store/location.js'
import { parseResolve } from '../src/vault/transport.js'

const FAST = { intervalInMs: 50 }
const say = (line = ''): void => console.log(line)
const SUBSCRIPTION = '5f3e2c10-8d7b-4f6a-9e1c-2b4d6f8a0c01'

const emulator = await startEmulator({ port: 0, timing: { deleteDelayMs: 200, recoverDelayMs: 200, purgeDelayMs: 200, issueDelayMs: 200 } })
const dir = await mkdtemp(join(tmpdir(), 'kvdr-demo-'))
try {
  const vault = emulator.vault('kv-primary')
  say('kvdr demo: a local Azure Key Vault emulator stands in for Azure, so no cloud account is needed.')
  say(`Vault ${vault.name} (${vault.region}, ${vault.geography}) at ${vault.hostUrl}: HTTPS with a local CA and Key Vault's challenge authentication.`)
  say()

  // 1. Seed a vault the way applications fill real ones, through the official SDK clients.
  const { vaultUrl, options } = emulator.clientSetup(vault.name)
  const secrets = new SecretClient(vaultUrl, emulator.credential, options)
  const keys = new KeyClient(vaultUrl, emulator.credential, options)
  const certs = new CertificateClient(vaultUrl, emulator.credential, options)
  const value = (): string => Buffer.from(randomBytes(18)).toString('base64url') // demo values, never printed
  for (let i = 0; i < 3; i++) await secrets.setSecret('db-password', value(), { tags: { env: 'prod', owner: 'payments' } })
  await secrets.setSecret('api-key', value(), { tags: { env: 'prod' }, contentType: 'text/plain' })
  const old = await secrets.setSecret('legacy-token', value())
  await secrets.setSecret('legacy-token', value())
  await secrets.updateSecretProperties('legacy-token', old.properties.version as string, { enabled: false })
  await secrets.setSecret('temp-credential', value())
  await (await secrets.beginDeleteSecret('temp-credential', FAST)).pollUntilDone()
  await keys.createRsaKey('storage-cmk', { keySize: 2048, tags: { use: 'storage-encryption' } })
  await keys.createEcKey('release-signing', { curve: 'P-256' })
  await keys.updateKeyRotationPolicy('release-signing', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }], expiresIn: 'P1Y' })
  await certs.createIssuer('digicert-prod', 'DigiCert', { accountId: 'demo-account', organizationId: 'contoso' })
  await certs.setContacts([{ email: 'pki-team@contoso.example', name: 'PKI team' }])
  for (const [name, subject] of [['shop-tls', 'CN=shop.contoso.example'], ['api-tls', 'CN=api.contoso.example']] as const) {
    await (await certs.beginCreateCertificate(name, { issuerName: 'Self', subject, contentType: 'application/x-pkcs12', exportable: true, validityInMonths: 12 }, FAST)).pollUntilDone()
  }
  say('Seeded through @azure/keyvault-*: 4 secrets (one with 3 versions, one with a disabled version, one soft-deleted),')
  say('2 keys (RSA with tags, EC with a rotation policy), 2 self-signed certificates, a certificate issuer and contacts.')
  say()

  // 2. A local encrypted repository with a generated passphrase (kept in the environment, never shown).
  process.env.KVDR_PASSWORD ??= Buffer.from(randomBytes(24)).toString('base64url')
  const repoDir = join(dir, 'repository')
  const { store, locker } = await openLocation(repoDir, { create: true })
  const { repo } = await initRepository(store, { locker, toolVersion: 'demo', slots: [{ type: 'passphrase', passphrase: process.env.KVDR_PASSWORD, kdf: { N: 2 ** 15, r: 8, p: 1 } }] })
  say(`Created an encrypted repository in ${repoDir} (passphrase generated into KVDR_PASSWORD; not shown).`)

  // kvdr reaches the emulator as it reaches Azure: the vault's real host name, --resolve and --ca-file.
  const caFile = join(dir, 'emulator-ca.pem')
  await writeFile(caFile, emulator.caPem)
  const host = new URL(vault.hostUrl).hostname
  const run = (extra: Partial<BackupOptions> = {}): Promise<BackupResult> =>
    runBackup(repo, {
      targets: [{ url: vault.hostUrl, subscriptionId: SUBSCRIPTION }],
      modes: { native: true, value: true },
      credential: emulator.credential,
      transport: { caFiles: [caFile], resolve: parseResolve([`${host}=127.0.0.1`]) },
      tags: ['demo'],
      ...extra,
    })
  say(`Same as: kvdr backup --vault ${vault.hostUrl} --subscription ${SUBSCRIPTION} --repo ${repoDir} --ca-file ${caFile} --resolve ${host}=127.0.0.1 --tag demo`)
  say()

  const describe = (label: string, r: BackupResult): void => {
    const v = r.vaults[0]
    const c = v?.counts
    say(`${label}: snapshot ${v?.snapshot?.id.slice(0, 8)} - ${v?.status}, exit code ${r.exitCode}`)
    say(`  ${c?.listed} objects listed: ${c?.captured} fetched, ${c?.reused} unchanged (reused without a request), ${c?.deleted} soft-deleted; ${c?.vaultSettings} issuer/contact record(s)`)
    say(`  ${v?.requests?.requests} requests to the vault, ${v?.requests?.throttled} throttled; ${r.contents.uploaded} new encrypted contents stored, ${r.contents.reused} already there`)
    say(`  where it restores: subscription ${v?.world?.subscriptionId}, ${v?.world?.region} (${v?.world?.geography}) for native backups; values anywhere`)
    for (const p of v?.problems ?? []) say(`  ${p.severity}: ${p.kind}/${p.name}: ${p.message}`)
  }

  emulator.clock.advance(2000)
  const first = await run()
  describe('Full backup', first)
  say()

  // 3. Change a few things, as a normal day would, then back up again: only what changed is read.
  await secrets.setSecret('api-key', value(), { tags: { env: 'prod', rotated: 'yes' } })
  await keys.rotateKey('storage-cmk')
  await (await secrets.beginDeleteSecret('db-password', FAST)).pollUntilDone()
  emulator.clock.advance(2000)
  say('Changed: rotated api-key (new version) and storage-cmk (new key version), soft-deleted db-password.')
  const second = await run()
  describe('Incremental backup', second)
  say()

  const { snapshots } = await repo.listSnapshots()
  say('kvdr snapshots list:')
  say(snapshotTable(snapshots))
  say()
  say('Every value, PFX and native Key Vault backup above is sealed (AES-256-GCM) in the repository; the entries')
  say('record versions, attributes, tags, policies and where each object can be restored. See docs/backup.md.')
  say()

  // 4. An incident: a value overwritten by mistake, a secret deleted for good, a certificate soft-deleted.
  await secrets.setSecret('api-key', value(), { tags: { env: 'prod', note: 'overwritten by mistake' } })
  await (await secrets.beginDeleteSecret('legacy-token', FAST)).pollUntilDone()
  await secrets.purgeDeletedSecret('legacy-token')
  await (await certs.beginDeleteCertificate('shop-tls', FAST)).pollUntilDone()
  emulator.clock.advance(2000)
  say('Incident: api-key overwritten with a wrong value, legacy-token deleted and purged, shop-tls (certificate) soft-deleted.')
  say()
  const restoreInto = (target: string, extra: Partial<RestoreOptions> = {}): Promise<RestoreRun> =>
    runRestore(repo, {
      to: emulator.vault(target).hostUrl,
      from: vault.hostUrl,
      targetSubscription: SUBSCRIPTION,
      credential: emulator.credential,
      transport: { caFiles: [caFile], resolve: parseResolve([`${new URL(emulator.vault(target).hostUrl).hostname}=127.0.0.1`]) },
      ...extra,
    })
  say(`kvdr restore --to ${vault.hostUrl} --to-subscription ${SUBSCRIPTION} --on-conflict new-version --dry-run   (the plan; nothing written):`)
  const plan = await restoreInto(vault.name, { onConflict: 'new-version', dryRun: true })
  say(restoreReport(plan))
  say()
  const same = await restoreInto(vault.name, { onConflict: 'new-version' })
  say('The same without --dry-run:')
  for (const o of same.outcomes ?? []) if (o.status !== 'skipped') say(`  ${o.status.padEnd(7)} ${o.kind}/${o.name}: ${o.message}`)
  say(`  ${same.summary.skipped} identical object(s) skipped; exit code ${same.exitCode}`)
  say()

  // 5. Disaster recovery into a vault in another geography: native blobs cannot go there, values can.
  const dr = emulator.vault('kv-us')
  say(`Disaster recovery into ${dr.name} (${dr.region}, ${dr.geography}): kvdr restore --from ${vault.hostUrl} --to ${dr.hostUrl} --to-subscription ${SUBSCRIPTION}`)
  const far = await restoreInto(dr.name)
  say(restoreReport(far).split('\n').slice(0, 2).join('\n'))
  for (const o of far.outcomes ?? []) say(`  ${o.status.padEnd(7)} ${o.action.padEnd(10)} ${o.kind}/${o.name}: ${o.status === 'error' ? o.reason : o.message}`)
  say(`  exit code ${far.exitCode} (3: restored what can live there; the keys' material exists only in native blobs bound to their world)`)
  say()
  say('No secret value was printed. See docs/restore.md for modes, conflicts, --as-of, --rollback and --purge-deleted.')
  await store.close()
  process.exitCode = second.exitCode !== 0 ? second.exitCode : same.exitCode
} finally {
  await emulator.stop()
  await rm(dir, { recursive: true, force: true })
}
