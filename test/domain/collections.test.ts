import test, { type ExecutionContext } from 'ava';
import { ancestorsOf, Collections, parentOf } from '../../src/domain/collections.js';
import { FileService } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import type { CollectionRecord, FileRecord } from '../../src/domain/types.js';
import type { ProblemCode } from '../../src/errors.js';
import type { RecordStore } from '../../src/storage/contracts.js';
import { alice, memoryStore, racing, refused as refusedWith, stageText, START } from './_support.js';

interface Fixture {
  files: FileService;
  collections: Collections;
  /** The collection store as stored, for inspecting revisions. */
  store: RecordStore<CollectionRecord>;
  now(): number;
  advance(ms: number): void;
  /** A file with a current version at `key`. */
  put(key: string, text?: string): Promise<void>;
  /** Hold the next n collection puts until all n have arrived ({@link racing}). */
  race(n: number): void;
}

/** Collections on the in-memory store, files made through FileService, the clock injected. */
async function fixture(t: ExecutionContext): Promise<Fixture> {
  const { storage } = memoryStore(t);
  let now = START;
  const store = storage.collections;
  const collections = racing(store);
  const files = new FileService({
    records: storage.records,
    history: new History(storage.history),
    blobs: storage.blobs,
    clock: () => now,
    lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 },
  });
  return {
    files,
    collections: new Collections(collections.store, storage.records, () => now),
    store,
    now: () => now,
    advance: (ms) => (now += ms),
    put: async (key, text = key) => {
      await files.upload(alice, key, { conditions: {} }, await stageText(storage.blobs, text));
    },
    race: collections.race,
  };
}

async function refused(t: ExecutionContext, promise: Promise<unknown>, code: ProblemCode, status: number): Promise<void> {
  const err = await refusedWith(t, promise, code);
  t.is(err?.status, status);
}

test('parentOf and ancestorsOf', (t) => {
  t.is(parentOf('a/b/c'), 'a/b');
  t.is(parentOf('a'), '');
  t.deepEqual(ancestorsOf('a/b/c'), ['', 'a', 'a/b']);
  t.deepEqual(ancestorsOf('a'), ['']);
  t.deepEqual(ancestorsOf(''), []);
});

test('exists: the root, a live record, a tombstone, an implicit directory, nothing', async (t) => {
  const f = await fixture(t);
  t.true(await f.collections.exists(''));
  await f.collections.create('live', f.now());
  t.true(await f.collections.exists('live'));
  await f.collections.create('dead', f.now());
  await f.collections.tombstone('dead', f.now());
  t.false(await f.collections.exists('dead'));
  t.like(await f.collections.get('dead'), { path: 'dead', deleted: true, lock: null });
  await f.put('imp/deep/a.txt');
  t.is(await f.collections.get('imp'), undefined, 'no collection record was made');
  t.true(await f.collections.exists('imp'));
  t.true(await f.collections.exists('imp/deep'));
  t.false(await f.collections.exists('imp/deep/a.txt'), 'a file is no collection');
  t.false(await f.collections.exists('nothing'));
  t.false(await f.collections.exists('live/nothing'));
  // A record passed in is used instead of the stored one.
  t.false(await f.collections.exists('live', { path: 'live', createdAt: new Date(START).toISOString(), lock: null, deleted: true }));
});

test('resolve: a file wins over a collection of the same name; a deleted file does not', async (t) => {
  const f = await fixture(t);
  t.deepEqual(await f.collections.resolve(''), { kind: 'collection', record: undefined });
  await f.collections.create('x', f.now());
  t.like(await f.collections.resolve('x'), { kind: 'collection', record: { path: 'x' } });
  await f.put('x', 'file bytes');
  const asFile = await f.collections.resolve('x');
  t.is(asFile.kind, 'file');
  t.is((asFile.record as FileRecord).versions.length, 1);
  await f.files.remove(alice, 'x', { conditions: {} });
  t.like(await f.collections.resolve('x'), { kind: 'collection', record: { path: 'x' } });
  t.deepEqual(await f.collections.resolve('none'), { kind: 'none', record: undefined });
  await f.files.checkout(alice, 'reserved.txt', { conditions: {} }, 60);
  const reserved = await f.collections.resolve('reserved.txt');
  t.is(reserved.kind, 'none');
  t.deepEqual((reserved.record as FileRecord | undefined)?.versions, [], 'a reserved path is none, with its record');
});

test('members: no deleted files, reserved paths or tombstones; explicit empty and implicit collections are in', async (t) => {
  const f = await fixture(t);
  await f.collections.create('d', f.now());
  await f.put('d/a.txt');
  await f.put('d/gone.txt');
  await f.files.remove(alice, 'd/gone.txt', { conditions: {} });
  await f.files.checkout(alice, 'd/reserved.txt', { conditions: {} }, 60);
  await f.collections.create('d/empty', f.now());
  await f.put('d/imp/x.txt');
  await f.collections.create('d/dead', f.now());
  await f.put('d/dead/old.txt');
  await f.files.remove(alice, 'd/dead/old.txt', { conditions: {} });
  await f.collections.tombstone('d/dead', f.now());
  t.deepEqual(await f.collections.members('d'), { files: ['a.txt'], collections: ['empty', 'imp'] });
  t.deepEqual(await f.collections.members(''), { files: [], collections: ['d'] });
  t.deepEqual(await f.collections.members('d/empty'), { files: [], collections: [] });
  t.deepEqual(await f.collections.members('nothing'), { files: [], collections: [] });
});

