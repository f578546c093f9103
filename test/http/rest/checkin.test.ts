import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, assertUnchanged, history, md5b64, postForm, raw, sha256b64, sha256hex } from './_support.js';

const tokenHeader = (token: string) => ({ 'Lock-Token': `<${token}>` });

test('PUT ?checkin with the token stores the body and releases the lock in one request', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'ci.txt', Buffer.from('v1'));
  const lock = await checkout(s.url, 'ci.txt');
  const answer = await put(s.url, 'ci.txt', Buffer.from('v2'), { ...tokenHeader(lock.token), 'Content-Type': 'text/plain' }, '?checkin');
  t.is(answer.status, 200);
  t.is(answer.json.released, true);
  t.like(answer.json.version, { version: 2, sha256: sha256hex('v2'), size: 2, contentType: 'text/plain', author: 'anonymous' });
  t.is(answer.headers.get('etag'), `"${sha256hex('v2')}"`);
  t.is(answer.headers.get('file-version'), '2');
  assertProblem(t, await request(`${s.url}/files/ci.txt?lock`), 404, 'not-found');
  t.is((await request(`${s.url}/files/ci.txt`)).text, 'v2');
  t.is((await history(s, 'ci.txt')).json.lock, null);
  // The lock is gone: anyone may write, and the old token is no longer good for a check-in.
  t.is((await put(s.url, 'ci.txt', Buffer.from('v3'))).status, 200);
  assertProblem(t, await put(s.url, 'ci.txt', Buffer.from('v4'), tokenHeader(lock.token), '?checkin'), 409, 'not-checked-out');
});

test('PUT ?checkin on a reserved path creates the file and releases the lock', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const lock = await checkout(s.url, 'fresh.txt');
  const answer = await put(s.url, 'fresh.txt', Buffer.from('born'), tokenHeader(lock.token), '?checkin');
  t.is(answer.status, 200);
  t.deepEqual(answer.json, { version: { path: 'fresh.txt', ...answer.json.version }, released: true });
  t.is(answer.json.version.version, 1);
  t.is((await request(`${s.url}/files/fresh.txt?lock`)).status, 404);
});

test('PUT ?checkin of the same bytes releases the lock without a new version', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'same.txt', Buffer.from('same'));
  const lock = await checkout(s.url, 'same.txt');
  const answer = await put(s.url, 'same.txt', Buffer.from('same'), tokenHeader(lock.token), '?checkin');
  t.is(answer.status, 200);
  t.is(answer.json.released, true);
  t.is(answer.json.version.version, 1);
  t.is((await history(s, 'same.txt')).json.versions.length, 1);
  t.is((await request(`${s.url}/files/same.txt?lock`)).status, 404);
});

test('POST ?checkin with a raw body stores it and releases the lock', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'p.txt', Buffer.from('p1'));
  const lock = await checkout(s.url, 'p.txt');
  const answer = await request(`${s.url}/files/p.txt?checkin&comment=done`, { method: 'POST', body: Buffer.from('p2'), headers: tokenHeader(lock.token) });
  t.is(answer.status, 200);
  t.is(answer.json.released, true);
  t.like(answer.json.version, { version: 2, sha256: sha256hex('p2'), comment: 'done' });
  t.is((await request(`${s.url}/files/p.txt`)).text, 'p2');
  t.is((await request(`${s.url}/files/p.txt?lock`)).status, 404);
});

test('POST ?checkin with an empty body only releases the lock', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'e.txt', Buffer.from('e1'));
  const lock = await checkout(s.url, 'e.txt');
  const answer = await request(`${s.url}/files/e.txt?checkin`, { method: 'POST', headers: tokenHeader(lock.token) });
  t.is(answer.status, 200);
  t.is(answer.json.released, true);
  t.like(answer.json.version, { version: 1, sha256: sha256hex('e1') });
  t.is((await history(s, 'e.txt')).json.versions.length, 1);
  t.is((await request(`${s.url}/files/e.txt?lock`)).status, 404);
  // With an explicitly empty body as well.
  const again = await checkout(s.url, 'e.txt');
  const empty = await request(`${s.url}/files/e.txt?checkin`, { method: 'POST', body: '', headers: tokenHeader(again.token) });
  t.is(empty.status, 200);
  t.is(empty.json.released, true);
  t.is((await history(s, 'e.txt')).json.versions.length, 1);
  // And a chunked body of no bytes: no body, however framed.
  const third = await checkout(s.url, 'e.txt');
  const chunked = await raw(s.url, 'POST', '/files/e.txt?checkin', { ...tokenHeader(third.token), 'Transfer-Encoding': 'chunked' });
  t.is(chunked.status, 200, chunked.text);
  t.is(chunked.json.released, true);
  t.is((await history(s, 'e.txt')).json.versions.length, 1);
  t.deepEqual(await s.store.staged(), []);
});

test("POST ?checkin with an empty body and a digest: the empty body's digest releases, another is 400 checksum-mismatch and keeps the lock, however the body is framed", async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'g.txt', Buffer.from('g1'));
  const lock = await checkout(s.url, 'g.txt');
  const framings: Record<string, string>[] = [{ 'Content-Length': '0' }, { 'Transfer-Encoding': 'chunked' }];
  for (const framing of framings) {
    const wrong = await raw(s.url, 'POST', '/files/g.txt?checkin', { ...tokenHeader(lock.token), ...framing, 'Content-MD5': md5b64('g1') });
    assertProblem(t, wrong, 400, 'checksum-mismatch');
    t.is((await request(`${s.url}/files/g.txt?lock`)).status, 200, `${JSON.stringify(framing)}: the lock stays`);
  }
  for (const framing of framings) {
    const again = framing === framings[0] ? lock : await checkout(s.url, 'g.txt');
    const right = await raw(s.url, 'POST', '/files/g.txt?checkin', { ...tokenHeader(again.token), ...framing, 'Content-Digest': `sha-256=:${sha256b64('')}:` });
    t.is(right.status, 200, right.text);
    t.is(right.json.released, true);
  }
  t.is((await history(s, 'g.txt')).json.versions.length, 1);
});

