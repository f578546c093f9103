import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileService } from '../../src/domain/files.js';
import { History, PAGE_SIZE } from '../../src/domain/history.js';
import type { Caller, FileRecord, Version, KluisRecords } from '../../src/domain/types.js';
import type { Storage } from '../../src/storage/contracts.js';
import { fsStore, memoryStore } from './_support.js';

const alice: Caller = { name: 'alice', role: 'user' };
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** History and FileService on the in-memory store. */
async function fixture(t: ExecutionContext) {
  return service(memoryStore(t).storage);
}

/** The same on the real fs store in `dir`: for the test that reads a history page's file on disk. */
async function diskFixture(t: ExecutionContext) {
  const { dir, storage } = await fsStore(t, 'kluis-history-');
  return { dir, ...service(storage) };
}

function service(storage: Storage<KluisRecords>) {
  const history = new History(storage.history);
  const files = new FileService({ records: storage.records, history, blobs: storage.blobs, clock: Date.now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  const upload = async (key: string, text: string) => {
    const staged = await storage.blobs.stage(Readable.from([Buffer.from(text)]));
    return files.upload(alice, key, { conditions: {} }, { staged, sha256: sha256(text), size: text.length, contentType: 'text/plain' });
  };
  const record = async (key: string) => (await storage.records.get(key))?.value as FileRecord;
  return { storage, history, files, upload, record };
}

test('the record keeps 1..PAGE_SIZE newest versions whatever the history length; every version still reads', async (t) => {
  const f = await fixture(t);
  const n = 3 * PAGE_SIZE + 5;
  for (let i = 1; i <= n; i++) {
    await f.upload('a.txt', `content ${i}`);
    const r = await f.record('a.txt');
    t.true(r.versions.length >= 1 && r.versions.length <= PAGE_SIZE, `after ${i} uploads the record holds ${r.versions.length}`);
    t.is((r.sealed ?? 0) + r.versions.length, i);
  }
  const r = await f.record('a.txt');
  const all = await f.history.all(r);
  t.deepEqual(
    all.map((v) => v.version),
    Array.from({ length: n }, (_, i) => i + 1),
  );
  t.deepEqual(
    all.map((v) => v.sha256),
    Array.from({ length: n }, (_, i) => sha256(`content ${i + 1}`)),
  );
  for (const v of all) t.deepEqual(await f.history.version(r, v.version), v);
  t.is(await f.history.version(r, 0), undefined);
  t.is(await f.history.version(r, n + 1), undefined);
  // A page of the newest versions below 25, across the record and two pages.
  t.deepEqual(
    (await f.history.newest(r, 10, 25)).map((v) => v.version),
    [24, 23, 22, 21, 20, 19, 18, 17, 16, 15],
  );
  t.deepEqual(
    (await f.history.newest(r, 1000)).map((v) => v.version),
    [...all].reverse().map((v) => v.version),
  );
  t.deepEqual(await f.history.newest(r, 5, 1), []);
  // A fresh reader (no cache: another process) reads the same pages from the store.
  t.deepEqual(await new History(f.storage.history).all(r), all);
});

test('pins and prunes of sealed versions live in the record; the pages never change', async (t) => {
  const f = await diskFixture(t);
  for (let i = 1; i <= 2 * PAGE_SIZE + 3; i++) await f.upload('p.txt', `v${i}`);
  const pageFile = path.join(f.dir, 'history', 'd~p.txt', 'f~0');
  const page = await readFile(pageFile);
  await f.files.pin('p.txt', 3, true);
  const pruned = await f.files.prune('p.txt', { prefix: '', keepLast: 2 });
  t.is(pruned.versions.length, 2 * PAGE_SIZE + 3 - 2 - 1, 'all but the newest two and the pinned one');
  let r = await f.record('p.txt');
  t.deepEqual(r.sealedPinned, [3]);
  t.deepEqual(r.sealedPruned, [
    [1, 2],
    [4, 2 * PAGE_SIZE],
  ]);
  t.true((await f.history.version(r, 3))?.pinned);
  t.true((await f.history.version(r, 1))?.pruned);
  t.is((await f.history.version(r, 3))?.pruned, undefined);
  t.true((await f.history.version(r, 2 * PAGE_SIZE + 1))?.pruned, 'a version still in the record is flagged in place');
  await f.files.pin('p.txt', 3, false);
  r = await f.record('p.txt');
  t.is(r.sealedPinned, undefined);
  t.is((await f.history.version(r, 3))?.pinned, undefined);
  t.deepEqual(await readFile(pageFile), page, 'page 0 is byte-for-byte what it was');
  // Flags of versions sealed later move from the versions into the record's lists.
  await f.files.pin('p.txt', 2 * PAGE_SIZE + 3, true);
  for (let i = 0; i < PAGE_SIZE; i++) await f.upload('p.txt', `more ${i}`);
  r = await f.record('p.txt');
  t.true(r.sealed !== undefined && r.sealed >= 3 * PAGE_SIZE);
  t.deepEqual(r.sealedPinned, [2 * PAGE_SIZE + 3]);
  t.deepEqual(r.sealedPruned, [
    [1, 2],
    [4, 2 * PAGE_SIZE + 1],
  ]);
  const versions = await f.history.all(r);
  t.deepEqual(
    versions.filter((v) => v.pinned).map((v) => v.version),
    [2 * PAGE_SIZE + 3],
  );
  t.is(versions.filter((v) => v.pruned).length, 2 * PAGE_SIZE);
});

test('a record written before history pages (every version inline) reads as is and is paged by its next write', async (t) => {
  const f = await fixture(t);
  const old: Version[] = Array.from({ length: 40 }, (_, i) => ({
    version: i + 1,
    sha256: sha256(`old ${i + 1}`),
    size: 5,
    contentType: null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    author: 'bob',
    ...(i === 4 ? { pinned: true as const } : {}),
  }));
  await f.storage.records.put('legacy.txt', { path: 'legacy.txt', versions: old, lock: null }, null);
  let r = await f.record('legacy.txt');
  t.deepEqual(await f.history.version(r, 5), old[4]);
  await f.upload('legacy.txt', 'new');
  r = await f.record('legacy.txt');
  t.is(r.sealed, 32);
  t.deepEqual(r.sealedPinned, [5]);
  t.deepEqual((await f.history.all(r)).slice(0, 40), old);
  t.is((await f.history.version(r, 41))?.sha256, sha256('new'));
});

test('sealing is idempotent: a second writer sealing the same versions finds the page written and changes nothing', async (t) => {
  const f = await fixture(t);
  for (let i = 1; i <= PAGE_SIZE; i++) await f.upload('r.txt', `v${i}`);
  const r = await f.record('r.txt');
  const longer: FileRecord = { ...r, versions: [...r.versions, { ...(r.versions[0] as Version), version: PAGE_SIZE + 1 }] };
  const [a, b] = await Promise.all([f.history.seal(longer), new History(f.storage.history).seal(longer)]);
  t.deepEqual(a, b);
  t.is(a.sealed, PAGE_SIZE);
  const stored = await f.storage.history.get(`r.txt/0`);
  t.is(stored?.revision, '1', 'written once');
});

test('a missing page is an error, not an empty history', async (t) => {
  const f = await fixture(t);
  const r: FileRecord = { path: 'gone.txt', versions: [], lock: null, sealed: PAGE_SIZE };
  await t.throwsAsync(f.history.version(r, 1), { message: /history page 0 of gone.txt is missing/ });
});
