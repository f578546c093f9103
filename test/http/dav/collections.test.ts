/**
 * Collections on /dav (RFC 4918 §9.3 MKCOL, §9.6 DELETE) and how they meet /files
 * directories: a /files upload creates its parents, a /dav DELETE leaves delete markers (the
 * history stays), and a later /files upload brings a deleted collection back.
 */
import test from 'ava';
import { put } from '../../helpers/http.js';
import { assertProblem, sha256hex } from '../rest/_support.js';
import { dav, davServer, files, pathsOf, propfind, propOf, versionsOf } from './_support.js';

test('MKCOL: 201, then 405 for the same collection, 415 with a body, 409 under a missing parent', async (t) => {
  const s = await davServer(t);
  const made = await dav(s, 'MKCOL', 'made/');
  t.is(made.status, 201, made.text);
  const again = await dav(s, 'MKCOL', 'made/');
  assertProblem(t, again, 405, 'method-not-allowed');
  t.truthy(again.headers.get('allow'), '405 carries Allow (RFC 9110 §15.5.6)');
  t.is((await dav(s, 'MKCOL', 'made')).status, 405, 'the same collection without the trailing slash');
  const withBody = await dav(s, 'MKCOL', 'bodied/', { 'Content-Type': 'application/xml' }, '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:"/>');
  assertProblem(t, withBody, 415, 'unsupported-media-type');
  const orphan = await dav(s, 'MKCOL', 'missing/child/');
  assertProblem(t, orphan, 409, 'conflict');
  const root = await propfind(s, '', '1', ['resourcetype']);
  t.deepEqual(pathsOf(root.responses), ['/dav/', '/dav/made/'], `only made/ exists: ${root.text}`);
  await put(s.url, 'file.txt', Buffer.from('f'));
  assertProblem(t, await dav(s, 'MKCOL', 'file.txt/'), 405, 'method-not-allowed');
});

test('a /dav PUT under a missing parent is 409 conflict and stores nothing', async (t) => {
  const s = await davServer(t);
  const orphan = await dav(s, 'PUT', 'nowhere/file.txt', {}, 'lost');
  assertProblem(t, orphan, 409, 'conflict');
  t.deepEqual(await versionsOf(s, 'nowhere/file.txt'), []);
  t.deepEqual(await s.store.blobs(), [], 'no blob was stored for the refused body');
  t.is((await propfind(s, 'nowhere/', '0')).status, 404);
});

test('a /files PUT creates its parents: they show as collections in PROPFIND /dav/ Depth 1 and deeper', async (t) => {
  const s = await davServer(t);
  t.is((await put(s.url, 'a/b/c.txt', Buffer.from('c'))).status, 201);
  t.is((await put(s.url, 'top.txt', Buffer.from('t'))).status, 201);
  const root = await propfind(s, '', '1', ['resourcetype']);
  t.is(root.status, 207, root.text);
  t.deepEqual(pathsOf(root.responses), ['/dav/', '/dav/a/', '/dav/top.txt']);
  const a = root.responses.find((r) => r.path === '/dav/a/');
  t.is(propOf(a, 'resourcetype')?.el.children[0]?.name, 'collection', root.text);
  const deep = await propfind(s, 'a/', 'infinity', ['getcontentlength']);
  t.deepEqual(pathsOf(deep.responses), ['/dav/a/', '/dav/a/b/', '/dav/a/b/c.txt']);
  // And /dav writes may now go inside it.
  t.is((await dav(s, 'PUT', 'a/b/d.txt', {}, 'd')).status, 201);
});

test('an empty collection made by MKCOL is listed in PROPFIND of its parent, with DAV:collection', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'parent/')).status, 201);
  t.is((await dav(s, 'MKCOL', 'parent/empty/')).status, 201);
  const listed = await propfind(s, 'parent/', '1', ['resourcetype']);
  t.deepEqual(pathsOf(listed.responses), ['/dav/parent/', '/dav/parent/empty/'], listed.text);
  const empty = listed.responses.find((r) => r.path === '/dav/parent/empty/');
  t.is(propOf(empty, 'resourcetype')?.el.children[0]?.name, 'collection');
  const itself = await propfind(s, 'parent/empty/', '1');
  t.deepEqual(pathsOf(itself.responses), ['/dav/parent/empty/'], 'an empty collection answers for itself alone');
  // /files sees no file there, but may write into it.
  t.is((await put(s.url, 'parent/empty/x.txt', Buffer.from('x'))).status, 201);
});

