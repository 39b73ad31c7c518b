export interface ReadAheadOptions<T> {
  /** Fetches started but not yet consumed, at most. */
  maxItems: number;
  /** Bytes of those fetches, at most (one item is always allowed, however big). */
  maxBytes: number;
  sizeOf: (item: T) => number;
}

/**
 * Yields `fetch(item)` for every item in order while fetching a few items ahead, so the
 * zip never waits on one S3 round trip per frame. Bounded by count and by bytes: memory
 * depends on the window, never on how many items there are. A fetch starts only when the
 * consumer has room for it, so a slow consumer (the upload) slows the reads down.
 */
export async function* readAhead<T, R>(items: readonly T[], fetch: (item: T) => Promise<R>, opts: ReadAheadOptions<T>): AsyncGenerator<R> {
  const window: { promise: Promise<R>; bytes: number }[] = [];
  let windowBytes = 0;
  let next = 0;
  const fill = () => {
    while (next < items.length && window.length < Math.max(1, opts.maxItems)) {
      const item = items[next]!;
      const bytes = opts.sizeOf(item);
      if (window.length > 0 && windowBytes + bytes > opts.maxBytes) break;
      const promise = fetch(item);
      // Awaited in order below; until then a rejection must not count as unhandled.
      promise.catch(() => undefined);
      window.push({ promise, bytes });
      windowBytes += bytes;
      next++;
    }
  };
  fill();
  while (window.length > 0) {
    const head = window.shift()!;
    windowBytes -= head.bytes;
    const value = await head.promise;
    fill();
    yield value;
  }
}
