import test, { type ExecutionContext } from 'ava';
import type { UserDirectory } from '../../../src/auth/users.js';
import { checkout, put, request, type Answer } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { ALICE_TOKEN, AS, assertProblem, assertUnchanged, basic, bearer, history, makeUsers, PASSWORDS, postForm, raw } from './_support.js';

let users: UserDirectory;
test.before(async () => {
  users = await makeUsers();
});

async function authServer(t: ExecutionContext) {
  const s = await startServer({ users });
  t.teardown(() => s.close());
  return s;
}

function assertChallenge(t: ExecutionContext, answer: Answer) {
  assertProblem(t, answer, 401, 'unauthorized');
  const challenge = answer.headers.get('www-authenticate') ?? '';
  t.regex(challenge, /Basic realm="kluis"/);
  t.regex(challenge, /Bearer/);
}

test('without credentials every /files request is 401 unauthorized with WWW-Authenticate', async (t) => {
  const s = await authServer(t);
  await put(s.url, 'a.txt', Buffer.from('a'), AS.alice);
  for (const answer of [
    await request(`${s.url}/files/a.txt`),
    await request(`${s.url}/files/a.txt`, { method: 'HEAD' }),
    await request(`${s.url}/files/`),
    await request(`${s.url}/files/a.txt?versions`),
    await put(s.url, 'b.txt', Buffer.from('b')),
    await checkout(s.url, 'a.txt'),
    await request(`${s.url}/files/a.txt`, { method: 'DELETE' }),
  ]) {
    t.is(answer.status, 401);
    t.regex(answer.headers.get('www-authenticate') ?? '', /Basic/);
    if (answer.text !== '') assertChallenge(t, answer);
  }
  t.is((await request(`${s.url}/files/b.txt`, { headers: AS.alice })).status, 404, 'the refused PUT stored nothing');
});

test('wrong password, unknown user, unknown bearer token or a malformed header is 401', async (t) => {
  const s = await authServer(t);
  for (const headers of [
    basic('alice', 'wrong'),
    basic('mallory', PASSWORDS.alice),
    basic('alice', ''),
    bearer('not-a-token'),
    bearer(PASSWORDS.alice),
    { Authorization: 'Basic !!!not-base64' },
    { Authorization: 'Basic' },
    { Authorization: `Digest username="alice"` },
  ]) {
    const answer = await request(`${s.url}/files/`, { headers });
    assertChallenge(t, answer);
  }
});

test('HTTP Basic and Bearer both authenticate, and the author of a version is the user', async (t) => {
  const s = await authServer(t);
  const viaBasic = await put(s.url, 'who.txt', Buffer.from('1'), AS.alice);
  t.is(viaBasic.status, 201);
  t.is(viaBasic.json.author, 'alice');
  const viaBearer = await put(s.url, 'who.txt', Buffer.from('2'), bearer(ALICE_TOKEN));
  t.is(viaBearer.status, 200);
  t.is(viaBearer.json.author, 'alice');
  const byBob = await put(s.url, 'who.txt', Buffer.from('3'), AS.bob);
  t.is(byBob.json.author, 'bob');
  const h = await history(s, 'who.txt', AS.root);
  t.deepEqual(
    h.json.versions.map((v: { author: string }) => v.author),
    ['bob', 'alice', 'alice'],
  );
  await request(`${s.url}/files/who.txt`, { method: 'DELETE', headers: AS.root });
  t.is((await history(s, 'who.txt', AS.root)).json.versions[0].author, 'root');
});

