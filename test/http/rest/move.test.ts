/**
 * POST /files/<path>?move-to=<destination>[&overwrite]: rename or move a file or a folder with
 * the machinery of WebDAV MOVE, under the /files rules (409 locked, Lock-Token, parents made).
 */
import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { dav, files, lock, versionsOf } from '../dav/_support.js';
import { AS, assertProblem, makeUsers, sha256hex } from './_support.js';

const moveTo = (url: string, from: string, to: string, headers: Record<string, string> = {}, extra = '') =>
  request(`${url}/files/${from}?move-to=${encodeURIComponent(to)}${extra}`, { method: 'POST', headers });
const names = (answer: { json: { entries: { name: string; type: string }[] } }) => answer.json.entries.map((e) => `${e.name}:${e.type}`);

test('a file moves (201): the answer is its new version record and path; the old path is deleted with its history kept and restorable', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'docs/a.txt', Buffer.from('one'), { 'Content-Type': 'text/plain' });
  await put(s.url, 'docs/a.txt', Buffer.from('two'), { 'Content-Type': 'text/plain' });
  const moved = await moveTo(s.url, 'docs/a.txt', 'docs/b c.txt');
  t.is(moved.status, 201, moved.text);
  t.like(moved.json, { path: 'docs/b c.txt', from: 'docs/a.txt', version: 1, sha256: sha256hex('two'), size: 3, contentType: 'text/plain', author: 'anonymous' });
  t.is(moved.headers.get('location'), '/files/docs/b%20c.txt?version=1');
  t.is(moved.headers.get('etag'), `"${sha256hex('two')}"`);
  t.is(moved.headers.get('file-version'), '1');
  t.is((await request(`${s.url}/files/docs/b%20c.txt`)).text, 'two');
  assertProblem(t, await request(`${s.url}/files/docs/a.txt`), 404, 'not-found');
  t.deepEqual(names(await request(`${s.url}/files/docs/`)), ['b c.txt:file']);
  // As /dav MOVE: the history stays with the old path, ending in a delete marker.
  const old = await versionsOf(s, 'docs/a.txt');
  t.deepEqual(
    old.map((v) => [v.version, v.deleted ?? false]),
    [
      [3, true],
      [2, false],
      [1, false],
    ],
  );
  t.is((await request(`${s.url}/files/docs/a.txt?version=1`)).text, 'one');
  t.is((await request(`${s.url}/files/docs/a.txt?restore=2`, { method: 'POST' })).status, 201);
});

test('a move into folders that do not exist makes them, as an upload does; the destination is the query value as text', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'x.txt', Buffer.from('x'));
  const moved = await moveTo(s.url, 'x.txt', 'new/deep/100% x+y.txt');
  t.is(moved.status, 201, moved.text);
  t.is(moved.json.path, 'new/deep/100% x+y.txt');
  t.is((await request(`${s.url}/files/new/deep/100%25%20x%2By.txt`)).text, 'x');
  t.deepEqual(names(await request(`${s.url}/files/new/`)), ['deep:directory']);
});

test('a destination that exists is 412 and nothing changes; with &overwrite it is replaced (200) and keeps its own history', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'src.txt', Buffer.from('src'));
  await put(s.url, 'dst.txt', Buffer.from('dst'));
  const refused = await moveTo(s.url, 'src.txt', 'dst.txt');
  assertProblem(t, refused, 412, 'precondition-failed');
  t.like(refused.json, { path: 'dst.txt', currentVersion: 1, currentSha256: sha256hex('dst') });
  t.is((await request(`${s.url}/files/src.txt`)).text, 'src');
  t.is((await request(`${s.url}/files/dst.txt`)).text, 'dst');
  const replaced = await moveTo(s.url, 'src.txt', 'dst.txt', {}, '&overwrite');
  t.is(replaced.status, 200, replaced.text);
  t.like(replaced.json, { path: 'dst.txt', from: 'src.txt', version: 3, sha256: sha256hex('src') });
  t.is((await request(`${s.url}/files/dst.txt`)).text, 'src');
  t.deepEqual(
    (await versionsOf(s, 'dst.txt')).map((v) => v.version),
    [3, 2, 1],
  );
  t.is((await request(`${s.url}/files/src.txt`)).status, 404);
});

