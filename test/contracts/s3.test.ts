import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import test, { type ExecutionContext } from 'ava';
import { S3BlobStore } from '../../src/storage/s3/blob-store.js';
import { createClient } from '../../src/storage/s3/client.js';
import { openS3Storage } from '../../src/storage/s3/index.js';
import { s3Options, s3Server, type S3Server } from '../s3/ceph.js';
import { blobStoreContract, collect, listed, sha256, store, TICK_MS } from './blob-store.js';
import { uploadBytesContract } from './upload-bytes.js';
import { recordStoreContract, scanned, type StorageFactory } from './record-store.js';

/** One real S3 server (Ceph RGW, or KLUIS_TEST_S3_ENDPOINT) for this file; every test gets its own key prefix. */
let server: S3Server | undefined;
const ready = s3Server().then((s) => (server = s));
test.after.always(async () => {
  await server?.stop();
});

const openFresh: StorageFactory = async () => {
  const s = await ready;
  const storage = await openS3Storage(s3Options(s, `t-${randomUUID()}/`));
  return { storage, cleanup: async () => {} };
};

recordStoreContract('s3', openFresh, { preparesOnlyOnMatch: false });
blobStoreContract('s3', openFresh);
uploadBytesContract('s3', openFresh);

/** A bucket prefix for one test, its storage (closed after the test) and a raw client on the bucket. */
async function prefixed(t: ExecutionContext) {
  const options = s3Options(await ready, `t-${randomUUID()}/`);
  const storage = await openS3Storage(options);
  const client = createClient(options);
  t.teardown(async () => {
    client.destroy();
    await storage.close();
  });
  const head = (key: string) => client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: `${options.prefix}${key}` }));
  const put = (key: string, body = 'x') => client.send(new PutObjectCommand({ Bucket: options.bucket, Key: `${options.prefix}${key}`, Body: body }));
  return { options, storage, client, head, put };
}

test('s3: a touch (inside a removal window) writes touch/<sha256> and leaves the blob object as it was; remove deletes both', async (t) => {
  const { storage, head } = await prefixed(t);
  const data = Buffer.from('reused content');
  const hash = await store(storage, data);
  const blob = await head(`blobs/${hash}`);
  await t.throwsAsync(head(`touch/${hash}`), undefined, 'no marker for a first commit');
  await sleep(TICK_MS);
  t.teardown(await (storage.blobs.openRemovals?.() ?? Promise.reject(new Error('S3 keeps removal windows'))));
  await store(storage, data);
  const again = await head(`blobs/${hash}`);
  t.is(again.ETag, blob.ETag);
  t.deepEqual(again.LastModified, blob.LastModified, 'the blob was not copied');
  const marker = await head(`touch/${hash}`);
  t.is(marker.ContentLength !== undefined && marker.ContentLength < 100, true);
  t.true(((await listed(storage)).get(hash)?.modifiedAt ?? 0) >= (marker.LastModified?.getTime() ?? Infinity));
  t.true(await storage.blobs.remove(hash));
  await t.throwsAsync(head(`blobs/${hash}`));
  await t.throwsAsync(head(`touch/${hash}`));
});

test('s3: scan skips objects under records/ that are not records; list skips markers without a blob and stray names', async (t) => {
  const { storage, put } = await prefixed(t);
  await storage.records.put('docs/a.txt', { n: 1 }, null);
  for (const key of ['records/stray', 'records/d~docs/x.txt', 'records/docs/f~b.txt', 'records/d~/f~c', 'records/f~']) await put(key);
  t.deepEqual(await scanned(storage), ['docs/a.txt']);
  const hash = await store(storage, Buffer.from('listed'));
  await put(`touch/${sha256('no such blob')}`);
  await put('blobs/not-a-sha256');
  t.deepEqual([...(await listed(storage)).keys()], [hash]);
});

test.serial('s3: a commit that meets a removal in flight waits for it, then publishes the blob again', async (t) => {
  const { options, storage, head } = await prefixed(t);
  // Serial: alone, so that the other tests' load cannot hold its removal past its deadline.
  // A second instance on the same prefix whose blob DELETEs take 400 ms to land.
  const slowClient = createClient(options);
  const send = slowClient.send.bind(slowClient);
  slowClient.send = (async (command: Parameters<typeof send>[0]) => {
    if (command instanceof DeleteObjectCommand && command.input.Key?.includes('/blobs/')) await sleep(400);
    return send(command);
  }) as typeof slowClient.send;
  const remover = new S3BlobStore(slowClient, options);
  t.teardown(() => {
    remover.janitor.close();
    slowClient.destroy();
  });
  const data = Buffer.from('removed while it is reused');
  const hash = await store(storage, data);
  await sleep(TICK_MS);
  t.teardown(await remover.openRemovals()); // seen by the other instance before it resolves
  const staged = await storage.blobs.stage(Readable.from([data]));
  const removal = remover.remove(hash, { olderThan: Date.now() });
  // Once the claim is placed, the DELETE is on its way (400 ms): commit then.
  while ((await head(`touch/${hash}`).catch(() => undefined))?.Metadata?.['kluis-marker'] !== 'claim') await sleep(10);
  await storage.blobs.commit(staged, hash);
  t.true(await removal);
  t.is(await storage.blobs.size(hash), data.length, 'the commit resolved but the removal took its blob');
  t.deepEqual(await collect(await storage.blobs.read(hash)), data);
});

