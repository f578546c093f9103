/** Records read at once while listing a directory or a collection. */
export const READ_CONCURRENCY = 16;

/**
 * `fn` over every item of `source`, at most `limit` at a time, the one bounded-concurrency
 * mechanism of kluis (record reads, listings, scans). After a failure no new item starts; the
 * first failure is thrown once those running have ended.
 */
export async function forEachLimit<T>(source: Iterable<T> | AsyncIterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  for await (const item of source) {
    if (failure) break;
    const call: Promise<void> = fn(item)
      .catch((err: unknown) => {
        failure ??= { err };
      })
      .finally(() => running.delete(call));
    running.add(call);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure.err;
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  await forEachLimit(items.entries(), limit, async ([i, item]) => {
    out[i] = await fn(item);
  });
  return out;
}
