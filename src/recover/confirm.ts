/**
 * The typed confirmation a purge needs: the user types the vault's name on the terminal. Without a terminal the
 * run needs --yes; nothing is purged until the name matches.
 */
import { createInterface } from 'node:readline/promises'
import { KvdrError, ExitCode, UsageError } from '../core/errors.js'

export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean }
  output: NodeJS.WritableStream
}

/**
 * A confirm callback for runRecover. With `yes` it accepts at once. Otherwise it throws UsageError (exit 2) when
 * `terminal.input` is not a TTY, asks for the vault name, and throws KvdrError CANCELLED (exit 23) when the answer
 * differs (nothing is purged).
 */
export function typedConfirmation(opts: { yes: boolean; terminal?: Terminal }): (plan: { vault: string; vaultName: string; objects: string[] }) => Promise<void> {
  return async (plan) => {
    if (opts.yes) return
    const terminal = opts.terminal ?? { input: process.stdin, output: process.stderr }
    if (!terminal.input.isTTY) {
      throw new UsageError('Purging is permanent and needs a typed confirmation, but there is no terminal to type it on.', { hint: 'Run it in a terminal, or pass --yes to confirm non-interactively (add --dry-run first to see what would be purged).' })
    }
    terminal.output.write(`About to PURGE for good from ${plan.vault}:\n${plan.objects.map((o) => `  ${o}\n`).join('')}This cannot be undone.\n`)
    const rl = createInterface({ input: terminal.input, output: terminal.output, terminal: false })
    try {
      const answer = (await rl.question(`Type the vault name (${plan.vaultName}) to purge: `)).trim()
      if (answer.toLowerCase() !== plan.vaultName.toLowerCase()) {
        throw new KvdrError('CANCELLED', ExitCode.Refused, 'Purge cancelled: the typed name does not match the vault; nothing was purged.', { hint: `Type ${plan.vaultName} exactly, or press Ctrl-C to stop.` })
      }
    } finally {
      rl.close()
    }
  }
}
