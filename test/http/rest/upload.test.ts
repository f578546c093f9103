import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, assertUnchanged, history, postForm, sha256hex } from './_support.js';

test('PUT creates a file (201) and then a new version (200) with the version record, ETag, Location and File-Version', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const first = await put(s.url, 'docs/a.txt', Buffer.from('one'), { 'Content-Type': 'text/plain' });
  t.is(first.status, 201);
  t.regex(first.headers.get('content-type') ?? '', /^application\/json/);
  t.like(first.json, { path: 'docs/a.txt', version: 1, sha256: sha256hex('one'), size: 3, contentType: 'text/plain', author: 'anonymous' });
  t.false('deleted' in first.json);
  t.is(new Date(first.json.createdAt).toISOString(), first.json.createdAt);
  t.is(first.headers.get('etag'), `"${sha256hex('one')}"`);
  t.is(first.headers.get('file-version'), '1');
  t.is(first.headers.get('location'), '/files/docs/a.txt?version=1');

  const second = await put(s.url, 'docs/a.txt', Buffer.from('two!'), { 'Content-Type': 'text/plain' });
  t.is(second.status, 200);
  t.like(second.json, { path: 'docs/a.txt', version: 2, sha256: sha256hex('two!'), size: 4 });
  t.is(second.headers.get('etag'), `"${sha256hex('two!')}"`);
  t.is(second.headers.get('file-version'), '2');
  t.is(second.headers.get('location'), '/files/docs/a.txt?version=2');

  // Location names the version just written.
  const v1 = await request(`${s.url}${first.headers.get('location')}`);
  t.is(v1.text, 'one');
  const current = await request(`${s.url}/files/docs/a.txt`);
  t.is(current.text, 'two!');
  const h = await history(s, 'docs/a.txt');
  t.deepEqual(
    h.json.versions.map((v: { version: number }) => v.version),
    [2, 1],
  );
});

test('PUT keeps the Content-Type on the version record', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await put(s.url, 'img.bin', Buffer.from([1, 2, 3]), { 'Content-Type': 'application/vnd.kluis.test' });
  t.is(answer.json.contentType, 'application/vnd.kluis.test');
  const none = await put(s.url, 'raw.bin', Buffer.from([4, 5]));
  t.is(none.status, 201);
  t.is(none.json.contentType, null);
  const h = await history(s, 'img.bin');
  t.is(h.json.versions[0].contentType, 'application/vnd.kluis.test');
});

test('PUT of the same bytes as the current version is idempotent: 200, the current record, no new version or blob', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const first = await put(s.url, 'same.txt', Buffer.from('same bytes'));
  t.is(first.status, 201);
  const blobs = await s.store.blobs();
  t.deepEqual(blobs, [sha256hex('same bytes')]);
  const again = await put(s.url, 'same.txt', Buffer.from('same bytes'));
  t.is(again.status, 200);
  t.deepEqual(again.json, first.json);
  t.is(again.headers.get('etag'), first.headers.get('etag'));
  t.is(again.headers.get('file-version'), '1');
  const h = await history(s, 'same.txt');
  t.is(h.json.versions.length, 1);
  t.deepEqual(await s.store.blobs(), blobs);
  t.deepEqual(await s.store.staged(), []);
});

test('identical content at two paths is stored as one blob', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await put(s.url, 'x/1.txt', Buffer.from('shared'))).status, 201);
  t.is((await put(s.url, 'y/2.txt', Buffer.from('shared'))).status, 201);
  t.deepEqual(await s.store.blobs(), [sha256hex('shared')]);
});

test('?comment= is stored on the version', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await put(s.url, 'c.txt', Buffer.from('x'), {}, '?comment=first%20draft');
  t.is(answer.status, 201);
  t.is(answer.json.comment, 'first draft');
  const h = await history(s, 'c.txt');
  t.is(h.json.versions[0].comment, 'first draft');
});

test('POST multipart with one file part to a file URL works as PUT (201 then 200), the part Content-Type kept', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const first = await postForm(s.url, 'forms/a.csv', [{ name: 'file', filename: 'whatever.csv', contentType: 'text/csv', data: 'a,b\n1,2\n' }]);
  t.is(first.status, 201);
  t.like(first.json, { path: 'forms/a.csv', version: 1, sha256: sha256hex('a,b\n1,2\n'), size: 8, contentType: 'text/csv' });
  t.is(first.headers.get('etag'), `"${sha256hex('a,b\n1,2\n')}"`);
  t.is(first.headers.get('location'), '/files/forms/a.csv?version=1');
  t.is(first.headers.get('file-version'), '1');
  t.is((await request(`${s.url}/files/forms/a.csv`)).text, 'a,b\n1,2\n');

  const second = await postForm(s.url, 'forms/a.csv', [{ name: 'file', filename: 'a.csv', contentType: 'text/csv', data: 'a,b\n3,4\n' }]);
  t.is(second.status, 200);
  t.is(second.json.version, 2);
  t.is((await request(`${s.url}/files/forms/a.csv`)).text, 'a,b\n3,4\n');
});

