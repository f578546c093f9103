import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { RevisionMismatch, StorageUnavailable, type Storage } from '../../src/storage/contracts.js';
import { openFsStorage } from '../../src/storage/fs/index.js';
import { Layout } from '../../src/storage/fs/layout.js';
import { tempDir } from '../helpers/server.js';
import { blobStoreContract, failingSource, listed, sha256, store } from './blob-store.js';
import { uploadBytesContract } from './upload-bytes.js';
import { recordStoreContract, scanned, type StorageFactory } from './record-store.js';

const openFresh: StorageFactory = async () => {
  const dir = await tempDir('kluis-contract-');
  const storage = await openFsStorage(dir);
  return { storage, cleanup: () => rm(dir, { recursive: true, force: true }) };
};

recordStoreContract('fs', openFresh, { preparesOnlyOnMatch: true });
blobStoreContract('fs', openFresh);
uploadBytesContract('fs', openFresh);

/** A data root removed after the test (storages opened on it are closed first). */
async function root(t: ExecutionContext): Promise<{ dir: string; open(): Promise<Storage> }> {
  const dir = await tempDir('kluis-fs-');
  const opened: Storage[] = [];
  t.teardown(async () => {
    for (const s of opened) await s.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async open() {
      const s = await openFsStorage(dir);
      opened.push(s);
      return s;
    },
  };
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Session directories under `<root>/tmp` (lock directories left out). */
async function sessions(dir: string): Promise<string[]> {
  return (await readdir(path.join(dir, 'tmp'))).filter((e) => !e.endsWith('.lock')).sort();
}

/** Every file in every session directory: staged bytes and record temp files not yet renamed. */
async function stagedFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of await sessions(dir)) out.push(...(await readdir(path.join(dir, 'tmp', s))));
  return out;
}

test('fs: a committed, a discarded and a failed staging leave no file in the staging area', async (t) => {
  const r = await root(t);
  const s = await r.open();
  await store(s, Buffer.from('committed'));
  const dup = await s.blobs.stage(Readable.from([Buffer.from('committed')]));
  await s.blobs.commit(dup, sha256('committed'));
  await s.blobs.discard(await s.blobs.stage(Readable.from([Buffer.from('discarded')])));
  await t.throwsAsync(s.blobs.stage(failingSource()));
  await s.records.put('a.txt', { n: 1 }, null);
  t.deepEqual(await stagedFiles(r.dir), []);
});

test('fs: a stale session directory of a dead process is removed when storage opens', async (t) => {
  const r = await root(t);
  const noLock = randomUUID();
  const staleLock = randomUUID();
  for (const id of [noLock, staleLock]) {
    await mkdir(path.join(r.dir, 'tmp', id), { recursive: true });
    await writeFile(path.join(r.dir, 'tmp', id, randomUUID()), 'half an upload');
  }
  // A lock whose holder stopped refreshing it 30 s ago.
  const lock = path.join(r.dir, 'tmp', `${staleLock}.lock`);
  await mkdir(lock);
  const past = new Date(Date.now() - 30_000);
  await utimes(lock, past, past);
  await r.open();
  t.false(await exists(path.join(r.dir, 'tmp', noLock)));
  t.false(await exists(path.join(r.dir, 'tmp', staleLock)));
  t.false(await exists(lock));
  t.is((await sessions(r.dir)).length, 1, 'only the new session remains');
});

test("fs: a live session directory (another open storage's) is not removed, and its staged upload still commits", async (t) => {
  const r = await root(t);
  const first = await r.open();
  const data = Buffer.from('in flight while another process starts');
  const staged = await first.blobs.stage(Readable.from([data]));
  const [firstSession] = await sessions(r.dir);
  t.truthy(firstSession);
  await r.open();
  t.true((await sessions(r.dir)).includes(firstSession as string));
  t.is((await stagedFiles(r.dir)).length, 1);
  await first.blobs.commit(staged, sha256(data));
  t.is(await first.blobs.size(sha256(data)), data.length);
});

test('fs: a staging area removed under a running process makes uploads StorageUnavailable, and no blob is written', async (t) => {
  // Records do not stage: a record's new bytes wait in a pending file beside it, fenced by its
  // own lock (record-lock.ts), so a record write does not depend on the staging area.
  const r = await root(t);
  const s = await r.open();
  for (const session of await sessions(r.dir)) await rm(path.join(r.dir, 'tmp', session), { recursive: true });
  await t.throwsAsync(s.check());
  await t.throwsAsync(s.blobs.stage(Readable.from([Buffer.from('x')])), { instanceOf: StorageUnavailable });
  t.is(await s.blobs.size(sha256('x')), undefined);
});

