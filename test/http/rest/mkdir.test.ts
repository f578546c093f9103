/**
 * POST /files/<dir>/?mkdir: an empty folder made on /files, listed by its parent, listable while
 * empty and a collection on /dav; idempotent (200), under the membership lock rules of uploads.
 */
import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { dav, files, lock, propfind } from '../dav/_support.js';
import { AS, assertProblem, makeUsers } from './_support.js';

const mkdir = (url: string, dir: string, headers: Record<string, string> = {}) => request(`${url}/files/${dir}?mkdir`, { method: 'POST', headers });
const names = (answer: { json: { entries: { name: string; type: string }[] } }) => answer.json.entries.map((e) => `${e.name}:${e.type}`);

test('POST <dir>/?mkdir makes an empty folder (201) and the missing ones above it; the parent lists it, it lists empty, /dav sees a collection', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const made = await mkdir(s.url, 'docs/new%20one/');
  t.is(made.status, 201, made.text);
  t.deepEqual(made.json, { path: 'docs/new one/', created: true });
  t.is(made.headers.get('location'), '/files/docs/new%20one/');
  t.deepEqual(names(await request(`${s.url}/files/`)), ['docs:directory']);
  t.deepEqual(names(await request(`${s.url}/files/docs/`)), ['new one:directory']);
  const empty = await request(`${s.url}/files/docs/new%20one/`);
  t.is(empty.status, 200);
  t.deepEqual(empty.json, { path: 'docs/new one/', entries: [] });
  const found = await propfind(s, 'docs/new%20one/', '0', ['resourcetype']);
  t.is(found.status, 207, found.text);
  t.regex(found.text, /<D:collection\s*\/>/);
  // A file put into it, then deleted: the folder stays (it was made, not implied by a file).
  await put(s.url, 'docs/new%20one/a.txt', Buffer.from('a'));
  t.is((await request(`${s.url}/files/docs/new%20one/a.txt`, { method: 'DELETE' })).status, 204);
  t.deepEqual(names(await request(`${s.url}/files/docs/`)), ['new one:directory']);
});

test('?mkdir of a folder that is there is 200 and changes nothing visible; of the root too', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await mkdir(s.url, 'x/')).status, 201);
  const again = await mkdir(s.url, 'x/');
  t.is(again.status, 200);
  t.deepEqual(again.json, { path: 'x/', created: false });
  await put(s.url, 'up/file.txt', Buffer.from('f'));
  const implied = await mkdir(s.url, 'up/');
  t.is(implied.status, 200);
  t.deepEqual(implied.json, { path: 'up/', created: false });
  // Made explicit: it stays once its last file is deleted.
  t.is((await request(`${s.url}/files/up/file.txt`, { method: 'DELETE' })).status, 204);
  t.is((await propfind(s, 'up/', '0', ['resourcetype'])).status, 207);
  const root = await mkdir(s.url, '');
  t.is(root.status, 200);
  t.deepEqual(root.json, { path: '', created: false });
});

test('a collection made by MKCOL on /dav is listed by /files, and ?mkdir of it is 200', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await dav(s, 'MKCOL', 'made/')).status, 201);
  t.deepEqual(names(await request(`${s.url}/files/`)), ['made:directory']);
  t.deepEqual((await request(`${s.url}/files/made/`)).json, { path: 'made/', entries: [] });
  t.is((await mkdir(s.url, 'made/')).status, 200);
});

test('?mkdir on a file URL is 400 bad-request; beside a file of the same name it makes the folder twin', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  assertProblem(t, await mkdir(s.url, 'a/b'), 400, 'bad-request');
  t.is((await request(`${s.url}/files/a/`)).status, 404, 'nothing was made');
  assertProblem(t, await files(s, 'POST', '%2e%2e/?mkdir'), 400, 'invalid-path');
  await put(s.url, 'a/b', Buffer.from('file'));
  t.is((await mkdir(s.url, 'a/b/')).status, 201);
  t.is((await request(`${s.url}/files/a/b`)).text, 'file');
  t.deepEqual(names(await request(`${s.url}/files/a/`)), ['b:directory', 'b:file']);
});

test('a folder deleted on /dav is made again by ?mkdir (201)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'gone/f.txt', Buffer.from('f'));
  t.is((await dav(s, 'DELETE', 'gone/')).status, 204);
  t.is((await mkdir(s.url, 'gone/')).status, 201);
  t.is((await propfind(s, 'gone/', '0', ['resourcetype'])).status, 207);
});

test('a Depth-0 lock of the parent, or a Depth-infinity lock above, refuses ?mkdir without its token (409 locked, nothing made); with it, 201', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await dav(s, 'MKCOL', 'p/')).status, 201);
  const zero = await lock(s, 'p/', { Depth: '0' });
  t.is(zero.status, 200, zero.text);
  const refused = await mkdir(s.url, 'p/child/');
  assertProblem(t, refused, 409, 'locked');
  t.is(refused.json.lock?.owner, 'anonymous');
  t.is(refused.json.currentVersion, 0);
  // Making p/deep/er/ adds p/deep to p: refused too.
  assertProblem(t, await mkdir(s.url, 'p/deep/er/'), 409, 'locked');
  t.deepEqual((await request(`${s.url}/files/p/`)).json.entries, [], 'nothing was made');
  t.is((await mkdir(s.url, 'p/child/', { 'Lock-Token': `<${zero.token}>` })).status, 201);
  // A folder already there needs no token: nothing is added.
  t.is((await mkdir(s.url, 'p/child/')).status, 200);

  t.is((await dav(s, 'MKCOL', 'q/')).status, 201);
  const deep = await lock(s, 'q/', { Depth: 'infinity' });
  t.is(deep.status, 200, deep.text);
  assertProblem(t, await mkdir(s.url, 'q/a/b/'), 409, 'locked');
  t.is((await mkdir(s.url, 'q/a/b/', { If: `(<${deep.token}>)` })).status, 201);
  t.deepEqual(names(await request(`${s.url}/files/q/a/`)), ['b:directory']);
});

test('?mkdir needs a writer: 401 without credentials, 403 forbidden for a read-only user', async (t) => {
  const s = await startServer({ users: await makeUsers() });
  t.teardown(() => s.close());
  t.is((await mkdir(s.url, 'r/')).status, 401);
  assertProblem(t, await mkdir(s.url, 'r/', AS.reader), 403, 'forbidden');
  t.is((await request(`${s.url}/files/r/`, { headers: AS.alice })).status, 404);
  t.is((await mkdir(s.url, 'r/', AS.alice)).status, 201);
  t.is((await files(s, 'GET', 'r/', AS.reader)).status, 200);
});
