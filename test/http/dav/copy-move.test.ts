/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9) over versioned, content-addressed files: a copy is a new
 * version at the destination with the source's SHA-256 (no bytes re-uploaded), dead
 * properties go along, and a MOVE leaves a delete marker behind, never a hole in the history.
 */
import test from 'ava';
import { put } from '../../helpers/http.js';
import type { TestServer } from '../../helpers/server.js';
import { assertProblem, sha256hex } from '../rest/_support.js';
import { dav, davServer, hostOf, pathsOf, propfind, propOf, setProps, versionsOf, XML } from './_support.js';

const NS = 'urn:kluis-test:props';
const destination = (s: TestServer, target: string) => ({ Destination: `http://${hostOf(s)}/dav/${target}` });

test('COPY of a file: 201, a new version at the destination with the same sha256, dead properties kept, no new blob', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'src.txt', Buffer.from('first'));
  await put(s.url, 'src.txt', Buffer.from('the content'), { 'Content-Type': 'text/plain' });
  const patched = await dav(s, 'PROPPATCH', 'src.txt', XML, setProps({ [`{${NS}}colour`]: 'blue', [`{${NS}}size`]: 'large' }));
  t.is(patched.status, 207, patched.text);
  const blobs = await s.store.blobs();

  const copied = await dav(s, 'COPY', 'src.txt', destination(s, 'dst.txt'));
  t.is(copied.status, 201, copied.text);
  t.deepEqual(await s.store.blobs(), blobs, 'no blob was added: the destination shares the source bytes');

  const src = await versionsOf(s, 'src.txt');
  const dst = await versionsOf(s, 'dst.txt');
  t.deepEqual(
    src.map((v) => v.version),
    [2, 1],
    'the source is untouched',
  );
  t.is(dst.length, 1);
  t.is(dst[0]?.version, 1);
  t.is(dst[0]?.sha256, src[0]?.sha256);
  t.is(dst[0]?.sha256, sha256hex('the content'));
  t.is((await dav(s, 'GET', 'dst.txt')).text, 'the content');

  const props = await propfind(s, 'dst.txt', '0', [`{${NS}}colour`, `{${NS}}size`, 'getcontenttype']);
  t.is(propOf(props.responses[0], 'colour', NS)?.el.text, 'blue', props.text);
  t.is(propOf(props.responses[0], 'size', NS)?.el.text, 'large');
  t.is(propOf(props.responses[0], 'getcontenttype')?.el.text, 'text/plain');
});

test('COPY onto an existing file with Overwrite T: 204, a new version after a delete marker, the old properties replaced', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'a.txt', Buffer.from('aaa'));
  await put(s.url, 'b.txt', Buffer.from('bbb'));
  t.is((await dav(s, 'PROPPATCH', 'b.txt', XML, setProps({ [`{${NS}}old`]: 'stale' }))).status, 207);
  const copied = await dav(s, 'COPY', 'a.txt', { ...destination(s, 'b.txt'), Overwrite: 'T' });
  t.is(copied.status, 204, copied.text);
  const b = await versionsOf(s, 'b.txt');
  t.deepEqual(
    b.map((v) => [v.version, v.sha256]),
    [
      [3, sha256hex('aaa')],
      [2, null],
      [1, sha256hex('bbb')],
    ],
    'b.txt history kept',
  );
  const props = await propfind(s, 'b.txt', '0', [`{${NS}}old`]);
  t.is(propOf(props.responses[0], 'old', NS)?.status, 404, `the destination's old dead property is gone: ${props.text}`);
});

test('COPY or MOVE onto an existing file with Overwrite: F is 412 and changes nothing', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'a.txt', Buffer.from('aaa'));
  await put(s.url, 'b.txt', Buffer.from('bbb'));
  for (const method of ['COPY', 'MOVE']) {
    const refused = await dav(s, method, 'a.txt', { ...destination(s, 'b.txt'), Overwrite: 'F' });
    assertProblem(t, refused, 412, 'precondition-failed');
  }
  t.deepEqual(
    (await versionsOf(s, 'a.txt')).map((v) => v.sha256),
    [sha256hex('aaa')],
  );
  t.deepEqual(
    (await versionsOf(s, 'b.txt')).map((v) => v.sha256),
    [sha256hex('bbb')],
  );
});