test('a read-only user may read but every write is 403 forbidden and changes nothing', async (t) => {
  const s = await authServer(t);
  await put(s.url, 'ro.txt', Buffer.from('ro'), AS.alice);
  const get = await request(`${s.url}/files/ro.txt`, { headers: AS.reader });
  t.is(get.status, 200);
  t.is(get.text, 'ro');
  t.is((await request(`${s.url}/files/ro.txt`, { method: 'HEAD', headers: AS.reader })).status, 200);
  t.is((await request(`${s.url}/files/`, { headers: AS.reader })).status, 200);
  t.is((await history(s, 'ro.txt', AS.reader)).status, 200);
  const before = await history(s, 'ro.txt', AS.reader);
  const blobs = await s.store.blobs();
  for (const answer of [
    await put(s.url, 'ro.txt', Buffer.from('changed'), AS.reader),
    await put(s.url, 'new.txt', Buffer.from('new'), AS.reader),
    await postForm(s.url, 'ro.txt', [{ name: 'f', filename: 'ro.txt', data: 'x' }], AS.reader),
    await request(`${s.url}/files/ro.txt`, { method: 'DELETE', headers: AS.reader }),
    await request(`${s.url}/files/ro.txt?restore=1`, { method: 'POST', headers: AS.reader }),
    await checkout(s.url, 'ro.txt', AS.reader),
    await request(`${s.url}/files/ro.txt?checkout`, { method: 'POST', headers: AS.reader }),
  ]) {
    assertProblem(t, answer, 403, 'forbidden');
  }
  await assertUnchanged(t, s, 'ro.txt', before, blobs, AS.reader);
  t.is((await request(`${s.url}/files/ro.txt?lock`, { headers: AS.reader })).status, 404);
  t.is((await request(`${s.url}/files/new.txt`, { headers: AS.reader })).status, 404);
});

test('the lock owner is the authenticated user; another user is refused 409 locked naming the owner', async (t) => {
  const s = await authServer(t);
  await put(s.url, 'own.txt', Buffer.from('o'), AS.alice);
  const lock = await checkout(s.url, 'own.txt', AS.alice);
  t.is(lock.status, 200);
  t.is(lock.json.owner, 'alice');
  t.is((await request(`${s.url}/files/own.txt?lock`, { headers: AS.bob })).json.owner, 'alice');
  const bobCheckout = await checkout(s.url, 'own.txt', AS.bob);
  assertProblem(t, bobCheckout, 409, 'locked');
  t.is(bobCheckout.json.lock.owner, 'alice');
  const bobWrite = await put(s.url, 'own.txt', Buffer.from('bob'), AS.bob);
  assertProblem(t, bobWrite, 409, 'locked');
  t.is(bobWrite.json.lock.owner, 'alice');
  // The holder's token works for the holder however she authenticates.
  t.is((await put(s.url, 'own.txt', Buffer.from('o2'), { ...bearer(ALICE_TOKEN), 'Lock-Token': `<${lock.token}>` })).status, 200);
});

test("another user sending the holder's token is 403 forbidden and changes nothing", async (t) => {
  const s = await authServer(t);
  await put(s.url, 'tok.txt', Buffer.from('t'), AS.alice);
  const lock = await checkout(s.url, 'tok.txt', AS.alice);
  const stolen = { ...AS.bob, 'Lock-Token': `<${lock.token}>` };
  const before = await history(s, 'tok.txt', AS.bob);
  const blobs = await s.store.blobs();
  for (const answer of [
    await put(s.url, 'tok.txt', Buffer.from('bob'), stolen),
    await put(s.url, 'tok.txt', Buffer.from('bob'), stolen, '?checkin'),
    await request(`${s.url}/files/tok.txt`, { method: 'DELETE', headers: stolen }),
    await request(`${s.url}/files/tok.txt`, { method: 'UNLOCK', headers: stolen }),
    await request(`${s.url}/files/tok.txt?uncheckout`, { method: 'POST', headers: stolen }),
    await checkout(s.url, 'tok.txt', stolen),
    await checkout(s.url, 'tok.txt', { ...AS.root, 'Lock-Token': `<${lock.token}>` }),
  ]) {
    assertProblem(t, answer, 403, 'forbidden');
  }
  await assertUnchanged(t, s, 'tok.txt', before, blobs, AS.bob);
  const still = await request(`${s.url}/files/tok.txt?lock`, { headers: AS.bob });
  t.is(still.status, 200);
  t.is(still.json.expiresAt, lock.json.expiresAt);
});

