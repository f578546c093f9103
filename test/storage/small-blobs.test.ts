/** SmallBlobCache over the local-disk store: what a first read costs, and what it returns. */
import { rm } from 'node:fs/promises';
import test from 'ava';
import { openFsStorage } from '../../src/storage/fs/index.js';
import { SmallBlobCache } from '../../src/storage/small-blobs.js';
import { bytes, store } from '../contracts/blob-store.js';
import { tempDir } from '../helpers/server.js';

test('a first read of a small blob asks the store for its bytes only, so that it is not read into 4 MiB stream buffers', async (t) => {
  // Each first read of a 4 KiB file allocated two 4 MiB read buffers; at hundreds of first reads
  // a second the garbage collector paused for tens of milliseconds.
  const dir = await tempDir('kluis-small-blobs-');
  const storage = await openFsStorage(dir);
  t.teardown(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  const data = bytes(4096, 3);
  const sha = await store(storage, data);
  // The store's stream sizes its read buffers by the range it is asked for (4 MiB without one).
  const asked: ({ start: number; end: number } | undefined)[] = [];
  const read = storage.blobs.read.bind(storage.blobs);
  storage.blobs.read = (sha256, range) => {
    asked.push(range);
    return read(sha256, range);
  };
  const cache = new SmallBlobCache(storage.blobs);
  t.deepEqual(await cache.read(sha, data.length), data);
  t.deepEqual(asked, [{ start: 0, end: data.length - 1 }], 'the store was asked for exactly the blob’s bytes');
  t.deepEqual(await cache.read(sha, data.length, { start: 10, end: 19 }), data.subarray(10, 20), 'then served from memory, ranges too');
  t.is(asked.length, 1, 'the second read did not touch the store');
});
