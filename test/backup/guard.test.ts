/**
 * The 500-version limit: from 400 versions kvdr warns; above 500 Key Vault refuses a native backup, so kvdr does
 * not ask for one, captures the values instead (even in native-only mode) and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BackupResult } from '../../src/backup/backup.js'
import type { SecretRecord } from '../../src/backup/records.js'
import { ExitCode } from '../../src/core/errors.js'
import { secretsOf } from '../../src/emulator/index.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, entriesByName, newRepo, text } from './support.js'

let f: VaultFixture
let result: BackupResult
let entries: Awaited<ReturnType<typeof entriesByName>>
let repo: Awaited<ReturnType<typeof newRepo>>['repo']

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full' })
  const secrets = secretsOf(f.em.model('kv-primary'))
  for (let i = 0; i < 402; i++) secrets.create('busy', { payload: { value: `busy-${i}` } })
  for (let i = 0; i < 503; i++) secrets.create('runaway', { payload: { value: `runaway-${i}` } })
  secrets.create('calm', { payload: { value: 'calm-0' } })
  f.em.clock.advance(2000)
  ;({ repo } = await newRepo())
  // Native capture only: values are taken only where the native backup cannot be.
  result = await backup(f, repo, { kinds: ['secret'], modes: { native: true, value: false } })
  entries = await entriesByName(repo, result.vaults[0]?.snapshot as { id: string })
})
afterAll(() => f.stop())

describe('the version guard', () => {
  it('warns from 400 versions and still takes the native backup', () => {
    const busy = entries.get('secret/busy')?.data as unknown as SecretRecord
    expect(busy.native?.versions).toBe(402)
    expect(busy.versions.every((v) => v.capture === 'native-only')).toBe(true)
    const warning = result.vaults[0]?.problems.find((p) => p.name === 'busy')
    expect(warning?.severity).toBe('warning')
    expect(warning?.message).toContain('402 versions')
  })

  it('above 500: no native backup is attempted; every value is captured instead, with a warning', async () => {
    const runaway = entries.get('secret/runaway')?.data as unknown as SecretRecord
    expect(runaway.native).toBeNull()
    expect(runaway.versions).toHaveLength(503)
    expect(runaway.versions.every((v) => v.capture === 'value')).toBe(true)
    expect(await text(repo, runaway.versions.at(-1)?.value as string)).toBe('runaway-502')
    expect(runaway.restore).toMatchObject({ sameWorld: false, anywhere: 'all' })
    const p = result.vaults[0]?.problems.find((x) => x.name === 'runaway')
    expect(p?.severity).toBe('warning')
    expect(p?.message).toContain('refuses more than 500')
    // Not one backup request was sent for it (Key Vault would refuse it).
    expect(f.audit.filter((r) => r.operationName === 'SecretBackup' && r.requestUri.includes('/secrets/runaway/'))).toHaveLength(0)
  })

  it('warnings alone keep the exit code at 0', () => {
    expect(result.exitCode).toBe(ExitCode.Success)
    expect((entries.get('secret/calm')?.data as unknown as SecretRecord).native?.versions).toBe(1)
  })
})
