/**
 * Secret values never leave sealed contents: after backups of secrets, exportable certificates, issuers with
 * credentials and keys, no seeded value (nor its base64, base64url or hex form, nor a key's private scalar)
 * appears in any raw repository blob, in the client cache, in the run's result or the CLI-facing reports, or in
 * any temp file the run left.
 */
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backupReport } from '../../src/backup/report.js'
import { keysOf, secretsOf } from '../../src/emulator/index.js'
import { DirectorySeenCache } from '../../src/repo/seen.js'
import { openLocation } from '../../src/store/location.js'
import { initRepository } from '../../src/repo/repository.js'
import { FAST_POLL } from '../support/emulator.js'
import { FAST_KDF, PASSPHRASE } from '../repo/support/data.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup } from './support.js'

let f: VaultFixture
let dir: string

const SECRET_VALUES = ['hunter2-prod-db-password', 'sk_live_51HqLyjWDarjtT1zdp7dc', '{"client_secret":"c7f3-very-secret"}', 'päss–wörd 🔑 unicode']
const ISSUER = { accountId: 'issuer-account-8841', password: 'issuer-password-5519' }

/** Every encoding of `s` a careless writer might have used. */
function forms(s: string | Buffer): string[] {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8')
  const out = [b.toString('base64'), b.toString('base64url'), b.toString('hex')]
  if (!Buffer.isBuffer(s)) out.push(s)
  return out.filter((x) => x.length >= 12)
}

async function files(root: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name))
  return out
}

let needles: string[]
let haystack: Array<{ where: string; text: string }>

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full' })
  dir = await mkdtemp(join(tmpdir(), 'kvdr-secrecy-'))
  const s = f.secrets()
  for (const [i, v] of SECRET_VALUES.entries()) await s.setSecret(`s${i}`, v)
  const c = f.certificates()
  await (await c.beginCreateCertificate('tls', { issuerName: 'Self', subject: 'CN=tls', contentType: 'application/x-pkcs12', exportable: true }, FAST_POLL)).pollUntilDone()
  await (await c.beginCreateCertificate('pem', { issuerName: 'Self', subject: 'CN=pem', contentType: 'application/x-pem-file', exportable: true }, FAST_POLL)).pollUntilDone()
  await c.createIssuer('ca', 'DigiCert', ISSUER)
  await f.keys().createRsaKey('cmk')
  f.em.clock.advance(2000)

  const model = f.em.model('kv-primary')
  const pfx = secretsOf(model).active('tls').versions.map((v) => v.payload.value)
  const pem = secretsOf(model).active('pem').versions.map((v) => v.payload.value)
  const privateKeys = ['cmk', 'tls', 'pem'].flatMap((k) => keysOf(model).active(k).versions.map((v) => (v.payload.material as { d: string }).d))
  needles = [...SECRET_VALUES.flatMap(forms), ...forms(ISSUER.accountId), ...forms(ISSUER.password), ...pfx.flatMap((p) => [p, ...forms(Buffer.from(p, 'base64'))]), ...pem.map((p) => p.split('\n')[1] as string), ...privateKeys, ...privateKeys.map((d) => Buffer.from(d, 'base64url').toString('hex'))]

  const repoDir = join(dir, 'repo')
  const cacheDir = join(dir, 'cache')
  const { store, locker } = await openLocation(repoDir, { create: true })
  const { repo } = await initRepository(store, { locker, kdf: FAST_KDF, cache: new DirectorySeenCache(cacheDir), slots: [{ type: 'passphrase', passphrase: PASSPHRASE, kdf: FAST_KDF }] })
  const first = await backup(f, repo)
  await f.secrets().setSecret('s0', 'hunter2-prod-db-password-rotated')
  needles.push(...forms('hunter2-prod-db-password-rotated'))
  f.em.clock.advance(2000)
  const second = await backup(f, repo, { full: true })
  expect([first.exitCode, second.exitCode]).toEqual([0, 0])
  haystack = [
    { where: 'result JSON', text: JSON.stringify([first, second]) },
    { where: 'human report', text: backupReport(first) + backupReport(second) },
  ]
  for (const file of [...(await files(repoDir)), ...(await files(cacheDir))]) haystack.push({ where: file, text: (await readFile(file)).toString('latin1') })
  await store.close()
})
afterAll(async () => {
  await f.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('secret values appear nowhere', () => {
  it('the search finds them where they are in the clear (the emulator\'s own state), and the backups wrote data', () => {
    const clear = JSON.stringify(f.em.model('kv-primary').state)
    const found = needles.filter((n) => clear.includes(n))
    expect(found).toEqual(expect.arrayContaining([SECRET_VALUES[0], SECRET_VALUES[1], SECRET_VALUES[3], ISSUER.accountId, ISSUER.password]))
    expect(needles.length).toBeGreaterThan(30)
    expect(haystack.filter((h) => h.where.includes(`${join('repo', 'data')}`)).length).toBeGreaterThan(20)
  })

  it('no raw repository blob, cache file, result or report holds a value in any common encoding', () => {
    const leaks: string[] = []
    for (const h of haystack) for (const n of needles) if (h.text.includes(n)) leaks.push(`${h.where} contains ${n.slice(0, 6)}…`)
    expect(leaks).toEqual([])
  })

  it('no temp files are left behind in the repository', () => {
    expect(haystack.filter((h) => h.where.includes('.kvdr-tmp-'))).toEqual([])
  })
})