test('?uncheckout&force: 204 for an admin, 403 for a user, 409 not-checked-out without a lock', async (t) => {
  const s = await authServer(t);
  await put(s.url, 'f.txt', Buffer.from('f'), AS.alice);
  const lock = await checkout(s.url, 'f.txt', AS.alice);
  assertProblem(t, await request(`${s.url}/files/f.txt?uncheckout&force`, { method: 'POST', headers: AS.bob }), 403, 'forbidden');
  assertProblem(t, await request(`${s.url}/files/f.txt?uncheckout&force`, { method: 'POST', headers: AS.alice }), 403, 'forbidden');
  assertProblem(t, await request(`${s.url}/files/f.txt?uncheckout&force`, { method: 'POST', headers: AS.reader }), 403, 'forbidden');
  t.is((await request(`${s.url}/files/f.txt?lock`, { headers: AS.bob })).status, 200);
  const forced = await request(`${s.url}/files/f.txt?uncheckout&force`, { method: 'POST', headers: AS.root });
  t.is(forced.status, 204);
  assertProblem(t, await request(`${s.url}/files/f.txt?lock`, { headers: AS.bob }), 404, 'not-found');
  // The broken lock's token is dead; bob can now write.
  assertProblem(t, await put(s.url, 'f.txt', Buffer.from('late'), { ...AS.alice, 'Lock-Token': `<${lock.token}>` }, '?checkin'), 409, 'not-checked-out');
  t.is((await put(s.url, 'f.txt', Buffer.from('bob'), AS.bob)).status, 200);
  assertProblem(t, await request(`${s.url}/files/f.txt?uncheckout&force`, { method: 'POST', headers: AS.root }), 409, 'not-checked-out');
});

test('UNLOCK ?force: an admin breaks the lock without its token (204); a user is 403 and the lock stays', async (t) => {
  const s = await authServer(t);
  await put(s.url, 'u.txt', Buffer.from('u'), AS.alice);
  await checkout(s.url, 'u.txt', AS.alice);
  assertProblem(t, await request(`${s.url}/files/u.txt?force`, { method: 'UNLOCK', headers: AS.bob }), 403, 'forbidden');
  t.is((await request(`${s.url}/files/u.txt?lock`, { headers: AS.bob })).status, 200, 'a refused force keeps the lock');
  const forced = await request(`${s.url}/files/u.txt?force`, { method: 'UNLOCK', headers: AS.root });
  t.is(forced.status, 204, forced.text);
  assertProblem(t, await request(`${s.url}/files/u.txt?lock`, { headers: AS.bob }), 404, 'not-found');
  t.is((await put(s.url, 'u.txt', Buffer.from('bob'), AS.bob)).status, 200);
});

test('/healthz and /readyz need no credentials', async (t) => {
  const s = await authServer(t);
  const health = await request(`${s.url}/healthz`);
  t.is(health.status, 200);
  t.is(health.json.status, 'ok');
  const ready = await request(`${s.url}/readyz`);
  t.is(ready.status, 200);
  t.is(ready.json.status, 'ready');
});

test('order of checks: auth comes before path, lock and everything else', async (t) => {
  const s = await authServer(t);
  assertChallenge(t, await raw(s.url, 'PUT', '/files/a/../b.txt', {}, 'x'));
  assertChallenge(t, await raw(s.url, 'GET', '/files/%00'));
  assertProblem(t, await raw(s.url, 'PUT', '/files/a/../b.txt', AS.reader, 'x'), 403, 'forbidden');
  assertProblem(t, await raw(s.url, 'PUT', '/files/a/../b.txt', AS.alice, 'x'), 400, 'invalid-path');
  await put(s.url, 'locked.txt', Buffer.from('l'), AS.alice);
  await checkout(s.url, 'locked.txt', AS.alice);
  assertChallenge(t, await put(s.url, 'locked.txt', Buffer.from('x')));
  assertChallenge(t, await put(s.url, 'locked.txt', Buffer.from('x'), basic('bob', 'wrong')));
});

test('open mode: no credentials needed, author and lock owner are anonymous', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const created = await put(s.url, 'open.txt', Buffer.from('o'));
  t.is(created.status, 201);
  t.is(created.json.author, 'anonymous');
  const lock = await checkout(s.url, 'open.txt');
  t.is(lock.json.owner, 'anonymous');
  // Credentials are ignored rather than refused when no users are configured.
  t.is((await request(`${s.url}/files/open.txt`, { headers: basic('whoever', 'whatever') })).status, 200);
});
