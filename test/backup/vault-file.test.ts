/** `--vault-file` parsing: YAML and JSON, subscriptions and tags, and errors that name the file, entry and field. */
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/core/errors.js'
import { parseVaultFile } from '../../src/backup/vault-file.js'

const SUB = '00000000-0000-0000-0000-000000000001'

describe('vault files', () => {
  it('reads YAML and JSON, normalising URLs', () => {
    const yaml = `vaults:\n  - url: https://Prod-KV.vault.azure.net/\n    subscription: ${SUB}\n    tags: [prod, payments]\n  - https://dev-kv.vault.azure.net\n`
    expect(parseVaultFile(yaml, 'v.yaml')).toEqual([
      { url: 'https://prod-kv.vault.azure.net', subscriptionId: SUB, tags: ['prod', 'payments'] },
      { url: 'https://dev-kv.vault.azure.net' },
    ])
    expect(parseVaultFile(JSON.stringify([{ url: 'https://a.vault.azure.net', subscriptionId: SUB }]), 'v.json')).toEqual([{ url: 'https://a.vault.azure.net', subscriptionId: SUB }])
  })

  it('names the file, the entry and the field at fault', () => {
    const cases: Array<[string, RegExp]> = [
      ['vaults: []', /v\.yaml lists no vaults/],
      ['vaults:\n  - subscription: x', /vaults\[0\]\.url is missing/],
      ['vaults:\n  - url: http://a.vault.azure.net', /vaults\[0\]\.url: .*not an https URL/],
      [`vaults:\n  - url: https://a.vault.azure.net\n    subscription: nope`, /vaults\[0\]\.subscription: "nope" is not a subscription id/],
      ['vaults:\n  - url: https://a.vault.azure.net\n    region: westeurope', /vaults\[0\] has unknown field\(s\) region/],
      ['vaults:\n  - url: https://a.vault.azure.net\n  - url: https://A.vault.azure.net/', /vaults\[1\]\.url: https:\/\/a\.vault\.azure\.net is listed twice/],
      ['vaults:\n  - url: https://a.vault.azure.net\n    tags: [ok, "not ok"]', /vaults\[0\]\.tags: "not ok" is not a valid tag/],
      ['vaults: [unclosed', /v\.yaml is not valid YAML/],
    ]
    for (const [text, message] of cases) {
      const err = (() => {
        try {
          parseVaultFile(text, 'v.yaml')
        } catch (e) {
          return e
        }
      })()
      expect(err, text).toBeInstanceOf(UsageError)
      expect((err as UsageError).message).toMatch(message)
    }
  })
})
