/** Plain-text tables and the small formatters every command's human output shares. */

export interface Column<T> {
  header: string
  get: (row: T) => string
  align?: 'left' | 'right'
}

/** A table with a header row and a rule under it; columns as wide as their widest cell. Empty string for no rows. */
export function renderTable<T>(columns: Column<T>[], rows: readonly T[]): string {
  if (rows.length === 0) return ''
  const cells = rows.map((r) => columns.map((c) => c.get(r)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => (row[i] as string).length)))
  const line = (values: string[]): string =>
    values
      .map((v, i) => (columns[i]?.align === 'right' ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

/** `2026-01-31 13:45:00` (UTC) from an ISO time. */
export function formatTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')
}

/** Human byte count: `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`
}

/** `1 snapshot`, `3 snapshots`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
