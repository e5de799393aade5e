/** Bounded concurrency for store round trips: memory and sockets grow with the limit, never with the input. */

/**
 * Run `fn` over `items` with at most `limit` calls in flight; results keep the input order. Every item is
 * attempted; if any call throws, the first error is rethrown after all calls have settled.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failed: { err: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      try {
        results[i] = await fn(items[i] as T, i)
      } catch (err) {
        failed ??= { err }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failed) throw failed.err
  return results
}

/** Collect an async iterable into an array (for listings whose size is the number of blobs of one kind). */
export async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iter) out.push(x)
  return out
}
