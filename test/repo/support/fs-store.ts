/**
 * The smallest local-directory ObjectStore the cross-process repository tests need (crash, concurrent
 * writers), until the store helper's src/store/fs.ts is merged: create-once via a temp file + link(),
 * which fails with EEXIST instead of overwriting. Not a product backend.
 */
import { randomUUID } from 'node:crypto'
import { link, mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { type BlobInfo, type ObjectStore, StoreNotFoundError } from '../../../src/store/types.js'

export class TestDirStore implements ObjectStore {
  readonly location: string
  constructor(private readonly root: string) {
    this.location = `file://${root}`
  }

  async putIfAbsent(name: string, data: Uint8Array): Promise<'created' | 'exists'> {
    const path = join(this.root, name)
    await mkdir(dirname(path), { recursive: true })
    const tmp = join(this.root, `.tmp-${randomUUID()}`)
    await writeFile(tmp, data, { flush: true })
    try {
      await link(tmp, path)
      return 'created'
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists'
      throw err
    } finally {
      await unlink(tmp)
    }
  }

  async get(name: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(join(this.root, name)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreNotFoundError(name, this.location)
      throw err
    }
  }

  async stat(name: string): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(join(this.root, name))
      return { name, size: s.size, created: s.mtime }
    } catch {
      return undefined
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    let entries: string[]
    try {
      entries = (await readdir(this.root, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.tmp-'))
        .map((e) => relative(this.root, join(e.parentPath, e.name)).split(sep).join('/'))
    } catch {
      return
    }
    for (const name of entries) {
      if (!name.startsWith(prefix)) continue
      const info = await this.stat(name)
      if (info) yield info
    }
  }

  async delete(name: string): Promise<void> {
    await unlink(join(this.root, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }

  async close(): Promise<void> {}
}
