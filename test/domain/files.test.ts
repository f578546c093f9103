import test, { type ExecutionContext } from 'ava';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FileService, type StagedContent } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import type { Caller, KluisRecords } from '../../src/domain/types.js';
import type { Storage } from '../../src/storage/contracts.js';
import { alice, bob, fsStore, memoryStore, racing, refused, sha256, stageText, START } from './_support.js';
import { parseConditions } from '../../src/http/preconditions.js';

const admin: Caller = { name: 'root', role: 'admin' };

interface Fixture {
  storage: Storage<KluisRecords>;
  files: FileService;
  history: History;
  /** Move the injected clock (ms). */
  advance(ms: number): void;
  /** Hold the next n puts until all n have arrived ({@link racing}). */
  race(n: number): void;
}

/** A fixture on the real fs store in `dir`. */
interface DiskFixture extends Fixture {
  dir: string;
}

/** A FileService on `storage`, its record puts racing on demand. */
function service(storage: Storage<KluisRecords>): Fixture {
  let now = START;
  const records = racing(storage.records);
  const history = new History(storage.history);
  const files = new FileService({ records: records.store, history, blobs: storage.blobs, clock: () => now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  return { storage, files, history, advance: (ms) => (now += ms), race: records.race };
}

/** A FileService on the in-memory store. */
async function fixture(t: ExecutionContext): Promise<Fixture> {
  return service(memoryStore(t).storage);
}

/** A FileService on the real fs store: for the tests that look at its staging area and blob files on disk. */
async function diskFixture(t: ExecutionContext): Promise<DiskFixture> {
  const { dir, storage } = await fsStore(t, 'kluis-files-');
  return { dir, ...service(storage) };
}

const stage = (f: Fixture, text: string): Promise<StagedContent> => stageText(f.storage.blobs, text);

/** Files still in the staging area of every session. */
async function stagedFiles(f: DiskFixture): Promise<string[]> {
  const tmp = path.join(f.dir, 'tmp');
  const out: string[] = [];
  for (const s of await readdir(tmp)) if (!s.endsWith('.lock')) out.push(...(await readdir(path.join(tmp, s))));
  return out;
}

/** Hashes of every committed blob. */
async function blobHashes(f: DiskFixture): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else out.push(e.name);
    }
  };
  await walk(path.join(f.dir, 'blobs'));
  return out.sort();
}

test('upload creates version 1, then version 2; created tells them apart', async (t) => {
  const f = await diskFixture(t);
  const first = await f.files.upload(alice, 'docs/a.txt', { conditions: {} }, await stage(f, 'one'));
  t.like(first, { created: true, released: false, version: { version: 1, sha256: sha256('one'), size: 3, author: 'alice', contentType: 'text/plain' } });
  const second = await f.files.upload(bob, 'docs/a.txt', { conditions: {} }, { ...(await stage(f, 'two!')), comment: 'edit' });
  t.like(second, { created: false, version: { version: 2, sha256: sha256('two!'), size: 4, author: 'bob', comment: 'edit' } });
  t.deepEqual(
    (await f.files.get('docs/a.txt'))?.versions.map((v) => v.version),
    [1, 2],
  );
  t.deepEqual(await blobHashes(f), [sha256('one'), sha256('two!')].sort());
  t.deepEqual(await stagedFiles(f), []);
});

test("an upload decides its first round on the precheck's read; one that went stale is read again, and the later rules apply", async (t) => {
  const f = await fixture(t);
  let reads = 0;
  const get = f.storage.records.get.bind(f.storage.records);
  f.storage.records.get = (key) => {
    reads++;
    return get(key);
  };
  const seen = await f.files.precheck(alice, 'seen.txt', { conditions: {} });
  t.is(reads, 1);
  await f.files.upload(alice, 'seen.txt', { conditions: {} }, await stage(f, 'one'), false, seen);
  t.is(reads, 1, 'the upload did not read the record again');
  // Stale: bob checks the file out after alice's precheck; her upload must see the lock.
  const stale = await f.files.precheck(alice, 'seen.txt', { conditions: {} });
  await f.files.checkout(bob, 'seen.txt', { conditions: {} }, 60);
  await refused(t, f.files.upload(alice, 'seen.txt', { conditions: {} }, await stage(f, 'two'), false, stale), 'locked');
  t.deepEqual(
    (await f.files.get('seen.txt'))?.versions.map((v) => v.version),
    [1],
  );
});