test('POST multipart to a directory stores each part at <dir>/<filename> and answers a JSON array (201, then 200)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const first = await postForm(s.url, 'batch/', [
    { name: 'f', filename: 'one.txt', contentType: 'text/plain', data: '1' },
    { name: 'f', filename: 'two.txt', data: '22' },
  ]);
  t.is(first.status, 201);
  t.true(Array.isArray(first.json));
  t.is(first.json.length, 2);
  t.like(first.json[0], { path: 'batch/one.txt', version: 1, sha256: sha256hex('1'), size: 1, contentType: 'text/plain', created: true });
  t.like(first.json[1], { path: 'batch/two.txt', version: 1, sha256: sha256hex('22'), size: 2, created: true });
  t.is((await request(`${s.url}/files/batch/one.txt`)).text, '1');
  t.is((await request(`${s.url}/files/batch/two.txt`)).text, '22');

  const second = await postForm(s.url, 'batch/', [{ name: 'f', filename: 'one.txt', data: 'uno' }]);
  t.is(second.status, 200);
  t.like(second.json[0], { path: 'batch/one.txt', version: 2, created: false });

  const mixed = await postForm(s.url, 'batch/', [
    { name: 'f', filename: 'two.txt', data: 'dos' },
    { name: 'f', filename: 'three.txt', data: 'tres' },
  ]);
  t.is(mixed.status, 201, 'a batch that creates any file is 201');
  t.like(mixed.json[0], { path: 'batch/two.txt', version: 2, created: false });
  t.like(mixed.json[1], { path: 'batch/three.txt', version: 1, created: true });
});

test('a multipart comment field is stored on the file parts after it', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await postForm(s.url, 'cm/', [
    { name: 'f', filename: 'before.txt', data: 'b' },
    { name: 'comment', data: 'from the form' },
    { name: 'f', filename: 'after.txt', data: 'a' },
  ]);
  t.is(answer.status, 201);
  t.false('comment' in answer.json[0]);
  t.is(answer.json[1].comment, 'from the form');
  const single = await postForm(s.url, 'cm/single.txt', [
    { name: 'comment', data: 'single' },
    { name: 'f', filename: 'x', data: 's' },
  ]);
  t.is(single.json.comment, 'single');
  t.is((await history(s, 'cm/single.txt')).json.versions[0].comment, 'single');
});

test('?comment= is stored on a multipart upload too', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await postForm(s.url, 'qc.txt', [{ name: 'f', filename: 'qc.txt', data: 'q' }], {}, '?comment=from%20query');
  t.is(answer.status, 201);
  t.is(answer.json.comment, 'from query');
});

test('a multipart filename with a sub-directory lands in that sub-directory', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await postForm(s.url, 'up/', [{ name: 'f', filename: 'sub/x.txt', data: 'deep' }]);
  t.is(answer.status, 201);
  t.is(answer.json[0].path, 'up/sub/x.txt');
  t.is((await request(`${s.url}/files/up/sub/x.txt`)).text, 'deep');
  t.is((await request(`${s.url}/files/up/x.txt`)).status, 404);
});

for (const name of ['/etc/passwd', 'C:\\evil.txt', '../escape.txt', 'a/../../b.txt']) {
  test(`a multipart filename ${JSON.stringify(name)} is 400 invalid-path and nothing of the batch is stored`, async (t) => {
    const s = await startServer();
    t.teardown(() => s.close());
    const before = await history(s, 'abs/good.txt');
    const answer = await postForm(s.url, 'abs/', [
      { name: 'f', filename: 'good.txt', data: 'good' },
      { name: 'f', filename: name, data: 'bad' },
    ]);
    assertProblem(t, answer, 400, 'invalid-path');
    await assertUnchanged(t, s, 'abs/good.txt', before, []);
    t.is((await request(`${s.url}/files/abs/`)).status, 404);
  });
}

test('two file parts to a file URL are 400 bad-request and nothing is stored', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'two.txt', Buffer.from('orig'));
  const before = await history(s, 'two.txt');
  const blobs = await s.store.blobs();
  const answer = await postForm(s.url, 'two.txt', [
    { name: 'f', filename: 'a', data: 'first' },
    { name: 'f', filename: 'b', data: 'second' },
  ]);
  assertProblem(t, answer, 400, 'bad-request');
  await assertUnchanged(t, s, 'two.txt', before, blobs);
});

test('POST without a multipart body is 400 bad-request', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const before = await history(s, 'p.txt');
  const answer = await request(`${s.url}/files/p.txt`, { method: 'POST', body: 'plain', headers: { 'Content-Type': 'text/plain' } });
  assertProblem(t, answer, 400, 'bad-request');
  await assertUnchanged(t, s, 'p.txt', before, []);
  const noFile = await postForm(s.url, 'p.txt', [{ name: 'comment', data: 'only a field' }]);
  assertProblem(t, noFile, 400, 'bad-request');
  const broken = await request(`${s.url}/files/p.txt`, { method: 'POST', body: 'not multipart at all', headers: { 'Content-Type': 'multipart/form-data' } });
  assertProblem(t, broken, 400, 'bad-request');
  await assertUnchanged(t, s, 'p.txt', before, []);
});

test('PUT to a URL ending in / is 400 bad-request', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await put(s.url, 'dir/', Buffer.from('x'));
  assertProblem(t, answer, 400, 'bad-request');
  t.deepEqual(await s.store.blobs(), []);
  t.deepEqual(await s.store.staged(), []);
  t.is((await request(`${s.url}/files/dir/`)).status, 404);
});
