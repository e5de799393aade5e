/** The typed confirmation of a purge: the vault name typed on a terminal, --yes, and no terminal. */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { typedConfirmation } from '../../src/recover/confirm.js'
import { rejection } from './support.js'

const PLAN = { vault: 'https://prod-kv.vault.azure.net', vaultName: 'prod-kv', objects: ['secret/old'] }

function terminal(typed: string, tty = true): { input: PassThrough & { isTTY?: boolean }; output: PassThrough; shown: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: tty })
  const output = new PassThrough()
  let shown = ''
  output.on('data', (c: Buffer) => (shown += c.toString()))
  setImmediate(() => input.end(`${typed}\n`))
  return { input, output, shown: () => shown }
}

describe('typedConfirmation', () => {
  it('accepts the vault name typed on the terminal and shows what will be purged', async () => {
    const t = terminal('prod-kv')
    await typedConfirmation({ yes: false, terminal: t })(PLAN)
    expect(t.shown()).toContain('secret/old')
    expect(t.shown()).toContain('Type the vault name (prod-kv)')
  })

  it('cancels on another name with exit 23', async () => {
    expect(await rejection(typedConfirmation({ yes: false, terminal: terminal('prod') })(PLAN))).toMatchObject({ code: 'CANCELLED', exitCode: 23 })
  })

  it('needs --yes without a terminal; --yes asks nothing', async () => {
    expect(await rejection(typedConfirmation({ yes: false, terminal: terminal('prod-kv', false) })(PLAN))).toMatchObject({ code: 'USAGE', exitCode: 2 })
    const t = terminal('', false)
    await typedConfirmation({ yes: true, terminal: t })(PLAN)
    expect(t.shown()).toBe('')
  })
})
