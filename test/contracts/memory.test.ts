import test from 'ava';
import { Readable } from 'node:stream';
import { StorageUnavailable } from '../../src/storage/contracts.js';
import { openMemoryStorage } from '../../src/storage/memory/index.js';
import { blobStoreContract, collect, sha256, store } from './blob-store.js';
import { uploadBytesContract } from './upload-bytes.js';
import { recordStoreContract, type StorageFactory } from './record-store.js';

/** Each test gets its own empty store; closing it is all the cleanup there is. */
const openFresh: StorageFactory = async () => ({ storage: openMemoryStorage(), cleanup: async () => {} });

// The revision is checked before prepare runs (a per-key queue stands in for the fs record lock).
recordStoreContract('memory', openFresh, { preparesOnlyOnMatch: true });
blobStoreContract('memory', openFresh);
uploadBytesContract('memory', openFresh);

// What the other backends get from serializing: nothing a caller holds is the stored state.

test('memory: a record value changed by its caller after put or get stays as stored', async (t) => {
  const s = openMemoryStorage();
  const value = { n: 1, list: [1, 2] };
  await s.records.put('a.txt', value, null);
  value.list.push(3);
  const got = (await s.records.get('a.txt'))?.value as { n: number; list: number[] };
  got.n = 99;
  t.deepEqual((await s.records.get('a.txt'))?.value, { n: 1, list: [1, 2] });
});

test('memory: bytes changed by the stage source or by a reader after the fact stay as stored', async (t) => {
  const s = openMemoryStorage();
  const data = Buffer.from('stored as staged');
  const hash = sha256(data);
  const source = Buffer.from(data);
  await s.blobs.commit(await s.blobs.stage(Readable.from([source])), hash);
  source.fill(0);
  for await (const chunk of await s.blobs.read(hash)) (chunk as Buffer).fill(0);
  t.deepEqual(await collect(await s.blobs.read(hash)), data);
});

test('memory: once closed, check() and writes fail as StorageUnavailable; reads go on', async (t) => {
  const s = openMemoryStorage();
  const hash = await store(s, Buffer.from('kept'));
  await s.close();
  await t.throwsAsync(s.check(), { instanceOf: StorageUnavailable });
  await t.throwsAsync(s.blobs.stage(Readable.from([Buffer.from('late')])), { instanceOf: StorageUnavailable });
  await t.throwsAsync(s.records.put('a.txt', { n: 1 }, null), { instanceOf: StorageUnavailable });
  t.is(await s.blobs.size(hash), 4);
});
