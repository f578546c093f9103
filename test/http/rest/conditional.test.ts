import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, assertUnchanged, history, postForm, sha256b64, sha256hex } from './_support.js';

const etag = (body: string) => `"${sha256hex(body)}"`;

test('If-Match: the current ETag writes (200), another is 412 and nothing changes', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'c.txt', Buffer.from('v1'));
  const ok = await put(s.url, 'c.txt', Buffer.from('v2'), { 'If-Match': etag('v1') });
  t.is(ok.status, 200);
  t.is(ok.json.version, 2);
  const before = await history(s, 'c.txt');
  const blobs = await s.store.blobs();
  const stale = await put(s.url, 'c.txt', Buffer.from('v3'), { 'If-Match': etag('v1') });
  assertProblem(t, stale, 412, 'precondition-failed');
  await assertUnchanged(t, s, 'c.txt', before, blobs);
  // A list with the current tag matches; `*` matches any current version; bare tags are accepted.
  t.is((await put(s.url, 'c.txt', Buffer.from('v3'), { 'If-Match': `"nope", ${etag('v2')}` })).status, 200);
  t.is((await put(s.url, 'c.txt', Buffer.from('v4'), { 'If-Match': '*' })).status, 200);
  t.is((await put(s.url, 'c.txt', Buffer.from('v5'), { 'If-Match': sha256hex('v4') })).status, 200);
  // A weak tag never matches strongly.
  assertProblem(t, await put(s.url, 'c.txt', Buffer.from('v6'), { 'If-Match': `W/${etag('v5')}` }), 412, 'precondition-failed');
});

test('If-Match on a file that does not exist (or was deleted) is 412', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const before = await history(s, 'none.txt');
  assertProblem(t, await put(s.url, 'none.txt', Buffer.from('x'), { 'If-Match': '*' }), 412, 'precondition-failed');
  await assertUnchanged(t, s, 'none.txt', before, []);
  await put(s.url, 'gone.txt', Buffer.from('g'));
  await request(`${s.url}/files/gone.txt`, { method: 'DELETE' });
  assertProblem(t, await put(s.url, 'gone.txt', Buffer.from('g2'), { 'If-Match': etag('g') }), 412, 'precondition-failed');
});

test('If-None-Match: * creates a new file (201) and is 412 on an existing one', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const created = await put(s.url, 'n.txt', Buffer.from('first'), { 'If-None-Match': '*' });
  t.is(created.status, 201);
  const before = await history(s, 'n.txt');
  const blobs = await s.store.blobs();
  assertProblem(t, await put(s.url, 'n.txt', Buffer.from('second'), { 'If-None-Match': '*' }), 412, 'precondition-failed');
  await assertUnchanged(t, s, 'n.txt', before, blobs);
  // If-None-Match with the current ETag fails a write too; another tag passes.
  assertProblem(t, await put(s.url, 'n.txt', Buffer.from('second'), { 'If-None-Match': etag('first') }), 412, 'precondition-failed');
  t.is((await put(s.url, 'n.txt', Buffer.from('second'), { 'If-None-Match': etag('zzz') })).status, 200);
  // After a delete there is no current version: * passes again.
  await request(`${s.url}/files/n.txt`, { method: 'DELETE' });
  t.is((await put(s.url, 'n.txt', Buffer.from('again'), { 'If-None-Match': '*' })).status, 201);
});

test('If-Unmodified-Since before the current version is 412; after it the write passes', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'u.txt', Buffer.from('u1'));
  const before = await history(s, 'u.txt');
  const blobs = await s.store.blobs();
  assertProblem(t, await put(s.url, 'u.txt', Buffer.from('u2'), { 'If-Unmodified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' }), 412, 'precondition-failed');
  await assertUnchanged(t, s, 'u.txt', before, blobs);
  const future = new Date(Date.now() + 3_600_000).toUTCString();
  t.is((await put(s.url, 'u.txt', Buffer.from('u2'), { 'If-Unmodified-Since': future })).status, 200);
});

test('?base=N: the current head writes; an older one is 409 modified carrying the current state', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'b.txt', Buffer.from('b1'));
  t.is((await put(s.url, 'b.txt', Buffer.from('b2'), {}, '?base=1')).status, 200);
  const before = await history(s, 'b.txt');
  const blobs = await s.store.blobs();
  const conflict = await put(s.url, 'b.txt', Buffer.from('b3'), {}, '?base=1');
  assertProblem(t, conflict, 409, 'modified');
  t.is(conflict.json.currentVersion, 2);
  t.is(conflict.json.currentSha256, sha256hex('b2'));
  t.is(conflict.json.lock, null);
  t.is(conflict.json.path, 'b.txt');
  await assertUnchanged(t, s, 'b.txt', before, blobs);
  // After a delete the head is the marker: currentSha256 is null.
  await request(`${s.url}/files/b.txt`, { method: 'DELETE' });
  const afterDelete = await put(s.url, 'b.txt', Buffer.from('b4'), {}, '?base=2');
  assertProblem(t, afterDelete, 409, 'modified');
  t.is(afterDelete.json.currentVersion, 3);
  t.is(afterDelete.json.currentSha256, null);
  t.is((await put(s.url, 'b.txt', Buffer.from('b4'), {}, '?base=3')).status, 201);
});

test('?base=0 creates a new file and is 409 modified when one exists', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await put(s.url, 'zero.txt', Buffer.from('z'), {}, '?base=0')).status, 201);
  const conflict = await put(s.url, 'zero.txt', Buffer.from('z2'), {}, '?base=0');
  assertProblem(t, conflict, 409, 'modified');
  t.is(conflict.json.currentVersion, 1);
  t.is(conflict.json.currentSha256, sha256hex('z'));
});

