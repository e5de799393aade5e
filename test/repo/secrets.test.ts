/** Secrets never reach storage in the clear: grep every stored blob for them. */
import { describe, expect, it } from 'vitest'
import { formatRecoveryKey } from '../../src/crypto/recovery.js'
import type { ContentId, Entry } from '../../src/repo/types.js'
import { blobNames, emptySummary, memoryRepo, PASSPHRASE, VAULT } from './support/fixtures.js'

const MARKER = 'KVDR-SECRET-MARKER-6f1c2a9e'

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1
}

describe('secrets in stored blobs', () => {
  it('no blob contains secret values, the passphrase, the recovery key or the master keys, in any common encoding', async () => {
    const { repo, store, slots } = await memoryRepo({ pageSize: 3, extraSlots: [{ type: 'recovery' }] })
    await repo.withWriter('backup', async (w) => {
      const entries: Entry[] = []
      for (let i = 0; i < 10; i++) {
        const ref: ContentId = await w.saveContent('secret-value', new TextEncoder().encode(`${MARKER}-${i}`))
        entries.push({ kind: 'secret', name: `s${i}`, refs: [ref], data: { contentType: 'text/plain' } })
      }
      await w.writeSnapshot({ vault: VAULT, tags: ['t'] }, entries, emptySummary(10))
    })
    const recoveryKey = slots[1]?.recoveryKey as Uint8Array
    const secrets: Array<[string, Uint8Array]> = [
      ['marker', Buffer.from(MARKER)],
      ['passphrase', Buffer.from(PASSPHRASE)],
      ['recovery key (printed)', Buffer.from(formatRecoveryKey(recoveryKey))],
      ['recovery key (raw)', recoveryKey],
      ['encryption key (raw)', repo.keys.encKey],
      ['id key (raw)', repo.keys.idKey],
    ]
    const forms = (s: Uint8Array): Uint8Array[] => [s, Buffer.from(Buffer.from(s).toString('base64').slice(0, 16)), Buffer.from(Buffer.from(s).toString('hex'))]
    const all = await blobNames(store)
    expect(all.length).toBeGreaterThan(15)
    for (const name of all) {
      const bytes = await store.get(name)
      for (const [what, secret] of secrets) {
        for (const form of forms(secret)) expect(contains(bytes, form), `${what} in ${name}`).toBe(false)
      }
    }
    // The search itself works: the marker is found once decrypted.
    const snap = (await repo.listSnapshots()).snapshots[0]
    const first = await repo.entries(snap as NonNullable<typeof snap>)[Symbol.asyncIterator]().next()
    expect(contains(await repo.loadContent((first.value as Entry).refs[0] as ContentId), Buffer.from(MARKER))).toBe(true)
  })
})
