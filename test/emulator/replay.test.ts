/**
 * Replays the Azure SDK's own recorded sessions against the live Key Vault (test/emulator/recordings, copied from
 * shared/spec/keyvault/recordings) against the emulator. Recordings in scope must replay exactly; the others are
 * replayed and counted. The per-package counts are kept in docs/emulator.md and checked here (set
 * KVDR_UPDATE_DOCS=1 to rewrite them).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { startTestEmulator } from '../support/emulator.js'
import { listRecordings, loadRecording, replayRecording, type RecordingOutcome } from '../support/emulator-replay.js'

const RECORDINGS = fileURLToPath(new URL('./recordings', import.meta.url))
const DOC = fileURLToPath(new URL('../../docs/emulator.md', import.meta.url))

/**
 * Recordings that must replay exactly, per package: `all`, or paths relative to the package folder. The keys and
 * certificates modules switch theirs on here.
 */
const IN_SCOPE: Record<string, 'all' | readonly string[]> = {
  'keyvault-secrets': 'all',
  'keyvault-keys': 'all',
  'keyvault-certificates': 'all',
}

/**
 * Recordings of an in-scope package that cannot replay literally, with the reason (docs/emulator.md explains them).
 * They are replayed and counted with the out-of-scope ones.
 */
const NOT_LITERAL: Record<string, Readonly<Record<string, string>>> = {
  'keyvault-certificates': {
    'certificates_client__list_certificates_in_various_ways/recording_can_list_certificates.json':
      'the recorded vault also held 23 certificates of other test runs, so the listing cannot match in number',
    'certificates_client__merge_and_import_certificates/recording_can_merge_a_self_signed_certificate.json':
      "the merged x5c is a certificate the test's CA signed for the service's key pair, not for the emulator's",
  },
}

const results = new Map<string, { total: number; inScope: number; passed: number }>()
let em: EmulatorHandle
let vaultCounter = 0

beforeAll(async () => {
  em = await startTestEmulator({ clock: new ManualClock(Date.UTC(2025, 0, 1), { running: false }), paging: 'full', vaults: [{ name: 'kv-replay-base' }] })
})
afterAll(async () => {
  await em?.stop()
})

function report(o: RecordingOutcome): string {
  const lines = [o.file]
  for (const e of o.entries) for (const p of e.problems) lines.push(`  #${e.index} ${e.method} ${e.path}: ${p}`)
  for (const p of o.problems) lines.push(`  ${p}`)
  return lines.join('\n')
}

async function replay(pkg: string, file: string): Promise<RecordingOutcome> {
  return replayRecording(em, pkg, file, loadRecording(RECORDINGS, pkg, file), `replay-${++vaultCounter}`)
}

for (const [pkg, scope] of Object.entries(IN_SCOPE)) {
  const all = listRecordings(RECORDINGS, pkg)
  const literal = (f: string): boolean => !Object.hasOwn(NOT_LITERAL[pkg] ?? {}, f)
  const inScope = (scope === 'all' ? all : all.filter((f) => scope.includes(f))).filter(literal)
  const outOfScope = all.filter((f) => !inScope.includes(f))
  const tally = { total: all.length, inScope: inScope.length, passed: 0 }
  results.set(pkg, tally)

  describe(`replay ${pkg}`, () => {
    for (const file of inScope) {
      it(file, async () => {
        const outcome = await replay(pkg, file)
        if (outcome.passed) tally.passed++
        expect(outcome.passed, report(outcome)).toBe(true)
      })
    }
    if (outOfScope.length > 0) {
      it(`replays the ${outOfScope.length} recordings not in scope yet and counts them`, async () => {
        for (const file of outOfScope) if ((await replay(pkg, file)).passed) tally.passed++
        expect(tally.passed).toBeLessThanOrEqual(tally.total)
      })
    }
  })
}

describe('docs/emulator.md', () => {
  it('shows the replay results of this run', () => {
    const rows = [...results].map(([pkg, r]) => `| ${pkg} | ${r.total} | ${r.inScope} | ${r.passed} |`)
    const block = ['| package | recordings | in scope (must pass) | replayed exactly |', '|---|---|---|---|', ...rows].join('\n')
    const doc = readFileSync(DOC, 'utf8')
    const re = /(<!-- replay-results:begin -->\n)[\s\S]*?(<!-- replay-results:end -->)/
    expect(re.test(doc), 'docs/emulator.md lacks the replay-results markers').toBe(true)
    const updated = doc.replace(re, `$1${block}\n$2`)
    if (process.env.KVDR_UPDATE_DOCS === '1') writeFileSync(DOC, updated)
    else expect(updated, 'docs/emulator.md replay counts are stale: rerun with KVDR_UPDATE_DOCS=1').toBe(doc)
  })
})
