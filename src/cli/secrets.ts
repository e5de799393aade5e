/**
 * Getting secrets in and out of the CLI safely: passphrases from an environment variable, a file or a
 * no-echo prompt (never a command-line argument), recovery keys from a file, and the one-time recovery key
 * file written with mode 0600 and never overwritten.
 */
import { type FileHandle, open, readFile, unlink } from 'node:fs/promises'
import { UsageError } from '../core/errors.js'
import { formatRecoveryKey, parseRecoveryKey, RecoveryKeyFormatError } from '../crypto/recovery.js'
import { RepoKeyError } from '../repo/errors.js'

export const MIN_PASSPHRASE_LENGTH = 8

/** Where to look for a passphrase, in order: `file`, then `env[envVar]`, then a prompt when interactive. */
export interface PassphraseSource {
  file?: string
  envVar: string
  /** The prompt's text; no prompt when stdin is not a terminal. */
  prompt?: string
  /** Ask twice and compare (for a new passphrase). */
  confirm?: boolean
}

/**
 * The passphrase, or undefined when no source has one. Throws RepoKeyError (exit 12) when the file cannot
 * be read, UsageError when a new passphrase is too short or the two entries differ.
 */
export async function readPassphrase(source: PassphraseSource, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  let value: string | undefined
  if (source.file !== undefined) value = await readFirstLine(source.file, 'passphrase')
  else if (env[source.envVar] !== undefined && env[source.envVar] !== '') value = env[source.envVar]
  else if (source.prompt && process.stdin.isTTY) {
    value = await promptHidden(`${source.prompt}: `)
    if (source.confirm && (await promptHidden('Enter it again: ')) !== value) {
      throw new UsageError('The two passphrases differ.', { hint: 'Run the command again and type the same passphrase twice.' })
    }
  }
  if (value !== undefined && source.confirm && value.length < MIN_PASSPHRASE_LENGTH) {
    throw new UsageError(`A repository passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters.`, { hint: 'Choose a longer passphrase (a few random words work well).' })
  }
  return value
}

async function readFirstLine(file: string, what: string): Promise<string> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new RepoKeyError(`Cannot read the ${what} file ${file} (${code ?? 'unreadable'}).`, { hint: `Check the path and its permissions; the file should hold the ${what} on its first line.` })
  }
  const line = text.split(/\r?\n/)[0] ?? ''
  if (line === '') throw new RepoKeyError(`The ${what} file ${file} is empty.`, { hint: `Put the ${what} on the first line of the file.` })
  return line
}

/** Read a recovery key file. Throws RepoKeyError (exit 12) when it is missing, unreadable or mistyped. */
export async function readRecoveryKeyFile(file: string): Promise<Uint8Array> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new RepoKeyError(`Cannot read the recovery key file ${file} (${code ?? 'unreadable'}).`, {
      hint: 'Check the path (the file kvdr wrote when the recovery key was created), or open with the passphrase instead.',
    })
  }
  try {
    return parseRecoveryKey(text)
  } catch (err) {
    if (err instanceof RecoveryKeyFormatError) {
      throw new RepoKeyError(`The recovery key file ${file} does not hold a usable recovery key: ${err.message}.`, { hint: 'Compare it with the printed copy in your safe.' })
    }
    throw err
  }
}

/** A recovery key file created (empty, mode 0600) before the key exists, so a bad path fails before any slot is made. */
export interface ReservedRecoveryKeyFile {
  path: string
  /** Write the key and what it opens; returns the printed form of the key (to show once). */
  write(key: Uint8Array, about: { repositoryId: string; slotId: string; location: string; created: string }): Promise<string>
  /** Remove the file if nothing was written (the operation failed). */
  discard(): Promise<void>
}

/**
 * Create `file` exclusively with mode 0600. Throws UsageError when it exists (a recovery key file is never
 * overwritten) or cannot be created.
 */
export async function reserveRecoveryKeyFile(file: string): Promise<ReservedRecoveryKeyFile> {
  let handle: FileHandle
  try {
    handle = await open(file, 'wx', 0o600)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new UsageError(`Cannot create the recovery key file ${file} (${code === 'EEXIST' ? 'it already exists' : code ?? 'error'}).`, {
      hint: 'Name a new file; kvdr never overwrites a recovery key file.',
    })
  }
  let written = false
  return {
    path: file,
    async write(key, about) {
      const printed = formatRecoveryKey(key)
      try {
        await handle.writeFile(
          [
            '# kvdr offline recovery key',
            `# repository: ${about.repositoryId}`,
            `# location:   ${about.location}`,
            `# key slot:   ${about.slotId}`,
            `# created:    ${about.created}`,
            '# Anyone with this key and read access to the repository can decrypt every backup in it.',
            '# Print it, keep it in a safe, and delete this file from machines that run backups.',
            printed,
            '',
          ].join('\n'),
        )
        await handle.sync()
        written = true
      } finally {
        await handle.close()
      }
      return printed
    },
    async discard() {
      if (written) return
      await handle.close().catch(() => {})
      await unlink(file).catch(() => {})
    },
  }
}

/** Read a line from the terminal without echoing it. Ctrl-C aborts with a usage error. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  return new Promise((resolve, reject) => {
    let value = ''
    const wasRaw = stdin.isRaw
    stdin.setRawMode(true)
    stdin.resume()
    const done = (err?: Error): void => {
      stdin.off('data', onData)
      stdin.setRawMode(wasRaw)
      stdin.pause()
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003') return done(new UsageError('Cancelled.'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
  })
}