test('members: a name that is both a file and a collection (twins) is listed as both, so that a walk of the tree sees both', async (t) => {
  const f = await fixture(t);
  await f.collections.create('both', f.now());
  await f.put('both', 'a file');
  t.deepEqual(await f.collections.members(''), { files: ['both'], collections: ['both'] });
  await f.put('imp', 'a file');
  await f.put('imp/below.txt', 'below a file of the same name');
  t.deepEqual(await f.collections.members(''), { files: ['both', 'imp'], collections: ['both', 'imp'] });
});

test('resolve: twins answer as the file, or as the collection when asked collection-first (a URL ending in /)', async (t) => {
  const f = await fixture(t);
  await f.put('twin', 'a file');
  await f.put('twin/below.txt', 'below');
  t.is((await f.collections.resolve('twin')).kind, 'file');
  t.is((await f.collections.resolve('twin', true)).kind, 'collection');
  await f.put('only-file', 'x');
  t.is((await f.collections.resolve('only-file', true)).kind, 'file', 'collection-first still finds a lone file');
});

test('create: a live record; 405 when a collection or a file is there; 409 conflict for a missing parent', async (t) => {
  const f = await fixture(t);
  await f.collections.create('a', f.now());
  t.deepEqual(await f.collections.get('a'), { path: 'a', createdAt: new Date(START).toISOString(), lock: null });
  await refused(t, f.collections.create('a', f.now()), 'method-not-allowed', 405);
  await f.put('imp/x.txt');
  await refused(t, f.collections.create('imp', f.now()), 'method-not-allowed', 405);
  t.is(await f.collections.get('imp'), undefined, 'nothing written for the refused implicit one');
  await f.put('a/file.txt');
  await refused(t, f.collections.create('a/file.txt', f.now()), 'method-not-allowed', 405);
  await refused(t, f.collections.create('missing/b', f.now()), 'conflict', 409);
  t.false(await f.collections.exists('missing/b'));
  await f.collections.create('a/b', f.now());
  await f.collections.tombstone('a/b', f.now());
  await refused(t, f.collections.create('a/b/c', f.now()), 'conflict', 409);
});

test('create: a tombstone or a deleted file gives way to a new collection', async (t) => {
  const f = await fixture(t);
  await f.collections.create('a', f.now());
  const { revision } = (await f.store.get('a')) ?? { revision: '' };
  await f.store.put('a', { path: 'a', createdAt: new Date(START).toISOString(), lock: null, props: { '{urn:x}p': 'v' } }, revision);
  await f.collections.tombstone('a', f.now());
  f.advance(5000);
  await f.collections.create('a', f.now());
  t.deepEqual(await f.collections.get('a'), { path: 'a', createdAt: new Date(START + 5000).toISOString(), lock: null }, 'a fresh record: no old props');
  await f.put('gone.txt');
  await f.files.remove(alice, 'gone.txt', { conditions: {} });
  await f.collections.create('gone.txt', f.now());
  t.like(await f.collections.resolve('gone.txt'), { kind: 'collection' });
});

test('revive: tombstoned ancestors live again, missing ones stay implicit, live ones are untouched', async (t) => {
  const f = await fixture(t);
  await f.collections.create('a', f.now());
  await f.collections.create('a/b', f.now());
  await f.collections.create('keep', f.now());
  await f.collections.tombstone('a/b', f.now());
  await f.collections.tombstone('a', f.now());
  await f.put('a/b/m/n/file.txt');
  const keep = await f.store.get('keep');
  f.advance(1000);
  await f.collections.revive('a/b/m/n/file.txt', f.now());
  t.deepEqual(await f.collections.get('a'), { path: 'a', createdAt: new Date(START + 1000).toISOString(), lock: null });
  t.deepEqual(await f.collections.get('a/b'), { path: 'a/b', createdAt: new Date(START + 1000).toISOString(), lock: null });
  t.true(await f.collections.exists('a/b/m'), 'implicit: records are below it');
  t.is(await f.collections.get('a/b/m'), undefined);
  t.is(await f.collections.get('a/b/m/n'), undefined);
  await f.collections.revive('keep/x.txt', f.now());
  t.deepEqual(await f.store.get('keep'), keep, 'a live ancestor is not rewritten');
  // The key itself is not an ancestor.
  await f.collections.create('c', f.now());
  await f.collections.tombstone('c', f.now());
  await f.collections.revive('c', f.now());
  t.true((await f.collections.get('c'))?.deleted);
});

test('create: of 10 concurrent creates of one key, exactly one succeeds, the rest are 405', async (t) => {
  const f = await fixture(t);
  f.race(10);
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => f.collections.create('same', f.now())));
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') t.like(r.reason, { code: 'method-not-allowed', status: 405 });
  t.is((await f.store.get('same'))?.revision, '1', 'written once');
});

test('create: concurrent creates after a tombstone, exactly one revives it', async (t) => {
  const f = await fixture(t);
  await f.collections.create('same', f.now());
  await f.collections.tombstone('same', f.now());
  f.race(5);
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => f.collections.create('same', f.now())));
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  t.is((await f.store.get('same'))?.revision, '3');
  t.true(await f.collections.exists('same'));
});
