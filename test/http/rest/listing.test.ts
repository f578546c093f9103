import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, history, sha256hex } from './_support.js';

test('GET /files/<dir>/ lists files with name, type, size, version, sha256, modifiedAt, author, locked and sub-directories', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const a = await put(s.url, 'docs/a.txt', Buffer.from('aaa'), { 'Content-Type': 'text/plain' });
  await put(s.url, 'docs/b.txt', Buffer.from('b1'));
  const b2 = await put(s.url, 'docs/b.txt', Buffer.from('b2b2'));
  await put(s.url, 'docs/sub/c.txt', Buffer.from('c'));
  await put(s.url, 'docs/sub/deeper/d.txt', Buffer.from('d'));
  await put(s.url, 'other/e.txt', Buffer.from('e'));

  const answer = await request(`${s.url}/files/docs/`);
  t.is(answer.status, 200);
  t.regex(answer.headers.get('content-type') ?? '', /^application\/json/);
  t.is(answer.json.path, 'docs/');
  const byName = new Map<string, any>(answer.json.entries.map((e: { name: string }) => [e.name, e]));
  t.deepEqual([...byName.keys()].sort(), ['a.txt', 'b.txt', 'sub']);
  t.like(byName.get('a.txt'), { name: 'a.txt', type: 'file', size: 3, version: 1, sha256: sha256hex('aaa'), modifiedAt: a.json.createdAt, author: 'anonymous', locked: false });
  t.like(byName.get('b.txt'), { name: 'b.txt', type: 'file', size: 4, version: 2, sha256: sha256hex('b2b2'), modifiedAt: b2.json.createdAt, locked: false });
  t.deepEqual(byName.get('sub'), { name: 'sub', type: 'directory' });

  const sub = await request(`${s.url}/files/docs/sub/`);
  t.is(sub.json.path, 'docs/sub/');
  t.deepEqual(
    sub.json.entries.map((e: { name: string; type: string }) => [e.name, e.type]),
    [
      ['deeper', 'directory'],
      ['c.txt', 'file'],
    ],
  );
});

test('the root listing at /files/ and /files shows top-level files and directories', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const empty = await request(`${s.url}/files/`);
  t.is(empty.status, 200);
  t.deepEqual(empty.json, { path: '', entries: [] });
  await put(s.url, 'top.txt', Buffer.from('t'));
  await put(s.url, 'dir/inner.txt', Buffer.from('i'));
  for (const url of [`${s.url}/files/`, `${s.url}/files`]) {
    const answer = await request(url);
    t.is(answer.status, 200);
    t.is(answer.json.path, '');
    t.deepEqual(answer.json.entries.map((e: { name: string; type: string }) => [e.name, e.type]).sort(), [
      ['dir', 'directory'],
      ['top.txt', 'file'],
    ]);
  }
});

test('percent-encoded and non-ASCII names are listed decoded', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await put(s.url, 'names/my%20file.txt', Buffer.from('1'))).status, 201);
  t.is((await put(s.url, `names/${encodeURIComponent('café.txt')}`, Buffer.from('2'))).status, 201);
  // The NFD spelling reaches the same file.
  t.is((await put(s.url, `names/${encodeURIComponent('café.txt'.normalize('NFD'))}`, Buffer.from('3'))).status, 200);
  const answer = await request(`${s.url}/files/names/`);
  t.deepEqual(answer.json.entries.map((e: { name: string }) => e.name).sort(), ['café.txt', 'my file.txt']);
});

test('deleted files and merely reserved paths are left out of a listing', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'del/keep.txt', Buffer.from('k'));
  await put(s.url, 'del/gone.txt', Buffer.from('g'));
  t.is((await request(`${s.url}/files/del/gone.txt`, { method: 'DELETE' })).status, 204);
  t.is((await checkout(s.url, 'del/reserved.txt')).status, 200);
  const answer = await request(`${s.url}/files/del/`);
  t.is(answer.status, 200);
  t.deepEqual(
    answer.json.entries.map((e: { name: string }) => e.name),
    ['keep.txt'],
  );
});

