/**
 * `npm run demo`: kvdr end to end on embedded defaults. Today: start the Key Vault emulator in-process, seed a
 * vault through the official Azure SDK, and list it back the way kvdr inventories a vault (names, versions, tags;
 * never values). Grows with each capability.
 */
import { SecretClient } from '@azure/keyvault-secrets'
import { startEmulator } from '../src/emulator/index.js'

const SEED: { name: string; versions: string[]; tags?: Record<string, string>; contentType?: string }[] = [
  { name: 'db-password', versions: ['demo-pw-1', 'demo-pw-2', 'demo-pw-3'], tags: { env: 'prod', owner: 'payments' } },
  { name: 'api-key', versions: ['demo-key-1'], tags: { env: 'prod' }, contentType: 'text/plain' },
  { name: 'tls-passphrase', versions: ['demo-pass-1', 'demo-pass-2'] },
]

const emulator = await startEmulator({ port: 0 })
try {
  const vault = emulator.vault('kv-primary')
  console.log('kvdr demo: a local Azure Key Vault emulator stands in for Azure, so no cloud account is needed.\n')
  console.log(`Started the emulator with ${emulator.vaults.length} vaults (${emulator.vaults.map((v) => `${v.name} in ${v.region}`).join(', ')}).`)
  console.log(`Using ${vault.name}: ${vault.hostUrl} (HTTPS with a local CA, Key Vault's challenge authentication).\n`)

  const { vaultUrl, options } = emulator.clientSetup(vault.name)
  const client = new SecretClient(vaultUrl, emulator.credential, options)
  for (const s of SEED) {
    for (const value of s.versions) {
      await client.setSecret(s.name, value, { ...(s.tags ? { tags: s.tags } : {}), ...(s.contentType ? { contentType: s.contentType } : {}) })
    }
  }
  const versionsWritten = SEED.reduce((n, s) => n + s.versions.length, 0)
  console.log(`Seeded ${SEED.length} secrets (${versionsWritten} versions) through the official @azure/keyvault-secrets client.\n`)

  console.log('Inventory read back through the SDK (kvdr lists names, versions and tags, never secret values):')
  const rows: string[][] = [['SECRET', 'VERSIONS', 'LATEST UPDATED', 'TAGS']]
  for await (const props of client.listPropertiesOfSecrets()) {
    let versions = 0
    for await (const _ of client.listPropertiesOfSecretVersions(props.name)) versions++
    const tags = Object.entries(props.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '-'
    rows.push([props.name, String(versions), props.updatedOn?.toISOString() ?? '-', tags])
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  for (const r of rows) console.log(`  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd())
  console.log(`\nRun \`kvdr emulator start\` to keep an emulator running for your own DR rehearsals (docs/emulator.md).`)
} finally {
  await emulator.stop()
}
