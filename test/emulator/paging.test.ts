/** List paging: maxresults validation, short and empty pages, absolute nextLinks, stability while objects are added. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../src/emulator/index.js'
import { rawRequest, secretClient, startTestEmulator, withApi } from '../support/emulator.js'

interface ListPage {
  value: { id: string; value?: unknown }[]
  nextLink: string | null
}

let ragged: EmulatorHandle
let full: EmulatorHandle
const NAMES = Array.from({ length: 12 }, (_, i) => `item-${String(i).padStart(2, '0')}`)

beforeAll(async () => {
  ragged = await startTestEmulator({ vaults: [{ name: 'kv-pages' }] })
  full = await startTestEmulator({ paging: 'full', vaults: [{ name: 'kv-pages' }] })
  for (const em of [ragged, full]) {
    const client = secretClient(em, 'kv-pages')
    for (const n of NAMES) await client.setSecret(n, `value-of-${n}`)
  }
})
afterAll(async () => {
  await ragged?.stop()
  await full?.stop()
})

async function page(em: EmulatorHandle, pathOrLink: string): Promise<ListPage> {
  const path = pathOrLink.startsWith('https://') ? new URL(pathOrLink).pathname + new URL(pathOrLink).search : pathOrLink
  const res = await rawRequest(em, 'kv-pages', 'GET', path, { auth: true })
  expect(res.status, res.text).toBe(200)
  return res.body as ListPage
}

/** Follow nextLinks from `first`, calling `between` after each page; returns every page. */
async function walk(em: EmulatorHandle, first: string, between: (pageIndex: number) => Promise<void> = async () => {}): Promise<ListPage[]> {
  const pages: ListPage[] = []
  let link: string | null = first
  while (link !== null) {
    const p = await page(em, link)
    pages.push(p)
    await between(pages.length - 1)
    link = p.nextLink
  }
  return pages
}

const nameOf = (id: string): string => id.split('/')[4] as string

describe('paging', () => {
  it.each([['0'], ['26'], ['-1'], ['2.5'], ['many']])('rejects maxresults=%s with 400 BadParameter', async (v) => {
    const res = await rawRequest(full, 'kv-pages', 'GET', withApi(`/secrets?maxresults=${v}`), { auth: true })
    expect(res.status).toBe(400)
    expect((res.body as { error: { code: string } }).error.code).toBe('BadParameter')
  })

  it('rejects a $skiptoken it did not issue', async () => {
    const res = await rawRequest(full, 'kv-pages', 'GET', withApi('/secrets?$skiptoken=bm90LWEtdG9rZW4'), { auth: true })
    expect(res.status).toBe(400)
  })

  it('in full mode fills pages up to maxresults and gives absolute nextLinks with $skiptoken and the same maxresults', async () => {
    const pages = await walk(full, withApi('/secrets?maxresults=5'))
    expect(pages.map((p) => p.value.length)).toEqual([5, 5, 2])
    const link = new URL(pages[0]?.nextLink as string)
    expect(`${link.protocol}//${link.host}`).toBe(full.vault('kv-pages').hostUrl)
    expect(link.pathname).toBe('/secrets')
    expect(link.searchParams.get('maxresults')).toBe('5')
    expect(link.searchParams.get('$skiptoken')).toBeTruthy()
    expect(pages.flatMap((p) => p.value.map((i) => nameOf(i.id)))).toEqual(NAMES)
    expect(JSON.stringify(pages)).not.toContain('value-of-')
  })

  it('in ragged mode returns an empty first page and short pages while nextLink continues', async () => {
    const pages = await walk(ragged, withApi('/secrets?maxresults=5'))
    expect(pages[0]?.value).toEqual([])
    expect(pages[0]?.nextLink).not.toBeNull()
    expect(pages.slice(1).every((p) => p.value.length <= 2)).toBe(true)
    expect(pages.flatMap((p) => p.value.map((i) => nameOf(i.id)))).toEqual(NAMES)
    expect(pages.at(-1)?.nextLink).toBeNull()
  })

  it('is followed by the SDK: byPage sees short pages and still yields every secret once', async () => {
    const seen: string[] = []
    const sizes: number[] = []
    for await (const p of secretClient(ragged, 'kv-pages').listPropertiesOfSecrets().byPage({ maxPageSize: 4 })) {
      sizes.push(p.length)
      for (const s of p) seen.push(s.name)
    }
    expect(sizes[0]).toBe(0)
    expect(seen.filter((n) => n.startsWith('item-'))).toEqual(NAMES)
  })

  it('stays stable while secrets are added during a listing: no duplicates, nothing that existed is skipped', async () => {
    const client = secretClient(full, 'kv-pages')
    const added = ['aaa-before-everything', 'item-05a-in-the-middle', 'zzz-after-everything']
    const pages = await walk(full, withApi('/secrets?maxresults=3'), async (i) => {
      if (i === 1) for (const n of added) await client.setSecret(n, 'late')
      if (i === 2) await client.setSecret('item-00', 'a new version of a listed secret')
    })
    const names = pages.flatMap((p) => p.value.map((i) => nameOf(i.id)))
    expect(new Set(names).size).toBe(names.length)
    for (const n of NAMES) expect(names).toContain(n)
    expect(names).toContain('item-05a-in-the-middle')
    expect(names).toContain('zzz-after-everything')
    expect(names).not.toContain('aaa-before-everything')
  })

  it('pages versions and deleted secrets the same way', async () => {
    const client = secretClient(full, 'kv-pages')
    for (let i = 0; i < 4; i++) await client.setSecret('many-versions', `v${i}`)
    const versions = await walk(full, withApi('/secrets/many-versions/versions?maxresults=2'))
    expect(versions.map((p) => p.value.length)).toEqual([2, 2])
    const ids = versions.flatMap((p) => p.value.map((v) => v.id.split('/')[5] as string))
    expect(ids).toEqual([...ids].sort())
    expect(new URL(versions[0]?.nextLink as string).pathname).toBe('/secrets/many-versions/versions')

    for (const n of ['gone-1', 'gone-2', 'gone-3']) {
      await client.setSecret(n, 'x')
      await (await client.beginDeleteSecret(n, { intervalInMs: 10 })).pollUntilDone()
    }
    const deleted = await walk(full, withApi('/deletedsecrets?maxresults=2'))
    expect(deleted.flatMap((p) => p.value.map((i) => nameOf(i.id)))).toEqual(['gone-1', 'gone-2', 'gone-3'])
    expect(new URL(deleted[0]?.nextLink as string).pathname).toBe('/deletedsecrets')
  })
})