test('a 409 for the lock holder carries the lock (owner, expiresAt) in its body', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'held.txt', Buffer.from('h1'));
  const lock = await checkout(s.url, 'held.txt');
  await put(s.url, 'held.txt', Buffer.from('h2'), { 'Lock-Token': `<${lock.token}>` });
  const conflict = await put(s.url, 'held.txt', Buffer.from('h3'), { 'Lock-Token': `<${lock.token}>` }, '?base=1');
  assertProblem(t, conflict, 409, 'modified');
  t.deepEqual(conflict.json.lock, { owner: 'anonymous', expiresAt: lock.json.expiresAt });
  t.is(conflict.json.currentVersion, 2);
  t.false(conflict.text.includes(lock.token));
});

test('conditions apply to multipart POST, DELETE and restore as well', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'w.txt', Buffer.from('w1'));
  await put(s.url, 'w.txt', Buffer.from('w2'));
  const before = await history(s, 'w.txt');
  const blobs = await s.store.blobs();
  assertProblem(t, await postForm(s.url, 'w.txt', [{ name: 'f', filename: 'w.txt', data: 'w3' }], { 'If-Match': etag('w1') }), 412, 'precondition-failed');
  assertProblem(t, await postForm(s.url, 'w.txt', [{ name: 'f', filename: 'w.txt', data: 'w3' }], {}, '?base=1'), 409, 'modified');
  assertProblem(t, await request(`${s.url}/files/w.txt`, { method: 'DELETE', headers: { 'If-Match': etag('w1') } }), 412, 'precondition-failed');
  assertProblem(t, await request(`${s.url}/files/w.txt?base=1`, { method: 'DELETE' }), 409, 'modified');
  assertProblem(t, await request(`${s.url}/files/w.txt?restore=1`, { method: 'POST', headers: { 'If-Match': etag('w1') } }), 412, 'precondition-failed');
  assertProblem(t, await request(`${s.url}/files/w.txt?restore=1&base=1`, { method: 'POST' }), 409, 'modified');
  await assertUnchanged(t, s, 'w.txt', before, blobs);
  // A multipart batch to a directory: the conditions hold for every file in it.
  t.is((await postForm(s.url, 'wd/', [{ name: 'f', filename: 'w.txt', data: 'x' }], { 'If-None-Match': '*' })).status, 201);
  const batchBefore = await history(s, 'wd/w.txt');
  const blobsWithX = await s.store.blobs();
  const batch = await postForm(
    s.url,
    'wd/',
    [
      { name: 'f', filename: 'new.txt', data: 'n' },
      { name: 'f', filename: 'w.txt', data: 'y' },
    ],
    { 'If-None-Match': '*' },
  );
  assertProblem(t, batch, 412, 'precondition-failed');
  await assertUnchanged(t, s, 'wd/w.txt', batchBefore, blobsWithX);
  t.is((await request(`${s.url}/files/wd/new.txt`)).status, 404, 'a refused batch stores none of its files');
  t.is((await request(`${s.url}/files/w.txt`, { method: 'DELETE', headers: { 'If-Match': etag('w2') } })).status, 204);
});

test('order of checks: a locked file with a failing If-Match answers 409 locked', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'o.txt', Buffer.from('o1'));
  const lock = await checkout(s.url, 'o.txt');
  const answer = await put(s.url, 'o.txt', Buffer.from('o2'), { 'If-Match': etag('not-it') });
  assertProblem(t, answer, 409, 'locked');
  t.is(answer.json.lock.owner, 'anonymous');
  t.is(answer.json.lock.expiresAt, lock.json.expiresAt);
  t.is(answer.json.currentVersion, 1);
  t.is(answer.json.currentSha256, sha256hex('o1'));
});

test('order of checks: a failing If-Match and a wrong ?base answer 412', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'o.txt', Buffer.from('o1'));
  await put(s.url, 'o.txt', Buffer.from('o2'));
  assertProblem(t, await put(s.url, 'o.txt', Buffer.from('o3'), { 'If-Match': etag('o1') }, '?base=1'), 412, 'precondition-failed');
});

test('order of checks: lock, conditions and base come before size and checksum', async (t) => {
  const s = await startServer({ maxUploadBytes: 8 });
  t.teardown(() => s.close());
  await put(s.url, 'o.txt', Buffer.from('o1'));
  await put(s.url, 'o.txt', Buffer.from('o2'));
  const big = Buffer.alloc(64, 1);
  assertProblem(t, await put(s.url, 'o.txt', big, { 'If-Match': etag('o1') }), 412, 'precondition-failed');
  assertProblem(t, await put(s.url, 'o.txt', big, {}, '?base=1'), 409, 'modified');
  const badDigest = { 'Content-Digest': `sha-256=:${sha256b64('something else')}:` };
  assertProblem(t, await put(s.url, 'o.txt', Buffer.from('o3'), { ...badDigest, 'If-Match': etag('o1') }), 412, 'precondition-failed');
  assertProblem(t, await put(s.url, 'o.txt', Buffer.from('o3'), badDigest, '?base=1'), 409, 'modified');
  assertProblem(t, await put(s.url, 'o.txt', big, badDigest), 413, 'too-large');
  await checkout(s.url, 'o.txt');
  assertProblem(t, await put(s.url, 'o.txt', big), 409, 'locked');
  assertProblem(t, await put(s.url, 'o.txt', Buffer.from('o3'), badDigest), 409, 'locked');
});
