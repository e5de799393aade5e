/** The ObjectStore contract: one suite, run against every backend and wrapper stack (see *.test.ts here). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreError } from '../../src/store/errors.js'
import { type ObjectStore, StoreNotFoundError, StoreRefusedError } from '../../src/store/types.js'

export interface ContractOptions {
  /** 'refused' for stores that keep young blobs (WORM): delete must throw StoreRefusedError and keep the blob. */
  deletes?: 'allowed' | 'refused'
}

export interface StoreUnderTest {
  store: ObjectStore
  /** Remove what the factory created (temp dirs, containers). */
  cleanup?: () => Promise<void>
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Deterministic pseudo-random bytes (xorshift), so large blobs are not all-zero or repetitive. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed | 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

async function names(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = []
  for await (const blob of store.list(prefix)) out.push(blob.name)
  return out.sort()
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected the operation to fail')
}

/** Defines a describe block that checks `factory`'s store against the ObjectStore contract. */
export function storeContract(label: string, factory: () => Promise<StoreUnderTest>, options: ContractOptions = {}): void {
  describe(`ObjectStore contract: ${label}`, () => {
    let sut: StoreUnderTest
    let store: ObjectStore
    beforeAll(async () => {
      sut = await factory()
      store = sut.store
    })
    afterAll(async () => {
      await store?.close()
      await sut?.cleanup?.()
    })

    it('putIfAbsent creates once; a second put of the same name is "exists" and changes nothing', async () => {
      expect(await store.putIfAbsent('put/once', bytes('first'))).toBe('created')
      expect(await store.putIfAbsent('put/once', bytes('second, longer'))).toBe('exists')
      expect(new TextDecoder().decode(await store.get('put/once'))).toBe('first')
      expect((await store.stat('put/once'))?.size).toBe(5)
    })

    it('get of a missing name throws StoreNotFoundError naming the blob', async () => {
      const err = await caught(store.get('get/missing'))
      expect(err).toBeInstanceOf(StoreNotFoundError)
      expect((err as StoreNotFoundError).blobName).toBe('get/missing')
      expect((err as StoreNotFoundError).message).toContain(store.location)
    })

    it('stat reports name, size and creation time; undefined for missing names and for "directories"', async () => {
      const before = Date.now()
      await store.putIfAbsent('stat/dir/blob', new Uint8Array(1234))
      const info = await store.stat('stat/dir/blob')
      expect(info?.name).toBe('stat/dir/blob')
      expect(info?.size).toBe(1234)
      expect(info?.created).toBeInstanceOf(Date)
      // Storage timestamps have whole-second precision: created lies within a second of when we wrote it.
      expect(info!.created.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000)
      expect(await store.stat('stat/missing')).toBeUndefined()
      expect(await store.stat('stat/dir')).toBeUndefined()
    })

    it('list yields exactly the blobs under a prefix, with sizes, across segments and pages', async () => {
      const all = ['ls/a', 'ls/ab/1', 'ls/ab/2/x', 'ls/b/c/d/e', 'ls/bc', 'lsx']
      for (const [i, n] of all.entries()) await store.putIfAbsent(n, new Uint8Array(i))
      expect(await names(store, 'ls/')).toEqual(all.filter((n) => n.startsWith('ls/')))
      expect(await names(store, 'ls/a')).toEqual(['ls/a', 'ls/ab/1', 'ls/ab/2/x'])
      expect(await names(store, 'ls/ab/')).toEqual(['ls/ab/1', 'ls/ab/2/x'])
      expect(await names(store, 'ls/b')).toEqual(['ls/b/c/d/e', 'ls/bc'])
      expect(await names(store, 'ls/nothing/')).toEqual([])
      const everything = await names(store, '')
      for (const n of all) expect(everything).toContain(n)
      const sizes = new Map<string, number>()
      for await (const b of store.list('ls/')) sizes.set(b.name, b.size)
      expect(sizes.get('ls/b/c/d/e')).toBe(3)
      expect(sizes.get('ls/bc')).toBe(4)

      // More entries than a small page holds (backends under test set a small page size where they page).
      const many = Array.from({ length: 57 }, (_, i) => `pages/${String(i).padStart(3, '0')}`)
      await Promise.all(many.map((n) => store.putIfAbsent(n, bytes(n))))
      expect(await names(store, 'pages/')).toEqual(many)
    })

    it('list entries can be read while listing', async () => {
      await store.putIfAbsent('rw/1', bytes('one'))
      await store.putIfAbsent('rw/2', bytes('two'))
      const seen: string[] = []
      for await (const b of store.list('rw/')) seen.push(new TextDecoder().decode(await store.get(b.name)))
      expect(seen.sort()).toEqual(['one', 'two'])
    })

    if (options.deletes === 'refused') {
      it('delete of a young blob is refused and the blob stays; deleting a missing name is fine', async () => {
        await store.putIfAbsent('del/young', bytes('keep me'))
        expect(await caught(store.delete('del/young'))).toBeInstanceOf(StoreRefusedError)
        expect(new TextDecoder().decode(await store.get('del/young'))).toBe('keep me')
        await expect(store.delete('del/never-existed')).resolves.toBeUndefined()
      })
    } else {
      it('delete removes a blob (get, stat, list agree); deleting a missing name is fine; the name can be reused', async () => {
        await store.putIfAbsent('del/x', bytes('gone soon'))
        await store.putIfAbsent('del/y', bytes('stays'))
        await store.delete('del/x')
        expect(await caught(store.get('del/x'))).toBeInstanceOf(StoreNotFoundError)
        expect(await store.stat('del/x')).toBeUndefined()
        expect(await names(store, 'del/')).toEqual(['del/y'])
        await expect(store.delete('del/x')).resolves.toBeUndefined()
        await expect(store.delete('del/never-existed')).resolves.toBeUndefined()
        expect(await store.putIfAbsent('del/x', bytes('new'))).toBe('created')
        expect(new TextDecoder().decode(await store.get('del/x'))).toBe('new')
      })
    }

    it('round-trips binary data exactly: all 256 byte values, an empty blob, 1 MiB', async () => {
      const all = Uint8Array.from({ length: 512 }, (_, i) => i % 256)
      const big = pseudoRandomBytes(1024 * 1024, 42)
      expect(await store.putIfAbsent('bin/all', all)).toBe('created')
      expect(await store.putIfAbsent('bin/empty', new Uint8Array(0))).toBe('created')
      expect(await store.putIfAbsent('bin/big', big)).toBe('created')
      expect(Buffer.from(await store.get('bin/all')).equals(Buffer.from(all))).toBe(true)
      expect((await store.get('bin/empty')).byteLength).toBe(0)
      expect((await store.stat('bin/empty'))?.size).toBe(0)
      const back = await store.get('bin/big')
      expect(back.byteLength).toBe(big.byteLength)
      expect(Buffer.from(back).equals(Buffer.from(big))).toBe(true)
      expect((await store.stat('bin/big'))?.size).toBe(1024 * 1024)
    })

    it('a blob being written is never visible half-written: readers see nothing or all of it', async () => {
      const blobs = Array.from({ length: 8 }, (_, i) => ({ name: `atomic/${i}`, data: pseudoRandomBytes(1024 * 1024 + i, 100 + i) }))
      let writing = true
      const writes = Promise.all(blobs.map((b) => store.putIfAbsent(b.name, b.data))).finally(() => (writing = false))
      while (writing) {
        for (const b of blobs) {
          const got = await store.get(b.name).catch((err: unknown) => {
            if (err instanceof StoreNotFoundError) return undefined
            throw err
          })
          if (got === undefined) continue
          expect(got.byteLength).toBe(b.data.byteLength)
          expect(Buffer.from(got).equals(Buffer.from(b.data))).toBe(true)
        }
      }
      expect(await writes).toEqual(blobs.map(() => 'created'))
    })

    it('the caller may reuse its buffer after putIfAbsent, and mutating a get result changes nothing stored', async () => {
      const buf = bytes('original')
      await store.putIfAbsent('own/1', buf)
      buf.fill(0)
      const got = await store.get('own/1')
      expect(new TextDecoder().decode(got)).toBe('original')
      got.fill(0)
      expect(new TextDecoder().decode(await store.get('own/1'))).toBe('original')
    })

    it('concurrent putIfAbsent of one name: exactly one "created", and its content is what is stored', async () => {
      const writers = Array.from({ length: 16 }, (_, i) => bytes(`writer ${i} `.repeat(100 + i)))
      const results = await Promise.all(writers.map((data) => store.putIfAbsent('race/one', data)))
      const winners = results.flatMap((r, i) => (r === 'created' ? [i] : []))
      expect(winners).toHaveLength(1)
      expect(results.filter((r) => r === 'exists')).toHaveLength(writers.length - 1)
      const stored = await store.get('race/one')
      expect(Buffer.from(stored).equals(Buffer.from(writers[winners[0]!]!))).toBe(true)
    })

    it.each(['', '/abs', 'a//b', 'a/', '../up', 'a/../b', '.hidden', 'a/.tmp', 'sp ace', 'back\\slash', 'colon:x', 'x'.repeat(901)])(
      'rejects the invalid name %j with STORE_INVALID_NAME on every operation',
      async (name) => {
        for (const op of [() => store.putIfAbsent(name, bytes('x')), () => store.get(name), () => store.stat(name), () => store.delete(name)]) {
          const err = await caught(op())
          expect(err).toBeInstanceOf(StoreError)
          expect((err as StoreError).code).toBe('STORE_INVALID_NAME')
        }
      },
    )
  })
}
