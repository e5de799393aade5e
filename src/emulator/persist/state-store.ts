/**
 * Persistence of vault state (`--state-dir`): one file per vault (its definition and its complete state: objects,
 * versions, soft-deleted objects and purge dates) and the clock. Writes are crash-safe: a temporary file is written
 * and fsynced, renamed over the old one, and the directory is fsynced, so a file is always either the old or the new
 * state. Writes of one vault are coalesced: a change made while a write runs is covered by the next write.
 * The files hold secret values and private keys: the directory is 0700 and the files 0600.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ExitCode, KvdrError, errorMessage } from '../../core/errors.js'
import type { VaultState } from '../model/vault.js'
import type { VaultDefinition } from '../options.js'

/** What is stored per vault. */
export interface StoredVault {
  /** The vault's definition as it was served (so vaults added at run time come back). */
  definition: VaultDefinition
  state: VaultState
}

/** The clock as it was at the last write. */
export interface StoredClock {
  /** Emulator time, epoch ms. */
  emulatorTime: number
  /** Wall-clock time of that moment, epoch ms. */
  wallTime: number
}

const FORMAT = 1

export class StateStore {
  private readonly pending = new Map<string, { running: Promise<void>; queued?: Promise<void> }>()

  private constructor(readonly dir: string) {}

  /** Open (creating if needed) a state directory. */
  static async open(dir: string): Promise<StateStore> {
    await mkdir(join(dir, 'vaults'), { recursive: true, mode: 0o700 })
    return new StateStore(dir)
  }

  /** Every stored vault. Throws KvdrError naming the file when one is unreadable. */
  async loadVaults(): Promise<StoredVault[]> {
    const dir = join(this.dir, 'vaults')
    const names = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()
    const out: StoredVault[] = []
    for (const f of names) {
      const path = join(dir, f)
      const parsed = await readJson(path)
      const v = parsed as { format?: unknown; definition?: VaultDefinition; state?: VaultState }
      if (v.format !== FORMAT || typeof v.definition?.name !== 'string' || typeof v.state?.settings !== 'object' || typeof v.state.collections !== 'object') {
        throw damaged(path, 'it is not an emulator vault state file')
      }
      out.push({ definition: v.definition, state: v.state })
    }
    return out
  }

  /**
   * Make `snapshot()` durable for vault `name`. Resolves once a write that started after this call has finished,
   * so the caller's changes are on disk.
   */
  saveVault(name: string, snapshot: () => StoredVault): Promise<void> {
    const key = name.toLowerCase()
    const write = (): Promise<void> => writeAtomic(this.vaultPath(key), JSON.stringify({ format: FORMAT, ...snapshot() }))
    const p = this.pending.get(key)
    if (p?.queued) return p.queued
    if (p) {
      const queued = p.running.catch(() => undefined).then(write)
      p.queued = queued
      void queued.catch(() => undefined).then(() => this.advance(key, queued))
      return queued
    }
    const running = write()
    this.pending.set(key, { running })
    void running.catch(() => undefined).then(() => this.advance(key, running))
    return running
  }

  private advance(key: string, finished: Promise<void>): void {
    const p = this.pending.get(key)
    if (!p) return
    if (p.running === finished) {
      if (p.queued) this.pending.set(key, { running: p.queued })
      else this.pending.delete(key)
    } else if (p.queued === finished) {
      this.pending.delete(key)
    }
  }

  /** Forget a vault's stored state. */
  async removeVault(name: string): Promise<void> {
    await this.pending.get(name.toLowerCase())?.queued?.catch(() => undefined)
    await rm(this.vaultPath(name.toLowerCase()), { force: true })
  }

  /** Wait for every write in flight. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => (p.queued ?? p.running).catch(() => undefined)))
  }

  async loadClock(): Promise<StoredClock | undefined> {
    const path = join(this.dir, 'clock.json')
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    const c = parseJson(path, text) as Partial<StoredClock>
    if (typeof c.emulatorTime !== 'number' || typeof c.wallTime !== 'number') throw damaged(path, 'it does not hold emulatorTime and wallTime')
    return { emulatorTime: c.emulatorTime, wallTime: c.wallTime }
  }

  saveClock(clock: StoredClock): Promise<void> {
    return writeAtomic(join(this.dir, 'clock.json'), JSON.stringify(clock))
  }

  private vaultPath(key: string): string {
    return join(this.dir, 'vaults', `${key}.json`)
  }
}

/** Write `content` to `path` so that a crash leaves either the old or the new file. */
async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(content, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  const dir = await open(join(path, '..'), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

async function readJson(path: string): Promise<unknown> {
  return parseJson(path, await readFile(path, 'utf8'))
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw damaged(path, errorMessage(err))
  }
}

function damaged(path: string, why: string): KvdrError {
  return new KvdrError('EMULATOR_STATE', ExitCode.Failure, `The emulator state file ${path} cannot be used: ${why}.`, {
    hint: 'Restore the file from a copy, delete it to drop that vault, or start with another --state-dir.',
  })
}