test('s3: a body of at most one part is held in memory and published with one PUT; a longer one is staged on the store, and both read back', async (t) => {
  const { options, storage, client } = await prefixed(t);
  // Staging objects, and multipart uploads still open under staging/ (not listed as objects).
  const stagingObjects = async () => {
    const Prefix = `${options.prefix}staging/`;
    const objects = (await client.send(new ListObjectsV2Command({ Bucket: options.bucket, Prefix }))).KeyCount ?? 0;
    const uploads = (await client.send(new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix }))).Uploads?.length ?? 0;
    return objects + uploads;
  };
  const small = randomBytes(options.partSize);
  const large = randomBytes(options.partSize + 1);
  const chunks = (data: Buffer) => Readable.from(Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536)));
  const held = await storage.blobs.stage(chunks(small));
  t.is(await stagingObjects(), 0, 'a body of one part is not written to staging');
  const staged = await storage.blobs.stage(chunks(large));
  t.is(await stagingObjects(), 1, 'a body longer than one part is streamed to staging');
  t.true(await storage.blobs.commit(held, sha256(small)));
  t.true(await storage.blobs.commit(staged, sha256(large)));
  t.is(await stagingObjects(), 0);
  t.deepEqual(await collect(await storage.blobs.read(sha256(small))), small);
  t.deepEqual(await collect(await storage.blobs.read(sha256(large))), large);
  // A body that fails after its first part: nothing is staged or published.
  let sent = 0;
  const failing = new Readable({
    read() {
      if (sent > options.partSize + 65536) this.destroy(new Error('client went away'));
      else this.push(large.subarray(0, 65536));
      sent += 65536;
    },
  });
  await t.throwsAsync(storage.blobs.stage(failing), { message: 'client went away' });
  t.is(await stagingObjects(), 0);
});

test.serial('s3: outside a removal window a commit of stored content is one request and no touch; once another instance opened one, commits touch again', async (t) => {
  const { options, head } = await prefixed(t);
  // Two instances with a wider window than the other tests' (looks every second, quiet for 4 s
  // after one), so that the other tests' load cannot age this one's looks.
  const wider = { ...options, removalWaitSeconds: 8 };
  const [storage, collector] = await Promise.all([openS3Storage(wider), openS3Storage(wider)]);
  t.teardown(() => Promise.all([storage.close(), collector.close()]));
  const data = Buffer.from('reused outside and inside a window');
  const hash = await store(storage, data);
  await sleep(TICK_MS); // this instance has looked for windows since it opened
  const staged = await storage.blobs.stage(Readable.from([data]));
  t.false(await storage.blobs.commit(staged, hash), 'stored already');
  await storage.blobs.settle?.(staged); // its record write ended in time
  await t.throwsAsync(head(`touch/${hash}`), undefined, 'no touch outside a window');
  const close = await collector.blobs.openRemovals?.();
  t.truthy(close);
  t.false(await storage.blobs.commit(await storage.blobs.stage(Readable.from([data])), hash));
  t.truthy(await head(`touch/${hash}`), 'a commit inside the window touches');
  await close?.();
  await t.throwsAsync(storage.blobs.remove(hash, { olderThan: Date.now() }), { message: /inside a removal window/ });
});

test.serial('s3: a commit that skipped its touch touches at settle when its record write ended past its deadline (publishing again what a removal took), or failed', async (t) => {
  const { options, head } = await prefixed(t);
  const [storage, collector] = await Promise.all([openS3Storage(options), openS3Storage(options)]);
  t.teardown(() => Promise.all([storage.close(), collector.close()]));
  const data = Buffer.from('a record written late');
  const hash = await store(storage, data);
  await sleep(TICK_MS);
  const staged = await storage.blobs.stage(Readable.from([data]));
  t.false(await storage.blobs.commit(staged, hash));
  await t.throwsAsync(head(`touch/${hash}`), undefined, 'no touch at commit');
  // The record write takes longer than half the window (2 s): meanwhile a collection's window
  // opens (4 s) and its removal takes the blob.
  const close = await collector.blobs.openRemovals?.();
  t.true(await collector.blobs.remove(hash, { olderThan: Date.now() }));
  await close?.();
  await storage.blobs.settle?.(staged);
  const touched = await head(`touch/${hash}`);
  t.truthy(touched, 'settle touched the blob');
  t.deepEqual(await collect(await storage.blobs.read(hash)), data, 'and published it again');
  // A record write that failed may still land: settle touches at once, within the deadline too.
  await sleep(1000); // a look has found the window closed
  const again = await storage.blobs.stage(Readable.from([data]));
  t.false(await storage.blobs.commit(again, hash));
  t.is((await head(`touch/${hash}`)).ETag, touched.ETag, 'no touch at commit');
  await storage.blobs.settle?.(again, true);
  t.not((await head(`touch/${hash}`)).ETag, touched.ETag, 'settle touched it');
});

test('s3: a collection waits the larger of its own removal wait and the one the last collection recorded', async (t) => {
  const { options } = await prefixed(t);
  const [wide, narrow] = await Promise.all([openS3Storage({ ...options, removalWaitSeconds: 6 }), openS3Storage({ ...options, removalWaitSeconds: 2 })]);
  t.teardown(() => Promise.all([wide.close(), narrow.close()]));
  await (await (wide.blobs.openRemovals?.() ?? Promise.reject(new Error('S3 keeps removal windows'))))();
  const began = Date.now();
  await (await (narrow.blobs.openRemovals?.() ?? Promise.reject(new Error('S3 keeps removal windows'))))();
  t.true(Date.now() - began >= 6000, `waited ${Date.now() - began} ms, not the 6 s an instance of the bucket counts on`);
});