test("a refusal or a no-op is never decided on the precheck's read: a lock refreshed since, or content changed since, is read again", async (t) => {
  const f = await fixture(t);
  await f.files.upload(alice, 'stale.txt', { conditions: {} }, await stage(f, 'one'));
  const { lock } = await f.files.checkout(bob, 'stale.txt', { conditions: {} }, 60);
  const seen = await f.files.precheck(bob, 'stale.txt', { conditions: {}, token: lock.token });
  await f.files.checkout(bob, 'stale.txt', { conditions: {}, token: lock.token }, 600); // refreshed while the body travels
  f.advance(61_000); // past the expiry the precheck read
  const written = await f.files.upload(bob, 'stale.txt', { conditions: {}, token: lock.token }, await stage(f, 'two'), false, seen);
  t.is(written.version.version, 2, 'the holder of the refreshed lock was not refused');
  // The precheck saw version 2 ("two"); a version 3 lands before the upload of "two" commits.
  const before = await f.files.precheck(bob, 'stale.txt', { conditions: {}, token: lock.token });
  await f.files.upload(bob, 'stale.txt', { conditions: {}, token: lock.token }, await stage(f, 'three'));
  const again = await f.files.upload(bob, 'stale.txt', { conditions: {}, token: lock.token }, await stage(f, 'two'), false, before);
  t.is(again.version.version, 4, 'the bytes of an older version are a new version, not "unchanged"');
});

test('the CAS loop: 30 concurrent uploads with the same If-Match, exactly one succeeds, the rest are 412', async (t) => {
  const f = await diskFixture(t);
  await f.files.upload(alice, 'cas.txt', { conditions: {} }, await stage(f, 'base'));
  const ifMatch = `"${sha256('base')}"`;
  const contents = await Promise.all(Array.from({ length: 30 }, (_, i) => stage(f, `writer ${i}`)));
  f.race(30);
  const results = await Promise.allSettled(contents.map((c) => f.files.upload(alice, 'cas.txt', { conditions: parseConditions({ ifMatch }) }, c)));
  const won = results.filter((r) => r.status === 'fulfilled');
  t.is(won.length, 1);
  for (const r of results) {
    if (r.status === 'rejected') t.like(r.reason, { code: 'precondition-failed', status: 412 });
  }
  const winner = (won[0] as PromiseFulfilledResult<{ version: { version: number; sha256: string | null } }>).value;
  t.is(winner.version.version, 2);
  const record = await f.files.get('cas.txt');
  t.deepEqual(
    record?.versions.map((v) => v.sha256),
    [sha256('base'), winner.version.sha256],
  );
  t.deepEqual(await stagedFiles(f), [], 'every refused writer discarded its staged blob');
});

test('the CAS loop: the refused writers of a race leave no committed blob behind', async (t) => {
  // docs/api.md: "A rejected request changes nothing": a writer that loses the compare-and-set must
  // not have published its blob (the put's `prepare` runs only once the revision matched).
  const f = await diskFixture(t);
  await f.files.upload(alice, 'cas.txt', { conditions: {} }, await stage(f, 'base'));
  const ifMatch = `"${sha256('base')}"`;
  const contents = await Promise.all(Array.from({ length: 30 }, (_, i) => stage(f, `writer ${i}`)));
  f.race(30);
  await Promise.allSettled(contents.map((c) => f.files.upload(alice, 'cas.txt', { conditions: parseConditions({ ifMatch }) }, c)));
  const referenced = (await f.files.get('cas.txt'))?.versions.map((v) => v.sha256 as string) ?? [];
  t.deepEqual(await blobHashes(f), [...referenced].sort());
});

