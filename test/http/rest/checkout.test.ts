import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, assertUnchanged, history, postForm, sha256hex } from './_support.js';

const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const seconds = (lock: { createdAt: string; expiresAt: string }) => (Date.parse(lock.expiresAt) - Date.parse(lock.createdAt)) / 1000;

test('CHECKOUT answers 200 with the lock as JSON and Lock-Token: <urn:uuid:…>', async (t) => {
  const s = await startServer({ lockDefaultSeconds: 120 });
  t.teardown(() => s.close());
  await put(s.url, 'co.txt', Buffer.from('c1'));
  const answer = await checkout(s.url, 'co.txt');
  t.is(answer.status, 200);
  t.regex(answer.headers.get('lock-token') ?? '', /^<urn:uuid:[0-9a-f-]{36}>$/);
  t.regex(answer.json.token, UUID);
  t.is(answer.headers.get('lock-token'), `<${answer.json.token}>`);
  t.like(answer.json, { path: 'co.txt', owner: 'anonymous', baseVersion: 1 });
  t.is(new Date(answer.json.createdAt).toISOString(), answer.json.createdAt);
  t.is(seconds(answer.json), 120, 'the default timeout');
  t.is((await request(`${s.url}/files/co.txt?lock`)).status, 200);
});

test('POST ?checkout takes the lock like CHECKOUT', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'pco.txt', Buffer.from('p'));
  const answer = await request(`${s.url}/files/pco.txt?checkout`, { method: 'POST', headers: { Timeout: 'Second-90' } });
  t.is(answer.status, 200);
  t.regex(answer.json.token, UUID);
  t.is(answer.headers.get('lock-token'), `<${answer.json.token}>`);
  t.is(seconds(answer.json), 90);
  const other = await request(`${s.url}/files/pco.txt?checkout`, { method: 'POST' });
  assertProblem(t, other, 409, 'locked');
});

test('two check-outs never share a token', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const a = await checkout(s.url, 'a.txt');
  const b = await checkout(s.url, 'b.txt');
  t.regex(a.token, UUID);
  t.regex(b.token, UUID);
  t.not(a.token, b.token);
});

test('Timeout: Second-N sets expiresAt, capped by lockMaxSeconds; Infinite gives the maximum', async (t) => {
  const s = await startServer({ lockDefaultSeconds: 60, lockMaxSeconds: 600 });
  t.teardown(() => s.close());
  const n = await checkout(s.url, 'n.txt', { Timeout: 'Second-300' });
  t.is(seconds(n.json), 300);
  t.is(n.headers.get('timeout'), 'Second-300');
  const capped = await checkout(s.url, 'capped.txt', { Timeout: 'Second-999999' });
  t.is(seconds(capped.json), 600);
  const infinite = await checkout(s.url, 'inf.txt', { Timeout: 'Infinite' });
  t.is(seconds(infinite.json), 600);
  const list = await checkout(s.url, 'list.txt', { Timeout: 'Infinite, Second-30' });
  t.is(seconds(list.json), 600);
  const garbage = await checkout(s.url, 'garbage.txt', { Timeout: 'whenever' });
  t.is(seconds(garbage.json), 60, 'an unreadable Timeout gives the default');
});

test('CHECKOUT with the holder token refreshes: same token, later expiresAt, and the lock outlives its first timeout', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'r.txt', Buffer.from('r'));
  const first = await checkout(s.url, 'r.txt', { Timeout: 'Second-60' });
  s.advance(40_000);
  const refreshed = await checkout(s.url, 'r.txt', { Timeout: 'Second-60', 'Lock-Token': `<${first.token}>` });
  t.is(refreshed.status, 200);
  t.is(refreshed.token, first.token);
  t.is(refreshed.json.createdAt, first.json.createdAt);
  t.true(Date.parse(refreshed.json.expiresAt) > Date.parse(first.json.expiresAt));
  s.advance(40_000); // 80 s after the first check-out: past the first expiry, inside the refreshed one.
  const lock = await request(`${s.url}/files/r.txt?lock`);
  t.is(lock.status, 200);
  t.is(lock.json.expiresAt, refreshed.json.expiresAt);
  // The WebDAV If header refreshes as well.
  const viaIf = await checkout(s.url, 'r.txt', { Timeout: 'Second-60', If: `(<${first.token}>)` });
  t.is(viaIf.status, 200);
  t.true(Date.parse(viaIf.json.expiresAt) > Date.parse(refreshed.json.expiresAt));
});

