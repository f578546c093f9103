import { Readable } from 'node:stream';

/** A body read to its end within the limit: its bytes. */
export interface Whole {
  whole: Buffer;
}

/** A body longer than the limit: a stream of every byte (those read so far first, then the rest). */
export interface Longer {
  stream: Readable;
}

/**
 * Read `source` until it ends or passes `limit` bytes, whichever comes first. A body that ends
 * within the limit is returned whole, so the store can publish it with one PUT once its hash is
 * known; a longer one comes back as a stream that replays what was read, then the rest, for a
 * multipart upload. At most `limit` bytes plus one chunk are held. An error of `source` rejects
 * (while reading the head) or errors the stream (afterwards).
 */
export async function readHead(source: Readable, limit: number): Promise<Whole | Longer> {
  const chunks = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await chunks.next();
    if (next.done) return { whole: Buffer.concat(head, size) };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    size += chunk.length;
    if (size > limit) break;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    while (head.length > 0) yield head.shift() as Buffer;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  }
  return { stream: Readable.from(replay(), { objectMode: false }) };
}
