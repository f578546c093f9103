/**
 * A file and a folder of the same name (twins): `/files` allows `a/b` and `a/b/c` at once, as
 * S3 does. /dav lists both (`/dav/a/b` and `/dav/a/b/`), and every operation on a tree sees and
 * carries both: PROPFIND Depth infinity, DELETE, COPY and MOVE of a collection above them. A
 * URL ending in `/` names the collection, one without names the file.
 */
import test from 'ava';
import { put } from '../../helpers/http.js';
import type { TestServer } from '../../helpers/server.js';
import { assertProblem } from '../rest/_support.js';
import { dav, davServer, files, hostOf, lock, pathsOf, propfind } from './_support.js';

const destination = (s: TestServer, target: string) => ({ Destination: `http://${hostOf(s)}/dav/${target}` });

async function twins(s: TestServer): Promise<void> {
  t200(await put(s.url, 'a/b', Buffer.from('the file b')));
  t200(await put(s.url, 'a/b/c', Buffer.from('the file c, below the folder b')));
}
function t200(answer: { status: number; text: string }): void {
  if (answer.status !== 201) throw new Error(`setup: ${answer.status} ${answer.text}`);
}

test('PROPFIND lists both twins, and Depth infinity reaches below the folder', async (t) => {
  const s = await davServer(t);
  await twins(s);
  const depth1 = await propfind(s, 'a/', '1');
  t.deepEqual(pathsOf(depth1.responses), ['/dav/a/', '/dav/a/b', '/dav/a/b/']);
  const all = await propfind(s, 'a/', 'infinity');
  t.deepEqual(pathsOf(all.responses), ['/dav/a/', '/dav/a/b', '/dav/a/b/', '/dav/a/b/c']);
  t.deepEqual(pathsOf((await propfind(s, 'a/b/', '1')).responses), ['/dav/a/b/', '/dav/a/b/c'], 'a/b/ is the folder');
  t.deepEqual(pathsOf((await propfind(s, 'a/b', '1')).responses), ['/dav/a/b'], 'a/b is the file');
});

test('DELETE of the folder above twins deletes both and everything below; nothing is left orphaned', async (t) => {
  const s = await davServer(t);
  await twins(s);
  t.is((await dav(s, 'DELETE', 'a/')).status, 204);
  for (const name of ['a/b', 'a/b/c']) t.is((await files(s, 'GET', name)).status, 404, name);
  t.is((await propfind(s, 'a/', '0')).status, 404);
  t.is((await propfind(s, 'a/b/', '0')).status, 404);
});

test('DELETE of one twin leaves the other: a/b deletes the file, a/b/ the folder', async (t) => {
  const s = await davServer(t);
  await twins(s);
  t.is((await dav(s, 'DELETE', 'a/b/')).status, 204);
  t.is((await files(s, 'GET', 'a/b/c')).status, 404);
  t.is((await files(s, 'GET', 'a/b')).text, 'the file b');
  t.is((await put(s.url, 'a/b/c', Buffer.from('again'))).status, 201);
  t.is((await dav(s, 'DELETE', 'a/b')).status, 204);
  // No file a/b any more, and the folder twin has something in it: /files sends a reader there.
  const gone = await files(s, 'GET', 'a/b');
  t.is(gone.status, 302);
  t.is(gone.headers.get('location'), '/files/a/b/');
  t.is((await files(s, 'GET', 'a/b/c')).text, 'again');
});

test('MOVE and COPY of the folder above twins carry both', async (t) => {
  const s = await davServer(t);
  await twins(s);
  t.is((await dav(s, 'COPY', 'a/', destination(s, 'c/'))).status, 201);
  t.is((await files(s, 'GET', 'c/b')).text, 'the file b');
  t.is((await files(s, 'GET', 'c/b/c')).text, 'the file c, below the folder b');
  t.is((await dav(s, 'MOVE', 'a/', destination(s, 'z/'))).status, 201);
  t.is((await files(s, 'GET', 'z/b')).text, 'the file b');
  t.is((await files(s, 'GET', 'z/b/c')).text, 'the file c, below the folder b');
  for (const name of ['a/b', 'a/b/c']) t.is((await files(s, 'GET', name)).status, 404, `${name} moved away`);
  t.is((await propfind(s, 'a/', '0')).status, 404);
});

test('MOVE of the folder twin alone (a/b/) carries the folder and leaves the file', async (t) => {
  const s = await davServer(t);
  await twins(s);
  t.is((await dav(s, 'MOVE', 'a/b/', destination(s, 'a/d/'))).status, 201);
  t.is((await files(s, 'GET', 'a/d/c')).text, 'the file c, below the folder b');
  t.is((await files(s, 'GET', 'a/b/c')).status, 404);
  t.is((await files(s, 'GET', 'a/b')).text, 'the file b', 'the file twin stays');
});

test('every method honours the trailing slash between twins: GET lists the folder, LOCK Depth infinity locks the folder and guards what is below it', async (t) => {
  const s = await davServer(t);
  await twins(s);
  const index = await dav(s, 'GET', 'a/b/');
  t.is(index.status, 200);
  t.not(index.text, 'the file b', 'a/b/ answers the folder’s index, not the file');
  t.is((await dav(s, 'GET', 'a/b')).text, 'the file b');
  const held = await lock(s, 'a/b/', { Depth: 'infinity' });
  t.is(held.status, 200, held.text);
  t.regex(held.text, /<D:depth>infinity<\/D:depth>/);
  assertProblem(t, await put(s.url, 'a/b/c', Buffer.from('intruder')), 409, 'locked');
  t.is((await put(s.url, 'a/b', Buffer.from('the file twin is not below the folder'))).status, 200);
  t.is((await dav(s, 'UNLOCK', 'a/b/', { 'Lock-Token': `<${held.token}>` })).status, 204);
  t.is((await put(s.url, 'a/b/c', Buffer.from('after'))).status, 200);
});