test('CHECKOUT of a file checked out by someone else is 409 locked naming the owner and expiry', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'taken.txt', Buffer.from('t'));
  const mine = await checkout(s.url, 'taken.txt');
  const theirs = await checkout(s.url, 'taken.txt');
  assertProblem(t, theirs, 409, 'locked');
  t.deepEqual(theirs.json.lock, { owner: 'anonymous', expiresAt: mine.json.expiresAt });
  t.is(theirs.json.currentVersion, 1);
  t.is(theirs.json.currentSha256, sha256hex('t'));
  t.is(theirs.headers.get('lock-token'), null);
  t.false(theirs.text.includes(mine.token));
  const wrong = await checkout(s.url, 'taken.txt', { 'Lock-Token': '<urn:uuid:00000000-0000-4000-8000-000000000000>' });
  assertProblem(t, wrong, 409, 'locked');
});

test('checking out a missing path reserves it: a write without the token is 409 locked, with it 201', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const lock = await checkout(s.url, 'new/reserved.txt');
  t.is(lock.status, 200);
  t.is(lock.json.baseVersion, 0);
  assertProblem(t, await request(`${s.url}/files/new/reserved.txt`), 404, 'not-found');
  const before = await history(s, 'new/reserved.txt');
  const blocked = await put(s.url, 'new/reserved.txt', Buffer.from('intruder'));
  assertProblem(t, blocked, 409, 'locked');
  t.is(blocked.json.currentVersion, 0);
  t.is(blocked.json.currentSha256, null);
  await assertUnchanged(t, s, 'new/reserved.txt', before, []);
  assertProblem(t, await postForm(s.url, 'new/', [{ name: 'f', filename: 'reserved.txt', data: 'x' }]), 409, 'locked');
  const mine = await put(s.url, 'new/reserved.txt', Buffer.from('mine'), { 'Lock-Token': `<${lock.token}>` });
  t.is(mine.status, 201);
  t.is(mine.json.version, 1);
  const still = await request(`${s.url}/files/new/reserved.txt?lock`);
  t.is(still.status, 200);
  t.is(still.json.baseVersion, 1, 'the lock follows the file to its new head');
});

test('writes carrying the token (bracketed, bare, or WebDAV If) succeed and keep the lock', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'w/a.txt', Buffer.from('a1'));
  const lock = await checkout(s.url, 'w/a.txt');
  const live = async () => (await request(`${s.url}/files/w/a.txt?lock`)).status;

  const bracketed = await put(s.url, 'w/a.txt', Buffer.from('a2'), { 'Lock-Token': `<${lock.token}>` });
  t.is(bracketed.status, 200);
  t.is(bracketed.json.version, 2);
  t.is(await live(), 200);
  const bare = await put(s.url, 'w/a.txt', Buffer.from('a3'), { 'Lock-Token': lock.token });
  t.is(bare.status, 200);
  t.is(bare.json.version, 3);
  const viaIf = await put(s.url, 'w/a.txt', Buffer.from('a4'), { If: `(<${lock.token}>)` });
  t.is(viaIf.status, 200);
  t.is(viaIf.json.version, 4);
  const form = await postForm(s.url, 'w/a.txt', [{ name: 'f', filename: 'a.txt', data: 'a5' }], { 'Lock-Token': `<${lock.token}>` });
  t.is(form.status, 200);
  t.is(form.json.version, 5);
  const dirForm = await postForm(s.url, 'w/', [{ name: 'f', filename: 'a.txt', data: 'a6' }], { 'Lock-Token': `<${lock.token}>` });
  t.is(dirForm.status, 200);
  t.is(dirForm.json[0].version, 6);
  const restored = await request(`${s.url}/files/w/a.txt?restore=1`, { method: 'POST', headers: { 'Lock-Token': `<${lock.token}>` } });
  t.is(restored.status, 200);
  t.is(restored.json.version, 7);
  t.is(restored.json.sha256, sha256hex('a1'));
  const removed = await request(`${s.url}/files/w/a.txt`, { method: 'DELETE', headers: { 'Lock-Token': `<${lock.token}>` } });
  t.is(removed.status, 204);
  t.is(await live(), 200);
  const lockNow = await request(`${s.url}/files/w/a.txt?lock`);
  t.is(lockNow.json.baseVersion, 8);
  t.is(lockNow.json.expiresAt, lock.json.expiresAt);
});

