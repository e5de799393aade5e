/** The typed confirmation `--purge-deleted` needs: the plan is shown, then the vault's name must be typed. */
import { createInterface } from 'node:readline/promises'
import { restoreReport } from './report.js'
import type { RestorePlan } from './types.js'

/**
 * Ask on a terminal before purging: print the plan on `output` and return true only when the vault's name (the first
 * label of its host) is typed. `yes` confirms without asking; without a terminal (and without `yes`) it returns false.
 */
export async function confirmPurgeByName(plan: RestorePlan, opts: { yes: boolean; input?: NodeJS.ReadStream; output?: NodeJS.WriteStream }): Promise<boolean> {
  if (opts.yes) return true
  const input = opts.input ?? process.stdin
  const output = opts.output ?? process.stderr
  if (!input.isTTY) return false
  const name = new URL(plan.target.url).hostname.split('.')[0] ?? ''
  const purges = plan.objects.filter((o) => o.purgeFirst).map((o) => `${o.kind}/${o.name}`)
  output.write(`${restoreReport({ dryRun: true, plan, summary: { done: 0, skipped: 0, warnings: 0, errors: 0, refused: 0 }, exitCode: 0 })}\n`)
  const rl = createInterface({ input, output })
  try {
    return (await rl.question(`This purges ${purges.length} soft-deleted object(s) for good (${purges.join(', ')}). Type the vault name (${name}) to go on: `)).trim() === name
  } finally {
    rl.close()
  }
}
