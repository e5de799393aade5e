import { chmod, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/core/errors.js'
import { StoreError } from '../../src/store/errors.js'
import { FsStore, TEMP_PREFIX } from '../../src/store/fs.js'
import { expectedBlob } from './fixtures/fs-writer-data.js'
import { spawnFixture, tempDir } from './support.js'

/** Every file under dir (relative paths), temp files included. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
}

async function failure(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError)
    return err as StoreError
  }
  throw new Error('expected a failure')
}

describe('fs store', () => {
  it('a writer killed with SIGKILL mid-write leaves no partial blob under a final name; its temp files are ignored and swept', async () => {
    const { dir, remove } = await tempDir('crash')
    try {
      let tempsSeen = 0
      // Kill repeatedly until a kill has landed mid-write at least once (almost always the first time).
      for (let round = 0; round < 5 && tempsSeen === 0; round++) {
        // Fresh names each round: a rewrite of existing names would only take the fast 'exists' path.
        const writer = spawnFixture('fs-writer.ts', [dir, `r${round}`])
        for (let k = 0; k < 6 + round; k++) await writer.next('wrote')
        writer.kill('SIGKILL')
        expect(await writer.exited).toBe('SIGKILL')
        tempsSeen += (await allFiles(dir)).filter((f) => f.split('/').pop()!.startsWith(TEMP_PREFIX)).length
      }
      expect(tempsSeen).toBeGreaterThan(0)

      const store = await FsStore.open(dir)
      let checked = 0
      for await (const blob of store.list('')) {
        expect(blob.name).toMatch(/^w\/r\d\/\d\/\d+$/)
        const i = Number(blob.name.split('/')[3])
        const want = expectedBlob(i)
        expect(blob.size).toBe(want.byteLength)
        expect(Buffer.from(await store.get(blob.name)).equals(Buffer.from(want))).toBe(true)
        checked += 1
      }
      expect(checked).toBeGreaterThanOrEqual(6)
      expect(await store.sweepTemp()).toBe(0) // younger than the default hour: a live writer's files are safe
      expect(await store.sweepTemp({ olderThanMs: 0 })).toBe(tempsSeen)
      expect((await allFiles(dir)).filter((f) => f.includes(TEMP_PREFIX))).toEqual([])
    } finally {
      await remove()
    }
  })

  it('list ignores dot files and temp files; sweepTemp removes only old temp files', async () => {
    const { dir, remove } = await tempDir('temps')
    try {
      const store = await FsStore.open(dir)
      await store.putIfAbsent('data/ab/1', new Uint8Array([1]))
      await writeFile(join(dir, 'data', 'ab', `${TEMP_PREFIX}999-1-x`), 'half')
      await writeFile(join(dir, 'data', '.DS_Store'), 'junk')
      const listed: string[] = []
      for await (const b of store.list('')) listed.push(b.name)
      expect(listed).toEqual(['data/ab/1'])
      expect(await store.sweepTemp({ olderThanMs: 60_000 })).toBe(0)
      expect(await store.sweepTemp({ olderThanMs: 0 })).toBe(1)
      expect((await allFiles(dir)).sort()).toEqual(['data/.DS_Store', 'data/ab/1'])
    } finally {
      await remove()
    }
  })

  it.skipIf(process.platform === 'win32')('creates blobs 0600 in directories 0700', async () => {
    const { dir, remove } = await tempDir('modes')
    try {
      const store = await FsStore.open(join(dir, 'repo'), { create: true })
      await store.putIfAbsent('data/ab/cd/1', new Uint8Array([1]))
      for (const d of ['repo', 'repo/data', 'repo/data/ab', 'repo/data/ab/cd']) expect((await stat(join(dir, d))).mode & 0o777).toBe(0o700)
      expect((await stat(join(dir, 'repo/data/ab/cd/1'))).mode & 0o777).toBe(0o600)
    } finally {
      await remove()
    }
  })

  it('a missing root is RepoNotFound (exit 10) unless created; a file is not a repository; a symlinked root works', async () => {
    const { dir, remove } = await tempDir('missing')
    try {
      const err = await failure(FsStore.open(join(dir, 'nope')))
      expect(err.code).toBe('REPO_NOT_FOUND')
      expect(err.exitCode).toBe(ExitCode.RepoNotFound)
      expect(err.hint).toMatch(/kvdr repo init/)
      await writeFile(join(dir, 'file'), 'x')
      expect((await failure(FsStore.open(join(dir, 'file')))).code).toBe('REPO_NOT_FOUND')
      const created = await FsStore.open(join(dir, 'a', 'b'), { create: true })
      expect(created.location).toBe(`file://${dir}/a/b`)
      await created.putIfAbsent('config', new Uint8Array([5]))
      await symlink(join(dir, 'a', 'b'), join(dir, 'link'))
      const viaLink = await FsStore.open(join(dir, 'link'))
      expect(await viaLink.get('config')).toEqual(new Uint8Array([5]))
    } finally {
      await remove()
    }
  })

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('a directory it may not write is Forbidden (exit 21) with a hint', async () => {
    const { dir, remove } = await tempDir('perm')
    try {
      const store = await FsStore.open(dir)
      await chmod(dir, 0o500)
      const err = await failure(store.putIfAbsent('x', new Uint8Array(1)))
      expect(err.code).toBe('STORE_FORBIDDEN')
      expect(err.exitCode).toBe(ExitCode.Forbidden)
      await chmod(dir, 0o700)
    } finally {
      await remove()
    }
  })
})
