/** What every benchmark does at the end: print its table aligned, and keep its figures in bench/results/<name>-<time>.json. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Lines of `rows` (the first is the header) with every column padded to its widest cell. */
export function tableLines(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd())
}

/** Write `results` (with its ISO `date`) to bench/results/<name>-<date>.json; returns the path. */
export async function saveResults(name: string, results: { date: string }): Promise<string> {
  const out = join(fileURLToPath(new URL('.', import.meta.url)), 'results')
  await mkdir(out, { recursive: true })
  const file = join(out, `${name}-${results.date.replace(/[:.]/g, '-')}.json`)
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  return file
}
