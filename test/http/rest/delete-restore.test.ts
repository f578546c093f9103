import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, assertUnchanged, history, sha256hex } from './_support.js';

test('DELETE answers 204, then GET is 404 and the history keeps every version plus a delete marker', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'd/a.txt', Buffer.from('a1'));
  await put(s.url, 'd/a.txt', Buffer.from('a2'));
  const blobs = await s.store.blobs();
  const answer = await request(`${s.url}/files/d/a.txt`, { method: 'DELETE' });
  t.is(answer.status, 204);
  t.is(answer.text, '');
  t.is(answer.headers.get('file-version'), '3');
  assertProblem(t, await request(`${s.url}/files/d/a.txt`), 404, 'not-found');
  const h = await history(s, 'd/a.txt');
  t.is(h.status, 200);
  t.deepEqual(
    h.json.versions.map((v: { version: number }) => v.version),
    [3, 2, 1],
  );
  t.like(h.json.versions[0], { version: 3, deleted: true, sha256: null, size: 0, author: 'anonymous' });
  t.is(new Date(h.json.versions[0].createdAt).toISOString(), h.json.versions[0].createdAt);
  // Old versions stay readable and their blobs stay.
  t.is((await request(`${s.url}/files/d/a.txt?version=1`)).text, 'a1');
  t.is((await request(`${s.url}/files/d/a.txt?version=2`)).text, 'a2');
  t.deepEqual(await s.store.blobs(), blobs);
});

test('DELETE of a missing or already deleted file is 404 and adds no marker', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  assertProblem(t, await request(`${s.url}/files/nothing.txt`, { method: 'DELETE' }), 404, 'not-found');
  assertProblem(t, await history(s, 'nothing.txt'), 404, 'not-found');
  await put(s.url, 'twice.txt', Buffer.from('t'));
  t.is((await request(`${s.url}/files/twice.txt`, { method: 'DELETE' })).status, 204);
  const before = await history(s, 'twice.txt');
  assertProblem(t, await request(`${s.url}/files/twice.txt`, { method: 'DELETE' }), 404, 'not-found');
  await assertUnchanged(t, s, 'twice.txt', before, await s.store.blobs());
});

test('DELETE of a directory URL is 400 bad-request', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'dir/a.txt', Buffer.from('a'));
  assertProblem(t, await request(`${s.url}/files/dir/`, { method: 'DELETE' }), 400, 'bad-request');
  t.is((await request(`${s.url}/files/dir/a.txt`)).status, 200);
});

test('PUT after DELETE creates the file again (201) with the next version number', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'again.txt', Buffer.from('one'));
  await request(`${s.url}/files/again.txt`, { method: 'DELETE' });
  const answer = await put(s.url, 'again.txt', Buffer.from('two'));
  t.is(answer.status, 201);
  t.is(answer.json.version, 3);
  t.is(answer.headers.get('file-version'), '3');
  t.is((await request(`${s.url}/files/again.txt`)).text, 'two');
  // The same bytes as before the delete are a new version too, not an idempotent no-op.
  await request(`${s.url}/files/again.txt`, { method: 'DELETE' });
  const same = await put(s.url, 'again.txt', Buffer.from('two'));
  t.is(same.status, 201);
  t.is(same.json.version, 5);
});

test('POST ?restore=N makes a new version with the bytes and sha256 of version N', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const v1 = await put(s.url, 'r.txt', Buffer.from('original'), { 'Content-Type': 'text/plain' });
  await put(s.url, 'r.txt', Buffer.from('changed'), { 'Content-Type': 'text/x-other' });
  const blobs = await s.store.blobs();
  const answer = await request(`${s.url}/files/r.txt?restore=1`, { method: 'POST' });
  t.is(answer.status, 200);
  t.like(answer.json, { path: 'r.txt', version: 3, sha256: v1.json.sha256, size: 8, contentType: 'text/plain', author: 'anonymous' });
  t.is(typeof answer.json.comment, 'string', 'a restore says where it came from');
  t.is(answer.headers.get('etag'), `"${sha256hex('original')}"`);
  t.is(answer.headers.get('file-version'), '3');
  t.is(answer.headers.get('location'), '/files/r.txt?version=3');
  t.is((await request(`${s.url}/files/r.txt`)).text, 'original');
  t.deepEqual(
    (await history(s, 'r.txt')).json.versions.map((v: { version: number }) => v.version),
    [3, 2, 1],
  );
  t.deepEqual(await s.store.blobs(), blobs, 'a restore stores no new blob');
  const commented = await request(`${s.url}/files/r.txt?restore=2&comment=back`, { method: 'POST' });
  t.is(commented.json.comment, 'back');
});

test('POST ?restore=N of a deleted file brings it back (201)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'back.txt', Buffer.from('alive'));
  await request(`${s.url}/files/back.txt`, { method: 'DELETE' });
  const answer = await request(`${s.url}/files/back.txt?restore=1`, { method: 'POST' });
  t.is(answer.status, 201);
  t.is(answer.json.version, 3);
  t.is((await request(`${s.url}/files/back.txt`)).text, 'alive');
});

test('restore of a delete marker is 400, of a missing version or file 404, and changes nothing', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'x.txt', Buffer.from('x1'));
  await request(`${s.url}/files/x.txt`, { method: 'DELETE' });
  await put(s.url, 'x.txt', Buffer.from('x3'));
  const before = await history(s, 'x.txt');
  const blobs = await s.store.blobs();
  assertProblem(t, await request(`${s.url}/files/x.txt?restore=2`, { method: 'POST' }), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/files/x.txt?restore=9`, { method: 'POST' }), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/x.txt?restore=0`, { method: 'POST' }), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/files/x.txt?restore=abc`, { method: 'POST' }), 400, 'bad-request');
  await assertUnchanged(t, s, 'x.txt', before, blobs);
  assertProblem(t, await request(`${s.url}/files/ghost.txt?restore=1`, { method: 'POST' }), 404, 'not-found');
});

test('restore of the content that is already current is idempotent: 200, no new version', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'i.txt', Buffer.from('i1'));
  const v2 = await put(s.url, 'i.txt', Buffer.from('i2'));
  const restoredSelf = await request(`${s.url}/files/i.txt?restore=2`, { method: 'POST' });
  t.is(restoredSelf.status, 200);
  t.deepEqual(restoredSelf.json, v2.json);
  // Version 3 restores 1; restoring 1 (or 3) again is a no-op.
  await request(`${s.url}/files/i.txt?restore=1`, { method: 'POST' });
  const again = await request(`${s.url}/files/i.txt?restore=1`, { method: 'POST' });
  t.is(again.status, 200);
  t.is(again.json.version, 3);
  t.is((await history(s, 'i.txt')).json.versions.length, 3);
});