test('a folder moves with everything in it (201): files, sub-folders and empty folders; the old folder is gone from listings', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'f/x.txt', Buffer.from('x'));
  await put(s.url, 'f/sub/y.txt', Buffer.from('y'));
  t.is((await request(`${s.url}/files/f/empty/?mkdir`, { method: 'POST' })).status, 201);
  const moved = await moveTo(s.url, 'f/', 'g/h/');
  t.is(moved.status, 201, moved.text);
  t.deepEqual(moved.json, { path: 'g/h/', from: 'f/', files: 2, kept: [] });
  t.is(moved.headers.get('location'), '/files/g/h/');
  t.deepEqual(names(await request(`${s.url}/files/`)), ['g:directory']);
  t.deepEqual(names(await request(`${s.url}/files/g/h/`)), ['empty:directory', 'sub:directory', 'x.txt:file']);
  t.is((await request(`${s.url}/files/g/h/sub/y.txt`)).text, 'y');
  t.is((await request(`${s.url}/files/g/h/empty/`)).status, 200);
  t.is((await request(`${s.url}/files/f/x.txt`)).status, 404);
  // /dav agrees: the old collection is gone, the new one is there.
  t.is((await dav(s, 'PROPFIND', 'f/', { Depth: '0' })).status, 404);
  t.is((await dav(s, 'PROPFIND', 'g/h/', { Depth: '0' })).status, 207);
  // A folder onto an existing folder: 412, then replaced with &overwrite (200).
  await put(s.url, 'k/z.txt', Buffer.from('z'));
  assertProblem(t, await moveTo(s.url, 'k/', 'g/h/'), 412, 'precondition-failed');
  const over = await moveTo(s.url, 'k/', 'g/h/', {}, '&overwrite');
  t.is(over.status, 200, over.text);
  t.deepEqual(names(await request(`${s.url}/files/g/h/`)), ['z.txt:file']);
});

