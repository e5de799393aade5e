/** Emulator configuration: defaults, config files (YAML and JSON) and errors that name the file, the field and the problem. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../src/core/errors.js'
import { loadEmulatorConfig, parseEmulatorConfig, resolveConfig } from '../../src/emulator/index.js'

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError)
    return e as UsageError
  }
  throw new Error('expected a UsageError')
}

describe('defaults', () => {
  it('serve two vaults in one subscription and geography and one in another geography', () => {
    const c = resolveConfig({})
    const [primary, dr, us] = c.vaults.map((v) => v.settings)
    expect(c.vaults).toHaveLength(3)
    expect(primary?.subscriptionId).toBe(dr?.subscriptionId)
    expect(primary?.geography).toBe('Europe')
    expect(dr?.geography).toBe('Europe')
    expect(us?.geography).toBe('United States')
    expect(primary?.softDeleteRetentionDays).toBe(90)
    expect(c.paging).toBe('ragged')
  })

  it('give vaults consecutive dedicated ports after a fixed shared port', () => {
    expect(resolveConfig({ port: 8443 }).vaults.map((v) => v.port)).toEqual([8444, 8445, 8446])
    expect(resolveConfig({ port: 0 }).vaults.map((v) => v.port)).toEqual([0, 0, 0])
  })
})

describe('config files', () => {
  it('accepts YAML and JSON with the same meaning', () => {
    const yaml = parseEmulatorConfig(
      ['port: 9443', 'vaults:', '  - name: kv-a', '    region: westeurope', '    softDeleteRetentionDays: 7', '    purgeProtection: true'].join('\n'),
      'a.yaml',
    )
    const json = parseEmulatorConfig(JSON.stringify({ port: 9443, vaults: [{ name: 'kv-a', region: 'westeurope', softDeleteRetentionDays: 7, purgeProtection: true }] }), 'a.json')
    expect(yaml).toEqual(json)
    const v = resolveConfig(yaml).vaults[0]?.settings
    expect([v?.softDeleteRetentionDays, v?.purgeProtection]).toEqual([7, true])
  })

  it.each([
    ['vaults:\n  - name: kv-a\n    softDeleteRetentionDays: 5\n', 'vaults[0].softDeleteRetentionDays must be an integer from 7 to 90 (got 5).'],
    ['vaults:\n  - name: kv-a\n    region: marsnorth\n', "vaults[0].geography is required because region 'marsnorth' is not in the emulator's region table."],
    ['vaults:\n  - name: a\n', 'vaults[0].name must be 3-24 letters'],
    ['vaults:\n  - name: kv-a\n    colour: blue\n', "vaults[0] has unknown field 'colour'."],
    ['vaults:\n  - name: kv-a\n  - name: KV-A\n', "vault 'KV-A' is defined twice."],
    ['vaults:\n  - name: kv-a\n    subscriptionId: not-a-guid\n', "vaults[0].subscriptionId must be a GUID (got 'not-a-guid')."],
    ['vaults:\n  - name: kv-a\n    port: 9000\n  - name: kv-b\n    port: 9000\n', "vault 'kv-b'.port 9000 is already used"],
    ['paging: sometimes\n', "paging must be 'ragged' or 'full' (got 'sometimes')."],
    ['vaults: []\n', 'vaults must be a non-empty list'],
    ['prot: 8443\n', "the configuration has unknown field 'prot'."],
  ])('reports %j as a usage error naming the file and field', (text, expected) => {
    const err = usageError(() => parseEmulatorConfig(text, 'rehearsal.yaml'))
    expect(err.message.startsWith('rehearsal.yaml: ')).toBe(true)
    expect(err.message).toContain(expected)
    expect(err.hint).toBeTruthy()
  })

  it('reports syntax errors with line and column', () => {
    const err = usageError(() => parseEmulatorConfig('vaults:\n  - name: kv-a\n   bad: [\n', 'broken.yaml'))
    expect(err.message).toMatch(/^broken\.yaml: not valid YAML or JSON at line \d+, column \d+/)
  })

  describe('from disk', () => {
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kvdr-emu-config-'))
    })
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('loads a file and names a missing one', async () => {
      const path = join(dir, 'vaults.json')
      await writeFile(path, JSON.stringify({ vaults: [{ name: 'kv-disk', region: 'uksouth' }] }))
      expect((await loadEmulatorConfig(path)).vaults?.[0]?.name).toBe('kv-disk')
      await expect(loadEmulatorConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/Cannot read the emulator config file .*missing\.yaml/)
    })
  })
})
