/** Emulator config files (YAML or JSON): read, parse and validate, with errors naming the file, the field and the problem. */
import { readFile } from 'node:fs/promises'
import { parse, YAMLParseError } from 'yaml'
import { UsageError, errorMessage } from '../core/errors.js'
import { resolveConfig, type EmulatorConfig } from './options.js'

/**
 * Parse config `text` from `source` (a file name, for messages). YAML is a superset of JSON, so both work.
 * Throws UsageError for syntax errors (with line and column) and invalid fields.
 */
export function parseEmulatorConfig(text: string, source: string): EmulatorConfig {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : ''
    throw new UsageError(`${source}: not valid YAML or JSON${where}: ${errorMessage(err).split('\n')[0]}`, {
      hint: 'Fix the syntax; docs/emulator.md shows a complete example.',
    })
  }
  const config = (raw ?? {}) as EmulatorConfig
  resolveConfig(config, source)
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
