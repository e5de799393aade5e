/** Run a kvdr command class in-process through oclif (`Command.run`) and capture its output and exit code. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Errors, type Command } from '@oclif/core'
import { vi } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

type CommandClass = { run(argv: string[], opts?: string): Promise<unknown> } & (new (...args: never[]) => Command)

/** Run `Cmd` with `argv`. Exit code 0 unless the command ended with an oclif ExitError; other throws propagate. */
export async function run(Cmd: CommandClass, argv: string[]): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`))
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`))
  try {
    await Cmd.run(argv, ROOT)
    return { code: 0, stdout, stderr: clean(stderr) }
  } catch (e) {
    if (e instanceof Errors.ExitError) return { code: e.oclif.exit ?? 1, stdout, stderr: clean(stderr) }
    throw e
  } finally {
    log.mockRestore()
    err.mockRestore()
  }
}

/** oclif warns once per process that commands run from source in tests; that is not the command's output. */
function clean(stderr: string): string {
  return stderr.replace(/ ›\s+Warning: Could not find source[\s\S]*?compiled source\.\n/, '')
}

/** Parse a command's --json stdout. */
export function json<T = Record<string, unknown>>(r: RunResult): T {
  return JSON.parse(r.stdout) as T
}

/** Write a passphrase file in `dir` and return its path. */
export async function passwordFile(dir: string, passphrase: string, name = 'pass.txt'): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, `${passphrase}\n`, { mode: 0o600 })
  return file
}
