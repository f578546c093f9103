/** SmallBlobCache over the local-disk store: what a first read costs, and what it returns. */
import { rm } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import { openFsStorage } from '../../src/storage/fs/index.js';
import { SmallBlobCache } from '../../src/storage/small-blobs.js';
import { bytes, store } from '../contracts/blob-store.js';
import { tempDir } from '../helpers/server.js';

async function fsStorage(t: ExecutionContext) {
  const dir = await tempDir('kluis-small-blobs-');
  const storage = await openFsStorage(dir);
  t.teardown(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  return storage;
}

test('a first read of a small blob on local disk reads its bytes at once (readSmall), never through a stream', async (t) => {
  const storage = await fsStorage(t);
  const data = bytes(4096, 3);
  const sha = await store(storage, data);
  const calls: string[] = [];
  const { read, readSmall } = storage.blobs;
  if (!readSmall) return t.fail('the local-disk store reads small blobs at once');
  storage.blobs.read = (sha256, range) => {
    calls.push(`read ${JSON.stringify(range)}`);
    return read.call(storage.blobs, sha256, range);
  };
  storage.blobs.readSmall = (sha256, size) => {
    calls.push(`readSmall ${size}`);
    return readSmall.call(storage.blobs, sha256, size);
  };
  const cache = new SmallBlobCache(storage.blobs);
  t.deepEqual(await cache.read(sha, data.length), data);
  t.deepEqual(await cache.read(sha, data.length, { start: 10, end: 19 }), data.subarray(10, 20), 'then served from memory, ranges too');
  t.deepEqual(calls, ['readSmall 4096'], 'one read of exactly the blob’s size; the second read did not touch the store');
  await t.throwsAsync(cache.read('0'.repeat(64), 10), { code: 'ENOENT' }, 'a missing blob rejects as a stream read would');
});

test('a store without readSmall: a first read asks for the blob’s bytes only, so that it is not read into 4 MiB stream buffers', async (t) => {
  // Each first read of a 4 KiB file allocated two 4 MiB read buffers; at hundreds of first reads
  // a second the garbage collector paused for tens of milliseconds.
  const storage = await fsStorage(t);
  const data = bytes(4096, 3);
  const sha = await store(storage, data);
  // The store's stream sizes its read buffers by the range it is asked for (4 MiB without one).
  const asked: ({ start: number; end: number } | undefined)[] = [];
  const read = storage.blobs.read.bind(storage.blobs);
  storage.blobs.read = (sha256, range) => {
    asked.push(range);
    return read(sha256, range);
  };
  storage.blobs.readSmall = undefined;
  const cache = new SmallBlobCache(storage.blobs);
  t.deepEqual(await cache.read(sha, data.length), data);
  t.deepEqual(asked, [{ start: 0, end: data.length - 1 }], 'the store was asked for exactly the blob’s bytes');
  t.deepEqual(await cache.read(sha, data.length, { start: 10, end: 19 }), data.subarray(10, 20), 'then served from memory, ranges too');
  t.is(asked.length, 1, 'the second read did not touch the store');
});
