/**
 * A restore under the emulator's own throttling (Key Vault's limits scaled to 2%, no Retry-After, the emulator
 * clock running 20x): every version is written once, kvdr's budget and retries absorb the 429s, and the requests
 * kvdr counted are the attempts the emulator saw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { secretsOf } from '../../src/emulator/index.js'
import { startVaultFixture, type VaultFixture } from '../vault/support.js'
import { backup, newRepo, type TestRepo } from '../backup/support.js'
import { restore } from './support.js'

const SECRETS = 20

let f: VaultFixture
let t: TestRepo

beforeAll(async () => {
  f = await startVaultFixture({ paging: 'full' })
  const secrets = secretsOf(f.em.model('kv-primary'))
  for (let i = 0; i < SECRETS; i++) {
    secrets.create(`t${i}`, { payload: { value: `first-${i}` } })
    f.em.clock.advance(1000)
    secrets.create(`t${i}`, { payload: { value: `second-${i}`, contentType: 'text/plain' } })
  }
  f.em.clock.advance(2000)
  t = await newRepo()
  expect((await backup(f, t.repo, { kinds: ['secret'] })).exitCode).toBe(ExitCode.Success)
})
afterAll(() => f.stop())

describe('restore under throttling', () => {
  it('completes every object with each version written once', async () => {
    f.em.control.configureThrottling({ enabled: true, factor: 0.02, retryAfter: false })
    const mark = f.audit.length
    const fx = f
    const tick = setInterval(() => fx.em.clock.advance(1900), 100)
    let r
    try {
      r = await restore(f, t.repo, 'kv-us')
    } finally {
      clearInterval(tick)
    }
    expect(r.exitCode).toBe(ExitCode.Success)
    const seen = f.audit.slice(mark).filter((x) => x.vault === 'kv-us')
    expect(seen.filter((x) => x.resultSignature === 429).length).toBeGreaterThan(0)
    expect(r.requests.throttled).toBe(seen.filter((x) => x.resultSignature === 429).length)
    expect(r.requests.requests).toBe(seen.length)
    const model = secretsOf(f.em.model('kv-us'))
    for (let i = 0; i < SECRETS; i++) {
      expect(model.listVersions(`t${i}`).map((v) => v.payload.value).sort()).toEqual([`first-${i}`, `second-${i}`])
      expect((await f.secrets('kv-us').getSecret(`t${i}`)).value).toBe(`second-${i}`)
    }
  }, 60_000)
})