test('MOVE of a file: 201, a delete marker at the source (its history kept), the content and properties at the destination', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'from.txt', Buffer.from('v1'));
  await put(s.url, 'from.txt', Buffer.from('v2'));
  t.is((await dav(s, 'PROPPATCH', 'from.txt', XML, setProps({ [`{${NS}}tag`]: 'moved' }))).status, 207);
  const moved = await dav(s, 'MOVE', 'from.txt', destination(s, 'to.txt'));
  t.is(moved.status, 201, moved.text);
  const from = await versionsOf(s, 'from.txt');
  t.deepEqual(
    from.map((v) => [v.version, v.deleted === true]),
    [
      [3, true],
      [2, false],
      [1, false],
    ],
  );
  t.is(from[1]?.sha256, sha256hex('v2'));
  assertProblem(t, await dav(s, 'GET', 'from.txt'), 404, 'not-found');
  t.is((await dav(s, 'GET', 'from.txt?version=1')).text, 'v1', 'the old versions stay readable');
  const to = await versionsOf(s, 'to.txt');
  t.deepEqual(
    to.map((v) => v.sha256),
    [sha256hex('v2')],
  );
  const props = await propfind(s, 'to.txt', '0', [`{${NS}}tag`]);
  t.is(propOf(props.responses[0], 'tag', NS)?.el.text, 'moved', props.text);
});

test('MOVE of a collection moves every member; the source files keep their history behind delete markers', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'old/a.txt', Buffer.from('a'));
  await put(s.url, 'old/sub/b.txt', Buffer.from('b'));
  const moved = await dav(s, 'MOVE', 'old/', destination(s, 'new/'));
  t.is(moved.status, 201, moved.text);
  const tree = await propfind(s, 'new/', 'infinity');
  t.deepEqual(pathsOf(tree.responses), ['/dav/new/', '/dav/new/a.txt', '/dav/new/sub/', '/dav/new/sub/b.txt']);
  assertProblem(t, await propfind(s, 'old/', '0'), 404, 'not-found');
  t.deepEqual(
    (await versionsOf(s, 'old/sub/b.txt')).map((v) => v.deleted === true),
    [true, false],
  );
  t.is((await dav(s, 'GET', 'new/sub/b.txt')).text, 'b');
});

test('COPY of a collection with Depth: 0 copies the collection and its properties but no member', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'coll/a.txt', Buffer.from('a'));
  await put(s.url, 'coll/sub/b.txt', Buffer.from('b'));
  t.is((await dav(s, 'MKCOL', 'coll/empty/')).status, 201);
  t.is((await dav(s, 'PROPPATCH', 'coll/', XML, setProps({ [`{${NS}}label`]: 'shallow' }))).status, 207);
  const copied = await dav(s, 'COPY', 'coll/', { ...destination(s, 'copy/'), Depth: '0' });
  t.is(copied.status, 201, copied.text);
  const listed = await propfind(s, 'copy/', 'infinity', [`{${NS}}label`]);
  t.deepEqual(pathsOf(listed.responses), ['/dav/copy/'], `no member was copied: ${listed.text}`);
  t.is(propOf(listed.responses[0], 'label', NS)?.el.text, 'shallow');
  t.deepEqual(await versionsOf(s, 'copy/a.txt'), []);
  // Depth: infinity (the default) copies all of it.
  t.is((await dav(s, 'COPY', 'coll/', destination(s, 'full/'))).status, 201);
  const full = await propfind(s, 'full/', 'infinity');
  t.deepEqual(pathsOf(full.responses), ['/dav/full/', '/dav/full/a.txt', '/dav/full/empty/', '/dav/full/sub/', '/dav/full/sub/b.txt']);
});

test('Destination on another host is 502; COPY onto itself or into itself is 403; nothing is written', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'f.txt', Buffer.from('f'));
  await put(s.url, 'dir/x.txt', Buffer.from('x'));
  assertProblem(t, await dav(s, 'COPY', 'f.txt', { Destination: 'http://elsewhere.example/dav/f.txt' }), 502, 'bad-gateway');
  const otherPort = new URL(s.url);
  otherPort.port = String(Number(otherPort.port) + 1);
  assertProblem(t, await dav(s, 'MOVE', 'f.txt', { Destination: `${otherPort.origin}/dav/g.txt` }), 502, 'bad-gateway');
  assertProblem(t, await dav(s, 'COPY', 'f.txt', destination(s, 'f.txt')), 403, 'forbidden');
  assertProblem(t, await dav(s, 'MOVE', 'f.txt', destination(s, 'f.txt')), 403, 'forbidden');
  assertProblem(t, await dav(s, 'COPY', 'dir/', destination(s, 'dir/inner/')), 403, 'forbidden');
  t.deepEqual(
    (await versionsOf(s, 'f.txt')).map((v) => v.version),
    [1],
  );
  t.deepEqual(await versionsOf(s, 'g.txt'), []);
  t.deepEqual(pathsOf((await propfind(s, 'dir/', 'infinity')).responses), ['/dav/dir/', '/dav/dir/x.txt']);
});

test('COPY to a destination whose parent is missing is 409; of a missing source 404', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'f.txt', Buffer.from('f'));
  assertProblem(t, await dav(s, 'COPY', 'f.txt', destination(s, 'nowhere/f.txt')), 409, 'conflict');
  assertProblem(t, await dav(s, 'COPY', 'missing.txt', destination(s, 'g.txt')), 404, 'not-found');
  t.deepEqual(await versionsOf(s, 'nowhere/f.txt'), []);
});
