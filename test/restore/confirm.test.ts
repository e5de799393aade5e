/** The typed confirmation of --purge-deleted: only the vault's name typed on a terminal (or --yes) confirms. */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { confirmPurgeByName } from '../../src/restore/confirm.js'
import type { RestorePlan } from '../../src/restore/types.js'

const plan: RestorePlan = {
  snapshot: { id: 'a'.repeat(64), time: '2026-03-01T12:00:00.000Z', vault: 'https://prod-kv.vault.azure.net', world: {} },
  mode: 'auto',
  onConflict: 'skip',
  target: { url: 'https://prod-kv.vault.azure.net', world: {}, relation: 'unknown', assumptions: [] },
  permissions: [],
  objects: [{ kind: 'secret', name: 'db', source: 'secret/db', action: 'create', method: 'native', reason: 'purge first', target: 'deleted', versions: 2, purgeFirst: true, notes: [] }],
  counts: { create: 1, 'add-versions': 0, recover: 0, skip: 0, conflict: 0, impossible: 0 },
}

function terminal(answer: string | undefined): { input: NodeJS.ReadStream; output: NodeJS.WriteStream; shown: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: answer !== undefined }) as unknown as NodeJS.ReadStream
  const output = new PassThrough() as unknown as NodeJS.WriteStream
  let shown = ''
  ;(output as unknown as PassThrough).on('data', (d: Buffer) => (shown += d.toString()))
  if (answer !== undefined) setTimeout(() => (input as unknown as PassThrough).write(`${answer}\n`), 10)
  return { input, output, shown: () => shown }
}

describe('confirmPurgeByName', () => {
  it('confirms when the vault name is typed, after showing the plan and what is purged', async () => {
    const t = terminal('prod-kv')
    expect(await confirmPurgeByName(plan, { yes: false, input: t.input, output: t.output })).toBe(true)
    expect(t.shown()).toContain('secret/db')
    expect(t.shown()).toContain('Type the vault name (prod-kv)')
  })

  it('refuses anything else, and a missing terminal; --yes confirms without asking', async () => {
    const wrong = terminal('yes')
    expect(await confirmPurgeByName(plan, { yes: false, input: wrong.input, output: wrong.output })).toBe(false)
    const none = terminal(undefined)
    expect(await confirmPurgeByName(plan, { yes: false, input: none.input, output: none.output })).toBe(false)
    expect(none.shown()).toBe('')
    expect(await confirmPurgeByName(plan, { yes: true, input: none.input, output: none.output })).toBe(true)
  })
})