test('writes without the token are 409 locked with the lock owner in the body, and change nothing', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'x/a.txt', Buffer.from('a1'));
  await put(s.url, 'x/a.txt', Buffer.from('a2'));
  const lock = await checkout(s.url, 'x/a.txt');
  const before = await history(s, 'x/a.txt');
  const blobs = await s.store.blobs();
  const attempts = [
    () => put(s.url, 'x/a.txt', Buffer.from('a3')),
    () => put(s.url, 'x/a.txt', Buffer.from('a3'), { 'Lock-Token': '<urn:uuid:00000000-0000-4000-8000-000000000000>' }),
    () => postForm(s.url, 'x/a.txt', [{ name: 'f', filename: 'a.txt', data: 'a3' }]),
    () => postForm(s.url, 'x/', [{ name: 'f', filename: 'a.txt', data: 'a3' }]),
    () => request(`${s.url}/files/x/a.txt`, { method: 'DELETE' }),
    () => request(`${s.url}/files/x/a.txt?restore=1`, { method: 'POST' }),
    () => put(s.url, 'x/a.txt', Buffer.from('a3'), {}, '?checkin'),
    () => request(`${s.url}/files/x/a.txt?uncheckout`, { method: 'POST' }),
    () => request(`${s.url}/files/x/a.txt`, { method: 'UNLOCK' }),
  ];
  for (const attempt of attempts) {
    const answer = await attempt();
    assertProblem(t, answer, 409, 'locked');
    t.deepEqual(answer.json.lock, { owner: 'anonymous', expiresAt: lock.json.expiresAt });
    t.is(answer.json.currentVersion, 2);
    t.false(answer.text.includes(lock.token));
  }
  await assertUnchanged(t, s, 'x/a.txt', before, blobs);
  t.is((await request(`${s.url}/files/x/a.txt?lock`)).status, 200, 'the lock is still held');
});

test('an expired lock is no lock: writes without a token succeed and the old token gets 409 not-checked-out', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'e.txt', Buffer.from('e1'));
  const lock = await checkout(s.url, 'e.txt', { Timeout: 'Second-30' });
  assertProblem(t, await put(s.url, 'e.txt', Buffer.from('e2')), 409, 'locked');
  s.advance(30_001);
  const free = await put(s.url, 'e.txt', Buffer.from('e2'));
  t.is(free.status, 200);
  t.is(free.json.version, 2);
  const stale = { 'Lock-Token': `<${lock.token}>` };
  const before = await history(s, 'e.txt');
  const blobs = await s.store.blobs();
  assertProblem(t, await put(s.url, 'e.txt', Buffer.from('e3'), stale), 409, 'not-checked-out');
  assertProblem(t, await put(s.url, 'e.txt', Buffer.from('e3'), stale, '?checkin'), 409, 'not-checked-out');
  assertProblem(t, await request(`${s.url}/files/e.txt?checkin`, { method: 'POST', headers: stale }), 409, 'not-checked-out');
  assertProblem(t, await request(`${s.url}/files/e.txt`, { method: 'UNLOCK', headers: stale }), 409, 'not-checked-out');
  assertProblem(t, await request(`${s.url}/files/e.txt?uncheckout`, { method: 'POST', headers: stale }), 409, 'not-checked-out');
  await assertUnchanged(t, s, 'e.txt', before, blobs);
  // A new check-out is possible and gets a new token.
  const next = await checkout(s.url, 'e.txt');
  t.is(next.status, 200);
  t.not(next.token, lock.token);
});
