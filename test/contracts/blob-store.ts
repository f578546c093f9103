/**
 * The BlobStore contract (src/storage/contracts.ts) as a reusable ava suite, run by every
 * backend through {@link blobStoreContract}. Only the contract is used: no backend paths.
 */
import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Storage } from '../../src/storage/contracts.js';
import { openFor, type StorageFactory } from './record-store.js';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Stage and commit `data`; returns its hash. */
export async function store(s: Storage<unknown>, data: Buffer): Promise<string> {
  const hash = sha256(data);
  await s.blobs.commit(await s.blobs.stage(Readable.from([data])), hash);
  return hash;
}

/** Deterministic, incompressible-looking bytes. */
export function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A source that yields some bytes, then fails like a dropped client connection. */
export function failingSource(): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from('first part of the upload ');
      yield Buffer.from('second part ');
      throw new Error('client went away');
    })(),
  );
}

export function blobStoreContract(title: string, open: StorageFactory): void {
  const it = (name: string, body: (t: ExecutionContext, s: Storage<unknown>) => Promise<void>) =>
    test(`${title} blobs: ${name}`, async (t) => body(t, await openFor(t, open)));

  it('stage, commit and read round-trip; size() is the byte length', async (t, s) => {
    const data = Buffer.from('hello, versioned world\n');
    const hash = await store(s, data);
    t.deepEqual(await collect(await s.blobs.read(hash)), data);
    t.is(await s.blobs.size(hash), data.length);
  });

  it('an empty blob round-trips with size 0', async (t, s) => {
    const hash = await store(s, Buffer.alloc(0));
    t.is(await s.blobs.size(hash), 0);
    t.deepEqual(await collect(await s.blobs.read(hash)), Buffer.alloc(0));
  });

  it('read with a range returns the inclusive bytes [start, end]', async (t, s) => {
    const data = Buffer.from('0123456789abcdef');
    const hash = await store(s, data);
    t.is((await collect(await s.blobs.read(hash, { start: 2, end: 5 }))).toString(), '2345');
    t.is((await collect(await s.blobs.read(hash, { start: 0, end: 0 }))).toString(), '0');
    t.is((await collect(await s.blobs.read(hash, { start: 15, end: 15 }))).toString(), 'f');
    t.is((await collect(await s.blobs.read(hash, { start: 10, end: 15 }))).toString(), 'abcdef');
    t.deepEqual(await collect(await s.blobs.read(hash, { start: 0, end: 15 })), data);
  });

  it('size of a missing blob is undefined, and reading it fails', async (t, s) => {
    const missing = sha256('never stored');
    t.is(await s.blobs.size(missing), undefined);
    await t.throwsAsync(async () => collect(await s.blobs.read(missing)));
  });

  it('a staged blob is not visible until it is committed', async (t, s) => {
    const data = Buffer.from('staged only');
    const staged = await s.blobs.stage(Readable.from([data]));
    t.is(await s.blobs.size(sha256(data)), undefined);
    await s.blobs.commit(staged, sha256(data));
    t.is(await s.blobs.size(sha256(data)), data.length);
  });

  it('committing identical content twice is idempotent: one blob, the second staged copy is dropped', async (t, s) => {
    const data = Buffer.from('same bytes twice');
    const hash = await store(s, data);
    const second = await s.blobs.stage(Readable.from([data]));
    await t.notThrowsAsync(s.blobs.commit(second, hash));
    t.is(await s.blobs.size(hash), data.length);
    t.deepEqual(await collect(await s.blobs.read(hash)), data);
    // The second copy is gone: discarding it is the no-op the contract promises for a missing one.
    await t.notThrowsAsync(s.blobs.discard(second));
    t.deepEqual(await collect(await s.blobs.read(hash)), data);
  });

  it('concurrent commits of identical content all resolve and leave one readable blob', async (t, s) => {
    const data = bytes(64 * 1024, 7);
    const hash = sha256(data);
    const staged = await Promise.all(Array.from({ length: 8 }, () => s.blobs.stage(Readable.from([data]))));
    await t.notThrowsAsync(Promise.all(staged.map((st) => s.blobs.commit(st, hash))));
    t.is(await s.blobs.size(hash), data.length);
    t.deepEqual(await collect(await s.blobs.read(hash)), data);
  });

  it('discard removes a staged blob: it can no longer be committed, and discarding again does not throw', async (t, s) => {
    const data = Buffer.from('to be discarded');
    const staged = await s.blobs.stage(Readable.from([data]));
    await s.blobs.discard(staged);
    await t.notThrowsAsync(s.blobs.discard(staged));
    await t.throwsAsync(s.blobs.commit(staged, sha256(data)));
    t.is(await s.blobs.size(sha256(data)), undefined);
  });

  it('stage rejects when the source stream errors midway, and nothing becomes visible', async (t, s) => {
    await t.throwsAsync(s.blobs.stage(failingSource()), { message: 'client went away' });
    t.is(await s.blobs.size(sha256('first part of the upload second part ')), undefined);
    // The store still works afterwards.
    const hash = await store(s, Buffer.from('after the failure'));
    t.is(await s.blobs.size(hash), 17);
  });

  it('a 5 MiB blob streamed in 64 KiB chunks reads back byte-identical, whole and by range', async (t, s) => {
    const chunk = 64 * 1024;
    const data = bytes(5 * 1024 * 1024, 42);
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
      })(),
    );
    const hash = sha256(data);
    await s.blobs.commit(await s.blobs.stage(source), hash);
    t.is(await s.blobs.size(hash), data.length);
    const back = await collect(await s.blobs.read(hash));
    t.is(back.length, data.length);
    t.true(back.equals(data));
    const start = 3 * 1024 * 1024 + 17;
    const end = 4 * 1024 * 1024 + 99;
    t.true((await collect(await s.blobs.read(hash, { start, end }))).equals(data.subarray(start, end + 1)));
  });

  it('distinct contents are distinct blobs', async (t, s) => {
    const a = await store(s, Buffer.from('alpha'));
    const b = await store(s, Buffer.from('beta!!'));
    t.not(a, b);
    t.is((await collect(await s.blobs.read(a))).toString(), 'alpha');
    t.is((await collect(await s.blobs.read(b))).toString(), 'beta!!');
    t.is(await s.blobs.size(b), 6);
  });
}
