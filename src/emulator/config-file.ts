/**
 * Emulator config files (YAML or JSON): read, parse and validate, with errors naming the file, the field, its line
 * and column, and the problem.
 */
import { readFile } from 'node:fs/promises'
import { LineCounter, parseDocument, type Document } from 'yaml'
import { UsageError, errorMessage } from '../core/errors.js'
import type { Locator } from './config-check.js'
import { resolveConfig, type EmulatorConfig } from './options.js'

/**
 * Parse config `text` from `source` (a file name, for messages). YAML is a superset of JSON, so both work.
 * Throws UsageError for syntax errors (with line and column) and invalid fields (with their line and column).
 */
export function parseEmulatorConfig(text: string, source: string): EmulatorConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const syntax = doc.errors[0]
  if (syntax) {
    const pos = syntax.linePos?.[0]
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : ''
    throw new UsageError(`${source}: not valid YAML or JSON${where}: ${errorMessage(syntax).split('\n')[0]}`, {
      hint: 'Fix the syntax; docs/emulator.md shows a complete example.',
    })
  }
  const config = (doc.toJS() ?? {}) as EmulatorConfig
  resolveConfig(config, source, locator(doc, lines))
  return config
}

/** Read and validate the config file at `path`. Throws UsageError when it cannot be read or is invalid. */
export async function loadEmulatorConfig(path: string): Promise<EmulatorConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new UsageError(`Cannot read the emulator config file ${path}: ${errorMessage(err)}`, { hint: 'Check the path given to --config.' })
  }
  return parseEmulatorConfig(text, path)
}

/** Line and column of a field path (`vaults[0].name`), or of its nearest existing parent. */
function locator(doc: Document, lines: LineCounter): Locator {
  return (path) => {
    if (!/^[A-Za-z]\w*(\[\d+\]|\.\w+)*$/.test(path)) return undefined
    const segs: (string | number)[] = []
    for (const m of path.matchAll(/(\w+)|\[(\d+)\]/g)) segs.push(m[2] === undefined ? (m[1] as string) : Number(m[2]))
    while (segs.length > 0) {
      const node = doc.getIn(segs, true) as { range?: [number, number, number] } | undefined
      if (node?.range) return lines.linePos(node.range[0])
      segs.pop()
    }
    return undefined
  }
}
