/**
 * The BlobStore contract (src/storage/contracts.ts) as a reusable ava suite, run by every
 * backend through {@link blobStoreContract}. Only the contract is used: no backend paths.
 */
import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobInfo, Storage } from '../../src/storage/contracts.js';
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
export async function store(s: Storage, data: Buffer): Promise<string> {
  const hash = sha256(data);
  const staged = await s.blobs.stage(Readable.from([data]));
  await s.blobs.commit(staged, hash);
  await s.blobs.settle?.(staged); // as an upload does once its record is written
  return hash;
}

/** Every blob list() reports, by sha256 (failing on a duplicate). */
export async function listed(s: Storage): Promise<Map<string, BlobInfo>> {
  const out = new Map<string, BlobInfo>();
  for await (const blob of s.blobs.list()) {
    if (out.has(blob.sha256)) throw new Error(`list() reported ${blob.sha256} twice`);
    out.set(blob.sha256, blob);
  }
  return out;
}

/** Longer than the coarsest modifiedAt resolution of any backend (S3: whole seconds). */
export const TICK_MS = 1100;

/** Below 10: that many event-loop turns; from 10: (n - 10) ms. */
async function delay(n: number): Promise<void> {
  if (n >= 10) return void (await sleep(n - 10));
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
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
  const it = (name: string, body: (t: ExecutionContext, s: Storage) => Promise<void>) => test(`${title} blobs: ${name}`, async (t) => body(t, await openFor(t, open)));

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
    const hash = sha256(data);
    t.true(await s.blobs.commit(await s.blobs.stage(Readable.from([data])), hash), 'the first commit stores the bytes');
    const second = await s.blobs.stage(Readable.from([data]));
    t.false(await s.blobs.commit(second, hash), 'the second finds them stored (dedup)');
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

  it('list of an empty store reports no blob', async (t, s) => {
    t.deepEqual([...(await listed(s)).keys()], []);
  });

  it('list reports every committed blob once, with its size and a modifiedAt of its commit; staged blobs are not listed', async (t, s) => {
    const before = Date.now();
    const contents = [Buffer.alloc(0), Buffer.from('alpha'), bytes(70_000, 3)];
    const hashes: string[] = [];
    for (const data of contents) hashes.push(await store(s, data));
    await store(s, Buffer.from('alpha')); // again: still one blob
    const after = Date.now();
    const staged = await s.blobs.stage(Readable.from([Buffer.from('staged, never committed')]));
    const blobs = await listed(s);
    t.deepEqual([...blobs.keys()].sort(), [...hashes].sort());
    contents.forEach((data, i) => {
      const info = blobs.get(hashes[i] as string) as BlobInfo;
      t.is(info.size, data.length);
      // Rounded up to the store's resolution: at most a second after the commit.
      t.true(info.modifiedAt >= before - 5 && info.modifiedAt <= after + 1000, `${info.modifiedAt} not within [${before}, ${after + 1000}]`);
    });
    await s.blobs.discard(staged);
  });

  it('committing existing content refreshes its modifiedAt (touch; inside a removal window, for a store that keeps them) and keeps its bytes', async (t, s) => {
    const data = Buffer.from('touched content');
    const hash = await store(s, data);
    const first = (await listed(s)).get(hash) as BlobInfo;
    await sleep(TICK_MS);
    const close = await s.blobs.openRemovals?.();
    const touchedAt = Date.now();
    await store(s, data);
    await close?.();
    const second = (await listed(s)).get(hash) as BlobInfo;
    t.true(second.modifiedAt > first.modifiedAt, `${second.modifiedAt} <= ${first.modifiedAt}`);
    t.true(second.modifiedAt >= touchedAt - 5);
    t.is(second.size, data.length);
    t.deepEqual(await collect(await s.blobs.read(hash)), data);
  });

  it('a blob staged well before its commit has the commit as its modifiedAt', async (t, s) => {
    const data = Buffer.from('staged, committed later');
    const staged = await s.blobs.stage(Readable.from([data]));
    await sleep(TICK_MS);
    const committedAt = Date.now();
    await s.blobs.commit(staged, sha256(data));
    const info = (await listed(s)).get(sha256(data)) as BlobInfo;
    t.true(info.modifiedAt >= committedAt - 5, `${info.modifiedAt} < ${committedAt}`);
  });

  it('remove deletes a blob and is idempotent; the content can be committed again', async (t, s) => {
    const keep = await store(s, Buffer.from('kept'));
    const data = Buffer.from('removed, then back');
    const hash = await store(s, data);
    t.true(await s.blobs.remove(hash));
    t.is(await s.blobs.size(hash), undefined);
    await t.throwsAsync(async () => collect(await s.blobs.read(hash)));
    t.deepEqual([...(await listed(s)).keys()], [keep]);
    t.false(await s.blobs.remove(hash));
    t.false(await s.blobs.remove(sha256('never stored')));
    t.is(await s.blobs.size(keep), 4);
    await store(s, data);
    t.deepEqual(await collect(await s.blobs.read(hash)), data);
    t.deepEqual([...(await listed(s)).keys()].sort(), [keep, hash].sort());
  });

  it('remove with olderThan keeps a blob committed or touched since then, and removes an older one', async (t, s) => {
    const old = await store(s, Buffer.from('old'));
    const touched = await store(s, Buffer.from('old, then touched'));
    await sleep(TICK_MS);
    const close = await s.blobs.openRemovals?.();
    t.teardown(async () => close?.());
    const cutoff = Date.now();
    const fresh = await store(s, Buffer.from('fresh'));
    await store(s, Buffer.from('old, then touched'));
    t.false(await s.blobs.remove(fresh, { olderThan: cutoff }));
    t.false(await s.blobs.remove(touched, { olderThan: cutoff }));
    t.true(await s.blobs.remove(old, { olderThan: cutoff }));
    t.false(await s.blobs.remove(old, { olderThan: cutoff }));
    t.deepEqual([...(await listed(s)).keys()].sort(), [fresh, touched].sort());
  });

  it('a commit racing a conditional remove of the same old blob never resolves with the blob missing', async (t, s) => {
    const contents = Array.from({ length: 80 }, (_, i) => bytes(1000 + i, 100 + i));
    await Promise.all(contents.map((data) => store(s, data)));
    await sleep(TICK_MS);
    const close = await s.blobs.openRemovals?.(); // garbage collection removes inside one
    t.teardown(async () => close?.());
    let removed = 0;
    const rounds = contents.map(async (data, i) => {
      const staged = await Promise.all([0, 1].map(() => s.blobs.stage(Readable.from([data]))));
      const hash = sha256(data);
      const cutoff = Date.now();
      // Offsets from a few event-loop turns to 30 ms, so that every step of one interleaves with the other.
      const removals = [0, 1].map(async (j) => {
        await delay((i + j * 13) % 6);
        if (await s.blobs.remove(hash, { olderThan: cutoff })) removed++;
      });
      const commits = staged.map(async (st, j) => {
        // Round 0 commits only after its removals: the remove-then-commit path runs at least once
        // however the machine's load orders the others.
        if (i === 0) await Promise.all(removals);
        await delay((i * 3 + j * 17) % 40);
        await s.blobs.commit(st, hash);
      });
      await Promise.all([...removals, ...commits]);
      t.is(await s.blobs.size(hash), data.length, `blob ${i} is missing after its commits resolved`);
      t.deepEqual(sha256(await collect(await s.blobs.read(hash))), hash);
    });
    await Promise.all(rounds);
    t.true(removed > 0, 'no removal ran before a commit: the race was not exercised');
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