test('refusals: missing source 404, itself or into itself 403, file to folder URL 400, bad destination 400, root 403', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'd/a.txt', Buffer.from('a'));
  assertProblem(t, await moveTo(s.url, 'd/none.txt', 'd/b.txt'), 404, 'not-found');
  assertProblem(t, await moveTo(s.url, 'nodir/', 'other/'), 404, 'not-found');
  // A file URL names the file only, a folder URL the folder only.
  assertProblem(t, await moveTo(s.url, 'd', 'e'), 404, 'not-found');
  assertProblem(t, await moveTo(s.url, 'd/a.txt/', 'd/b/'), 404, 'not-found');
  assertProblem(t, await moveTo(s.url, 'd/a.txt', 'd/a.txt'), 403, 'forbidden');
  assertProblem(t, await moveTo(s.url, 'd/', 'd/inner/'), 403, 'forbidden');
  assertProblem(t, await moveTo(s.url, '', 'x/'), 403, 'forbidden');
  assertProblem(t, await moveTo(s.url, 'd/', '/'), 403, 'forbidden');
  assertProblem(t, await moveTo(s.url, 'd/a.txt', 'd/b/'), 400, 'bad-request');
  assertProblem(t, await moveTo(s.url, 'd/', 'e'), 400, 'bad-request');
  assertProblem(t, await moveTo(s.url, 'd/a.txt', ''), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/files/d/a.txt?move-to=a&move-to=b`, { method: 'POST' }), 400, 'bad-request');
  for (const bad of ['../x.txt', '/abs.txt', 'a//b.txt', 'a/%2e%2e/b.txt', 'back\\slash.txt']) assertProblem(t, await moveTo(s.url, 'd/a.txt', bad), 400, 'invalid-path');
  t.is((await request(`${s.url}/files/d/a.txt`)).text, 'a', 'nothing moved');
  t.deepEqual(names(await request(`${s.url}/files/`)), ['d:directory']);
});

test('a checked-out file moves only with its Lock-Token (else 409 locked, naming the holder); the lock stays behind and is released', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'l.txt', Buffer.from('l'));
  const held = await checkout(s.url, 'l.txt');
  const refused = await moveTo(s.url, 'l.txt', 'm.txt');
  assertProblem(t, refused, 409, 'locked');
  t.like(refused.json, { path: 'l.txt', currentVersion: 1, currentSha256: sha256hex('l'), lock: { owner: 'anonymous' } });
  t.is((await request(`${s.url}/files/m.txt`)).status, 404);
  const moved = await moveTo(s.url, 'l.txt', 'm.txt', { 'Lock-Token': `<${held.token}>` });
  t.is(moved.status, 201, moved.text);
  t.is((await request(`${s.url}/files/m.txt?lock`)).status, 404, 'the lock did not follow');
  t.is((await request(`${s.url}/files/l.txt?lock`)).status, 404, 'the lock went with the source');
});

test('WebDAV locks hold: a Depth-0 lock on the destination folder, a Depth-infinity lock above the source, or a locked member of a moved folder refuse without the token', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'a.txt', Buffer.from('a'));
  t.is((await dav(s, 'MKCOL', 'in/')).status, 201);
  const zero = await lock(s, 'in/', { Depth: '0' });
  assertProblem(t, await moveTo(s.url, 'a.txt', 'in/a.txt'), 409, 'locked');
  t.is((await moveTo(s.url, 'a.txt', 'in/a.txt', { 'Lock-Token': zero.token })).status, 201);

  await put(s.url, 'tree/b.txt', Buffer.from('b'));
  const deep = await lock(s, 'tree/', { Depth: 'infinity' });
  assertProblem(t, await moveTo(s.url, 'tree/b.txt', 'b.txt'), 409, 'locked');
  assertProblem(t, await moveTo(s.url, 'tree/', 'other/'), 409, 'locked');
  t.is((await request(`${s.url}/files/tree/b.txt`)).text, 'b');
  t.is((await moveTo(s.url, 'tree/b.txt', 'b.txt', { If: `(<${deep.token}>)` })).status, 201);

  await put(s.url, 'box/c.txt', Buffer.from('c'));
  await checkout(s.url, 'box/c.txt');
  const refused = await moveTo(s.url, 'box/', 'crate/');
  assertProblem(t, refused, 409, 'locked');
  t.is(refused.json.path, 'box/c.txt');
  t.deepEqual(names(await request(`${s.url}/files/box/`)), ['c.txt:file']);
  t.is((await request(`${s.url}/files/crate/`)).status, 404);

  // A folder holding two of the caller's locks moves when both tokens are sent in its If.
  await put(s.url, 'pair/d.txt', Buffer.from('d'));
  await put(s.url, 'pair/e.txt', Buffer.from('e'));
  const d = await lock(s, 'pair/d.txt', { Depth: '0' });
  const e = await lock(s, 'pair/e.txt', { Depth: '0' });
  assertProblem(t, await moveTo(s.url, 'pair/', 'twin/', { If: `(<${d.token}>)` }), 409, 'locked');
  t.is((await moveTo(s.url, 'pair/', 'twin/', { If: `(<${d.token}>) (<${e.token}>)` })).status, 201);
});

test('moving needs a writer: 401 without credentials, 403 forbidden for a read-only user', async (t) => {
  const s = await startServer({ users: await makeUsers() });
  t.teardown(() => s.close());
  await put(s.url, 'r.txt', Buffer.from('r'), AS.alice);
  t.is((await moveTo(s.url, 'r.txt', 's.txt')).status, 401);
  assertProblem(t, await moveTo(s.url, 'r.txt', 's.txt', AS.reader), 403, 'forbidden');
  const moved = await moveTo(s.url, 'r.txt', 's.txt', AS.bob);
  t.is(moved.status, 201);
  t.is(moved.json.author, 'bob');
  t.is((await files(s, 'GET', 's.txt', AS.reader)).text, 'r');
});