test('DELETE of a collection leaves delete markers on its files; their history stays in /files', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'gone/one.txt', Buffer.from('one 1'));
  await put(s.url, 'gone/one.txt', Buffer.from('one 2'));
  await put(s.url, 'gone/sub/two.txt', Buffer.from('two'));
  t.is((await dav(s, 'MKCOL', 'gone/empty/')).status, 201);
  const removed = await dav(s, 'DELETE', 'gone/');
  t.is(removed.status, 204, removed.text);

  const one = await versionsOf(s, 'gone/one.txt');
  t.deepEqual(
    one.map((v) => [v.version, v.deleted === true]),
    [
      [3, true],
      [2, false],
      [1, false],
    ],
  );
  t.is(one[1]?.sha256, sha256hex('one 2'));
  const two = await versionsOf(s, 'gone/sub/two.txt');
  t.deepEqual(
    two.map((v) => [v.version, v.deleted === true]),
    [
      [2, true],
      [1, false],
    ],
  );
  assertProblem(t, await files(s, 'GET', 'gone/one.txt'), 404, 'not-found');
  const old = await files(s, 'GET', 'gone/one.txt?version=1');
  t.is(old.status, 200);
  t.is(old.text, 'one 1', 'an old version is still readable');

  for (const gone of ['gone/', 'gone/sub/', 'gone/empty/']) {
    assertProblem(t, await propfind(s, gone, '0'), 404, 'not-found');
  }
  assertProblem(t, await dav(s, 'GET', 'gone/one.txt'), 404, 'not-found');
  const root = await propfind(s, '', '1');
  t.deepEqual(pathsOf(root.responses), ['/dav/'], `the deleted collection is not listed: ${root.text}`);
  assertProblem(t, await dav(s, 'DELETE', 'gone/'), 404, 'not-found');
});

test('a /files PUT into a deleted collection makes it visible again on /dav, with only the new file', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'back/old.txt', Buffer.from('old'));
  await put(s.url, 'back/deep/older.txt', Buffer.from('older'));
  t.is((await dav(s, 'DELETE', 'back/')).status, 204);
  assertProblem(t, await propfind(s, 'back/', '0'), 404, 'not-found');
  // /dav may not write into it: its parent is gone.
  assertProblem(t, await dav(s, 'PUT', 'back/new.txt', {}, 'x'), 409, 'conflict');

  t.is((await put(s.url, 'back/deep/new.txt', Buffer.from('new'))).status, 201);
  const root = await propfind(s, '', '1');
  t.deepEqual(pathsOf(root.responses), ['/dav/', '/dav/back/'], root.text);
  const tree = await propfind(s, 'back/', 'infinity');
  t.is(tree.status, 207, tree.text);
  t.deepEqual(pathsOf(tree.responses), ['/dav/back/', '/dav/back/deep/', '/dav/back/deep/new.txt'], 'the deleted files stay deleted');
  const got = await dav(s, 'GET', 'back/deep/new.txt');
  t.is(got.text, 'new');
  // The old file keeps its whole history, and a /files PUT to it starts a new version after the marker.
  t.is((await put(s.url, 'back/old.txt', Buffer.from('old again'))).json.version, 3);
});

test('MKCOL on a deleted collection makes it again, empty', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'again/f.txt', Buffer.from('f'));
  t.is((await dav(s, 'DELETE', 'again/')).status, 204);
  t.is((await dav(s, 'MKCOL', 'again/')).status, 201);
  const listed = await propfind(s, 'again/', '1');
  t.deepEqual(pathsOf(listed.responses), ['/dav/again/']);
});

test('a collection made by MKCOL is a directory on /files too: listed in its parent, and listable while empty', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'empty/')).status, 201);
  t.is((await dav(s, 'MKCOL', 'empty/inner/')).status, 201);
  const root = await files(s, 'GET', '');
  t.is(root.status, 200, root.text);
  t.deepEqual((JSON.parse(root.text) as { entries: { name: string; type: string }[] }).entries, [{ name: 'empty', type: 'directory' }]);
  const empty = await files(s, 'GET', 'empty/');
  t.is(empty.status, 200, empty.text);
  t.deepEqual((JSON.parse(empty.text) as { entries: unknown[] }).entries, [{ name: 'inner', type: 'directory' }]);
  t.is((await dav(s, 'DELETE', 'empty/')).status, 204);
  t.is((await files(s, 'GET', 'empty/')).status, 404, 'a deleted collection with nothing ever stored in it is gone from /files');
});