test('POST ?checkin with no body on a reserved path releases it and answers version null', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const lock = await checkout(s.url, 'reserved.txt');
  const answer = await request(`${s.url}/files/reserved.txt?checkin`, { method: 'POST', headers: tokenHeader(lock.token) });
  t.is(answer.status, 200, answer.text);
  t.deepEqual(answer.json, { version: null, released: true });
  t.is((await request(`${s.url}/files/reserved.txt?lock`)).status, 404);
  t.is((await request(`${s.url}/files/reserved.txt`)).status, 404);
});

test('POST ?checkin with one multipart file part stores the part and releases the lock', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'm.txt', Buffer.from('m1'));
  const lock = await checkout(s.url, 'm.txt');
  const answer = await postForm(
    s.url,
    'm.txt',
    [
      { name: 'comment', data: 'via form' },
      { name: 'file', filename: 'm.txt', contentType: 'text/markdown', data: 'm2' },
    ],
    tokenHeader(lock.token),
    '?checkin',
  );
  t.is(answer.status, 200);
  t.is(answer.json.released, true);
  t.like(answer.json.version, { version: 2, sha256: sha256hex('m2'), contentType: 'text/markdown', comment: 'via form' });
  t.is((await request(`${s.url}/files/m.txt?lock`)).status, 404);
  // Two parts are refused; nothing is stored and the lock stays.
  const next = await checkout(s.url, 'm.txt');
  const before = await history(s, 'm.txt');
  const blobs = await s.store.blobs();
  const two = await postForm(
    s.url,
    'm.txt',
    [
      { name: 'file', filename: 'a', data: 'a' },
      { name: 'file', filename: 'b', data: 'b' },
    ],
    tokenHeader(next.token),
    '?checkin',
  );
  assertProblem(t, two, 400, 'bad-request');
  await assertUnchanged(t, s, 'm.txt', before, blobs);
  t.is((await request(`${s.url}/files/m.txt?lock`)).status, 200);
});

test('check-in without a live lock is 409 not-checked-out and stores nothing', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'n.txt', Buffer.from('n1'));
  const before = await history(s, 'n.txt');
  const blobs = await s.store.blobs();
  const unknown = tokenHeader('urn:uuid:00000000-0000-4000-8000-000000000000');
  for (const answer of [
    await put(s.url, 'n.txt', Buffer.from('n2'), {}, '?checkin'),
    await put(s.url, 'n.txt', Buffer.from('n2'), unknown, '?checkin'),
    await request(`${s.url}/files/n.txt?checkin`, { method: 'POST', body: Buffer.from('n2') }),
    await request(`${s.url}/files/n.txt?checkin`, { method: 'POST' }),
    await put(s.url, 'never.txt', Buffer.from('x'), {}, '?checkin'),
  ]) {
    assertProblem(t, answer, 409, 'not-checked-out');
  }
  await assertUnchanged(t, s, 'n.txt', before, blobs);
  t.is((await request(`${s.url}/files/never.txt`)).status, 404);
});

test('POST ?uncheckout and UNLOCK with the token release without a new version (204)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'u.txt', Buffer.from('u1'));
  for (const release of [
    (token: string) => request(`${s.url}/files/u.txt?uncheckout`, { method: 'POST', headers: tokenHeader(token) }),
    (token: string) => request(`${s.url}/files/u.txt`, { method: 'UNLOCK', headers: tokenHeader(token) }),
    (token: string) => request(`${s.url}/files/u.txt`, { method: 'UNLOCK', headers: { 'Lock-Token': token } }),
  ]) {
    const lock = await checkout(s.url, 'u.txt');
    t.is(lock.status, 200);
    const answer = await release(lock.token);
    t.is(answer.status, 204);
    t.is(answer.text, '');
    assertProblem(t, await request(`${s.url}/files/u.txt?lock`), 404, 'not-found');
    // Released twice: there is no live lock for that token any more.
    assertProblem(t, await release(lock.token), 409, 'not-checked-out');
  }
  t.is((await history(s, 'u.txt')).json.versions.length, 1);
});

test('uncheck-out without any lock is 409 not-checked-out', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'free.txt', Buffer.from('f'));
  assertProblem(t, await request(`${s.url}/files/free.txt?uncheckout`, { method: 'POST' }), 409, 'not-checked-out');
  assertProblem(t, await request(`${s.url}/files/free.txt`, { method: 'UNLOCK' }), 409, 'not-checked-out');
  assertProblem(t, await request(`${s.url}/files/missing.txt`, { method: 'UNLOCK', headers: tokenHeader('urn:uuid:00000000-0000-4000-8000-000000000000') }), 409, 'not-checked-out');
});

test('?uncheckout&force by an anonymous (non-admin) caller is 403 and the lock stays', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'f.txt', Buffer.from('f'));
  const lock = await checkout(s.url, 'f.txt');
  assertProblem(t, await request(`${s.url}/files/f.txt?uncheckout&force`, { method: 'POST' }), 403, 'forbidden');
  const still = await request(`${s.url}/files/f.txt?lock`);
  t.is(still.status, 200);
  t.is(still.json.expiresAt, lock.json.expiresAt);
});