test('the locked flag follows a live check-out and clears when it expires or is released', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'lk/a.txt', Buffer.from('a'));
  await put(s.url, 'lk/b.txt', Buffer.from('b'));
  const lockedOf = async () => {
    const answer = await request(`${s.url}/files/lk/`);
    return Object.fromEntries(answer.json.entries.map((e: { name: string; locked: boolean }) => [e.name, e.locked]));
  };
  const lock = await checkout(s.url, 'lk/a.txt', { Timeout: 'Second-60' });
  t.is(lock.status, 200);
  t.deepEqual(await lockedOf(), { 'a.txt': true, 'b.txt': false });
  t.false((await request(`${s.url}/files/lk/`)).text.includes(lock.token), 'a listing never shows the token');
  s.advance(61_000);
  t.deepEqual(await lockedOf(), { 'a.txt': false, 'b.txt': false });
  const again = await checkout(s.url, 'lk/b.txt');
  t.deepEqual(await lockedOf(), { 'a.txt': false, 'b.txt': true });
  t.is((await request(`${s.url}/files/lk/b.txt`, { method: 'UNLOCK', headers: { 'Lock-Token': `<${again.token}>` } })).status, 204);
  t.deepEqual(await lockedOf(), { 'a.txt': false, 'b.txt': false });
});

test('a missing directory is 404 not-found', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'here/a.txt', Buffer.from('a'));
  assertProblem(t, await request(`${s.url}/files/nowhere/`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/here/nowhere/`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/here/a.txt/`), 404, 'not-found');
});

test('?versions lists every version newest first, delete markers included, with the live lock and no token', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const v1 = await put(s.url, 'h.txt', Buffer.from('one'), {}, '?comment=c1');
  const v2 = await put(s.url, 'h.txt', Buffer.from('two'));
  t.is((await request(`${s.url}/files/h.txt`, { method: 'DELETE' })).status, 204);
  const v4 = await put(s.url, 'h.txt', Buffer.from('four'));
  const unlocked = await history(s, 'h.txt');
  t.is(unlocked.status, 200);
  t.is(unlocked.json.path, 'h.txt');
  t.is(unlocked.json.lock, null);
  const versions = unlocked.json.versions;
  t.deepEqual(
    versions.map((v: { version: number }) => v.version),
    [4, 3, 2, 1],
  );
  t.like(versions[0], { version: 4, sha256: sha256hex('four'), size: 4, createdAt: v4.json.createdAt, author: 'anonymous' });
  t.like(versions[1], { version: 3, deleted: true, sha256: null, author: 'anonymous' });
  t.like(versions[2], { version: 2, sha256: sha256hex('two'), createdAt: v2.json.createdAt });
  t.like(versions[3], { version: 1, sha256: sha256hex('one'), comment: 'c1', createdAt: v1.json.createdAt });
  t.false('deleted' in versions[0]);

  const lock = await checkout(s.url, 'h.txt');
  const locked = await history(s, 'h.txt');
  t.like(locked.json.lock, { path: 'h.txt', owner: 'anonymous', baseVersion: 4, expiresAt: lock.json.expiresAt, createdAt: lock.json.createdAt });
  t.false('token' in locked.json.lock);
  t.false(locked.text.includes(lock.token));
});

test('?versions of a path that never had anything is 404', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  assertProblem(t, await history(s, 'never.txt'), 404, 'not-found');
});

test('?lock answers the live lock without its token (200), and 404 when there is none', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'l.txt', Buffer.from('l'));
  assertProblem(t, await request(`${s.url}/files/l.txt?lock`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/missing.txt?lock`), 404, 'not-found');
  const lock = await checkout(s.url, 'l.txt', { Timeout: 'Second-30' });
  const answer = await request(`${s.url}/files/l.txt?lock`);
  t.is(answer.status, 200);
  t.deepEqual(answer.json, {
    path: 'l.txt',
    owner: 'anonymous',
    createdAt: lock.json.createdAt,
    expiresAt: lock.json.expiresAt,
    baseVersion: 1,
  });
  t.false(answer.text.includes(lock.token));
  s.advance(31_000);
  assertProblem(t, await request(`${s.url}/files/l.txt?lock`), 404, 'not-found');
});
