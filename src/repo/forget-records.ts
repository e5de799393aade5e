/**
 * Forget records (`forgotten/<id>`): sealed, create-once notes written by `snapshots forget` before it
 * deletes manifests, naming what it removed. They let a client tell a legitimate forget from a rollback
 * (someone deleting the newest snapshots), which it could not otherwise distinguish.
 */
import { openEnvelope, sealEnvelope } from '../crypto/envelope.js'
import { AuthenticationError } from '../crypto/errors.js'
import { forgetIdHex } from '../crypto/ids.js'
import type { MasterKeys } from '../crypto/master.js'
import type { ObjectStore } from '../store/types.js'
import { collect, mapLimit } from './concurrency.js'
import { isRecord, parseJsonBytes, utf8 } from './encoding.js'
import type { BlobProblem } from './snapshots.js'
import { isSnapshotId, type SnapshotId } from './types.js'

export const FORGOTTEN_PREFIX = 'forgotten/'

export interface ForgottenSnapshot {
  id: SnapshotId
  seq: number
  time: string
  vault: string
}

export interface ForgetRecord {
  time: string
  snapshots: ForgottenSnapshot[]
}

export class ForgetRecords {
  constructor(
    private readonly store: ObjectStore,
    private readonly keys: MasterKeys,
    private readonly repositoryId: string,
  ) {}

  private context(id: string): string {
    return `kvdr/forget/v1\0${this.repositoryId}\0${id}`
  }

  /** Store a record (create-once). Returns its blob name. */
  async write(record: ForgetRecord): Promise<string> {
    const plain = utf8(JSON.stringify({ format: 'kvdr-forget', version: 1, repositoryId: this.repositoryId, ...record }))
    const id = forgetIdHex(this.keys.idKey, plain)
    const name = `${FORGOTTEN_PREFIX}${id}`
    await this.store.putIfAbsent(name, sealEnvelope(this.keys.encKey, 'forget', this.context(id), plain))
    return name
  }

  /** Every readable record, and a problem for each that does not authenticate or parse. */
  async list(): Promise<{ records: ForgetRecord[]; problems: BlobProblem[] }> {
    const names = (await collect(this.store.list(FORGOTTEN_PREFIX))).map((b) => b.name)
    const problems: BlobProblem[] = []
    const records = await mapLimit(names, 16, async (name) => {
      const id = name.slice(FORGOTTEN_PREFIX.length)
      try {
        const plain = openEnvelope(this.keys.encKey, 'forget', this.context(id), await this.store.get(name))
        if (forgetIdHex(this.keys.idKey, plain) !== id) throw new AuthenticationError()
        const r = parseJsonBytes(plain)
        if (!isRecord(r) || r.repositoryId !== this.repositoryId || typeof r.time !== 'string' || !Array.isArray(r.snapshots) || !r.snapshots.every(isForgotten)) {
          problems.push({ blob: name, message: 'forget record is malformed' })
          return undefined
        }
        return { time: r.time, snapshots: r.snapshots } as ForgetRecord
      } catch (err) {
        if (!(err instanceof AuthenticationError)) throw err
        problems.push({ blob: name, message: 'forget record is damaged or altered' })
        return undefined
      }
    })
    return { records: records.filter((r): r is ForgetRecord => r !== undefined), problems }
  }
}

function isForgotten(s: unknown): s is ForgottenSnapshot {
  return isRecord(s) && isSnapshotId(s.id) && Number.isInteger(s.seq) && typeof s.time === 'string' && typeof s.vault === 'string'
}