test('fs: a record lock left by a dead process does not block a put forever', async (t) => {
  const r = await root(t);
  const s = await r.open();
  const rev = await s.records.put('docs/a.txt', { n: 1 }, null);
  const { lock } = new Layout(r.dir).record('docs/a.txt');
  t.is(lock, path.join(r.dir, 'records', 'd~docs', 'l~a.txt'));
  await mkdir(lock);
  const past = new Date(Date.now() - 30_000);
  await utimes(lock, past, past);
  const next = await s.records.put('docs/a.txt', { n: 2 }, rev);
  t.deepEqual(await s.records.get('docs/a.txt'), { value: { n: 2 }, revision: next });
  t.false(await exists(lock), 'the lock is released after the put');
});

test('fs: a create-only put over a dead lock of a never-written key still creates it once', async (t) => {
  const r = await root(t);
  const s = await r.open();
  const { dir, lock } = new Layout(r.dir).record('new.txt');
  await mkdir(dir, { recursive: true });
  await mkdir(lock);
  const past = new Date(Date.now() - 30_000);
  await utimes(lock, past, past);
  await s.records.put('new.txt', { n: 1 }, null);
  await t.throwsAsync(s.records.put('new.txt', { n: 2 }, null), { instanceOf: RevisionMismatch });
});

const UNSAFE = ['../x', '..', 'a/../../x', 'a//b', 'a/./b', '.', '', '/a', 'a/', 'a\\..\\b', 'a\0b'];

test('fs: the layout refuses unsafe record keys', (t) => {
  const layout = new Layout('/data/root');
  for (const key of UNSAFE) t.throws(() => layout.record(key), undefined, JSON.stringify(key));
  for (const dir of ['..', '../x', 'a//b', 'a/./b', 'a/']) t.throws(() => layout.recordDir(dir), undefined, JSON.stringify(dir));
  for (const hash of ['../../etc/passwd', 'ABC', sha256('x').toUpperCase(), `${sha256('x')}/..`]) {
    t.throws(() => layout.blob(hash), undefined, hash);
  }
  t.is(layout.record('a/b.txt').file, path.join('/data/root', 'records', 'd~a', 'f~b.txt'));
  t.is(layout.recordDir(''), path.join('/data/root', 'records'));
});

test('fs: unsafe keys are refused by the store and nothing is written outside the data root', async (t) => {
  const parent = await tempDir('kluis-escape-');
  const dir = path.join(parent, 'root');
  const s = await openFsStorage(dir);
  t.teardown(async () => {
    await s.close();
    await rm(parent, { recursive: true, force: true });
  });
  for (const key of UNSAFE) {
    await t.throwsAsync(s.records.put(key, { evil: true }, null), undefined, `put ${JSON.stringify(key)}`);
    await t.throwsAsync(s.records.get(key), undefined, `get ${JSON.stringify(key)}`);
  }
  await t.throwsAsync(s.records.list('../..'));
  await t.throwsAsync(s.blobs.size('../../../x'));
  await t.throwsAsync(s.blobs.read('../../../x'));
  const staged = await s.blobs.stage(Readable.from([Buffer.from('x')]));
  await t.throwsAsync(s.blobs.commit(staged, '../../escape'));
  await s.blobs.discard(staged);
  t.deepEqual(await readdir(parent), ['root']);
  t.deepEqual((await readdir(dir)).sort(), ['blobs', 'collections', 'history', 'records', 'tmp']);
  t.deepEqual(await readdir(path.join(dir, 'records')), []);
  t.deepEqual(await readdir(path.join(dir, 'blobs')), []);
});

test('fs: scan skips record locks and stray names; list skips stray files under blobs/', async (t) => {
  const r = await root(t);
  const s = await r.open();
  await s.records.put('docs/a.txt', { n: 1 }, null);
  const { lock } = new Layout(r.dir).record('docs/b.txt');
  await mkdir(lock); // a writer holding the lock of a record not written yet
  await writeFile(path.join(r.dir, 'records', 'd~docs', 'stray'), 'x');
  t.deepEqual(await scanned(s), ['docs/a.txt']);
  const hash = await store(s, Buffer.from('listed'));
  await writeFile(path.join(r.dir, 'blobs', 'README'), 'x');
  await writeFile(path.join(r.dir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), 'not-a-sha256'), 'x');
  await mkdir(path.join(r.dir, 'blobs', 'zz', 'zz'), { recursive: true });
  t.deepEqual([...(await listed(s)).keys()], [hash]);
});

test('fs: a removal leaves nothing in the staging area, and a removed blob is committed again from its staged copy', async (t) => {
  const r = await root(t);
  const s = await r.open();
  const data = Buffer.from('removed and back');
  const hash = await store(s, data);
  t.true(await s.blobs.remove(hash, { olderThan: Date.now() + 60_000 }));
  t.deepEqual(await stagedFiles(r.dir), []);
  await store(s, data);
  t.is(await s.blobs.size(hash), data.length);
  t.deepEqual(await stagedFiles(r.dir), []);
});