test('30 concurrent unconditional uploads all land, with gapless version numbers', async (t) => {
  const f = await fixture(t);
  const contents = await Promise.all(Array.from({ length: 30 }, (_, i) => stage(f, `content ${i}`)));
  f.race(30);
  const results = await Promise.all(contents.map((c) => f.files.upload(alice, 'many.txt', { conditions: {} }, c)));
  t.deepEqual(
    results.map((r) => r.version.version).sort((a, b) => a - b),
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
  t.is(results.filter((r) => r.created).length, 1);
  const record = await f.files.get('many.txt');
  t.deepEqual(
    (record ? await f.history.all(record) : []).map((v) => v.version),
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
});

test('a refused upload discards its staged blob and commits nothing', async (t) => {
  const f = await diskFixture(t);
  await f.files.upload(alice, 'a.txt', { conditions: {} }, await stage(f, 'v1'));
  const before = await f.files.get('a.txt');
  await refused(t, f.files.upload(alice, 'a.txt', { conditions: parseConditions({ ifMatch: '"nope"' }) }, await stage(f, 'refused')), 'precondition-failed');
  await refused(t, f.files.upload(alice, 'a.txt', { conditions: {}, base: 0 }, await stage(f, 'refused too')), 'modified');
  t.deepEqual(await stagedFiles(f), []);
  t.deepEqual(await blobHashes(f), [sha256('v1')]);
  t.deepEqual(await f.files.get('a.txt'), before);
});

test('uploading the bytes of the current version is idempotent: no new version, staged copy dropped', async (t) => {
  const f = await diskFixture(t);
  const first = await f.files.upload(alice, 'a.txt', { conditions: {} }, await stage(f, 'same'));
  const again = await f.files.upload(bob, 'a.txt', { conditions: {} }, await stage(f, 'same'));
  t.deepEqual(again, { version: first.version, created: false, released: false });
  t.is((await f.files.get('a.txt'))?.versions.length, 1);
  t.deepEqual(await stagedFiles(f), []);
  t.deepEqual(await blobHashes(f), [sha256('same')]);
});

test('identical bytes under two paths are stored once', async (t) => {
  const f = await diskFixture(t);
  await f.files.upload(alice, 'a.txt', { conditions: {} }, await stage(f, 'shared'));
  await f.files.upload(alice, 'dir/b.txt', { conditions: {} }, await stage(f, 'shared'));
  t.deepEqual(await blobHashes(f), [sha256('shared')]);
  t.deepEqual(await stagedFiles(f), []);
});

test('a check-out blocks others until it expires on the injected clock', async (t) => {
  const f = await diskFixture(t);
  await f.files.upload(alice, 'a.txt', { conditions: {} }, await stage(f, 'v1'));
  const { lock } = await f.files.checkout(alice, 'a.txt', { conditions: {} }, 60);
  t.is(lock.expiresAt, new Date(START + 60_000).toISOString());
  t.is(lock.baseVersion, 1);
  f.advance(59_999);
  const err = await refused(t, f.files.upload(bob, 'a.txt', { conditions: {} }, await stage(f, 'bob early')), 'locked');
  t.like(err?.extras, { currentVersion: 1, lock: { owner: 'alice' } });
  f.advance(1);
  const late = await f.files.upload(bob, 'a.txt', { conditions: {} }, await stage(f, 'bob late'));
  t.is(late.version.version, 2);
  // The holder's token now names no live lock.
  await refused(t, f.files.upload(alice, 'a.txt', { conditions: {}, token: lock.token }, await stage(f, 'alice late')), 'not-checked-out');
  t.deepEqual(await stagedFiles(f), []);
});

test('refresh extends the lock; check-in writes and releases in one step', async (t) => {
  const f = await fixture(t);
  const taken = await f.files.checkout(alice, 'new.txt', { conditions: {} }, 60);
  t.false(taken.refreshed);
  t.is(taken.lock.baseVersion, 0);
  f.advance(30_000);
  const refreshed = await f.files.checkout(alice, 'new.txt', { conditions: {}, token: taken.lock.token }, 60);
  t.true(refreshed.refreshed);
  t.is(refreshed.lock.token, taken.lock.token);
  t.is(refreshed.lock.expiresAt, new Date(START + 90_000).toISOString());
  const result = await f.files.upload(alice, 'new.txt', { conditions: {}, token: taken.lock.token }, await stage(f, 'first'), true);
  t.like(result, { created: true, released: true, version: { version: 1 } });
  t.is((await f.files.get('new.txt'))?.lock, null);
});

test('uncheckout: the holder releases; force is for admins only', async (t) => {
  const f = await fixture(t);
  const { lock } = await f.files.checkout(alice, 'a.txt', { conditions: {} }, 60);
  await refused(t, f.files.uncheckout(bob, 'a.txt', undefined, true), 'forbidden');
  await refused(t, f.files.uncheckout(bob, 'a.txt', lock.token, false), 'forbidden');
  await f.files.uncheckout(admin, 'a.txt', undefined, true);
  t.is((await f.files.get('a.txt'))?.lock, null);
  await refused(t, f.files.uncheckout(alice, 'a.txt', lock.token, false), 'not-checked-out');
});

test('remove writes a delete marker; restore brings old content back as a new version', async (t) => {
  const f = await fixture(t);
  await f.files.upload(alice, 'a.txt', { conditions: {} }, await stage(f, 'v1'));
  const marker = await f.files.remove(alice, 'a.txt', { conditions: {} });
  t.like(marker, { version: 2, deleted: true, sha256: null });
  await refused(t, f.files.remove(alice, 'a.txt', { conditions: {} }), 'not-found');
  await refused(t, f.files.restore(alice, 'a.txt', 2, { conditions: {} }), 'bad-request');
  await refused(t, f.files.restore(alice, 'a.txt', 9, { conditions: {} }), 'not-found');
  const restored = await f.files.restore(alice, 'a.txt', 1, { conditions: {} });
  t.like(restored, { created: true, version: { version: 3, sha256: sha256('v1'), comment: 'restored from version 1' } });
});
