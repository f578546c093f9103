import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { AS, makeUsers } from '../rest/_support.js';
import { create, head, patch, TUS } from './_tus.js';

let server: TestServer;
let users: TestServer;
test.before(async () => {
  server = await startServer();
  users = await startServer({ users: await makeUsers() });
});
test.after.always(async () => {
  await server?.close();
  await users?.close();
});

test('an upload into a file checked out by someone else is refused at creation: 409 locked, naming the holder', async (t) => {
  const { token } = await checkout(server.url, 'rules/held.txt');
  t.truthy(token);
  const refused = await create(server.url, 'rules/held.txt', 5);
  t.is(refused.status, 409);
  t.is(refused.json.code, 'locked');
  t.like(refused.json.lock, { owner: 'anonymous' });
  const holder = await create(server.url, 'rules/held.txt', 5, { 'Lock-Token': `<${token}>` });
  t.is(holder.status, 201, 'the holder, sending its token, may');
});

test('a lock taken while the bytes travel makes the completion 409 locked; the bytes stay, and a POST with the token commits them', async (t) => {
  const made = await create(server.url, 'rules/travel.txt', 10);
  t.is((await patch(made.url, 0, 'hello')).status, 204);
  const { token } = await checkout(server.url, 'rules/travel.txt');
  const last = await patch(made.url, 5, 'world');
  t.is(last.status, 409);
  t.is(last.json.code, 'locked');
  t.is(last.json.lock.owner, 'anonymous');
  t.is(last.headers.get('tus-resumable'), '1.0.0');
  t.is((await request(`${server.url}/files/rules/travel.txt`)).status, 404, 'no version was made');
  const state = await request(made.url);
  t.like(state.json, { phase: 'complete', offset: 10 });
  t.is(state.json.refused.code, 'locked');
  const heldBack = await request(made.url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
  t.is(heldBack.status, 423, 'HEAD does not say "all bytes acknowledged" (a tus client would take that for done)');
  t.is((await request(made.url, { method: 'HEAD', headers: { 'Upload-Draft-Interop-Version': '6' } })).status, 423);
  const again = await request(made.url, { method: 'POST' });
  t.is(again.status, 409, 'a retry without the token is refused again');
  const wrong = await request(made.url, { method: 'POST', headers: { 'Lock-Token': `<${token}>`, 'If-Match': '"0"' } });
  t.is(wrong.status, 412);
  t.is((await request(made.url)).json.refused.code, 'locked', 'a refused retry changes nothing: not even the recorded preconditions');
  const retry = await request(made.url, { method: 'POST', headers: { 'Lock-Token': `<${token}>` } });
  t.is(retry.status, 201);
  t.is(retry.json.version, 1);
  t.is((await request(`${server.url}/files/rules/travel.txt`)).text, 'helloworld', 'without resending a byte');
  t.is((await request(made.url, { method: 'POST', headers: { 'Lock-Token': `<${token}>` } })).json.version, 1, 'a second retry answers the same version, makes no other');
});

test('?base=N recorded at creation: a version saved meanwhile makes the completion 409 modified with the current version', async (t) => {
  t.is((await put(server.url, 'rules/base.txt', 'v1')).status, 201);
  const made = await create(server.url, 'rules/base.txt', 2, {}, '?base=1');
  t.is(made.status, 201);
  t.is((await put(server.url, 'rules/base.txt', 'v2')).status, 200);
  const last = await patch(made.url, 0, 'v3');
  t.is(last.status, 409);
  t.like(last.json, { code: 'modified', currentVersion: 2 });
  const retry = await request(`${made.url}?base=2`, { method: 'POST' });
  t.is(retry.status, 200);
  t.is(retry.json.version, 3);
});

test('If-None-Match: * at creation: another upload that made the file first wins, the later commit is 412', async (t) => {
  const one = await create(server.url, 'rules/first.txt', 3, { 'If-None-Match': '*' });
  const two = await create(server.url, 'rules/first.txt', 3, { 'If-None-Match': '*' });
  t.is((await patch(two.url, 0, 'two')).status, 204);
  const late = await patch(one.url, 0, 'one');
  t.is(late.status, 412);
  t.is((await request(`${server.url}/files/rules/first.txt`)).text, 'two');
});

test('?checkin: the holder uploads and releases in the commit; its check-out is refreshed while the upload is active', async (t) => {
  const { token } = await checkout(server.url, 'rules/checkin.txt', { Timeout: 'Second-60' });
  const made = await create(server.url, 'rules/checkin.txt', 4, { 'Lock-Token': `<${token}>` }, '?checkin');
  t.is((await patch(made.url, 0, 'ab')).status, 204);
  const lock = await request(`${server.url}/files/rules/checkin.txt?lock`);
  t.true(Date.parse(lock.json.expiresAt) > Date.now() + 30 * 60_000, 'extended to the default timeout (an hour) by the append');
  t.is((await patch(made.url, 2, 'cd')).status, 204);
  t.is((await request(`${server.url}/files/rules/checkin.txt?lock`)).status, 404, 'released');
  t.is((await request(`${server.url}/files/rules/checkin.txt`)).text, 'abcd');
});

test("with users, an upload is its creator's: another user gets 404 on every method; a read-only user cannot make one", async (t) => {
  const made = await create(users.url, 'rules/alice.txt', 3, AS.alice);
  t.is(made.status, 201);
  t.is((await head(made.url, AS.bob)).status, 404);
  t.is((await patch(made.url, 0, 'bob', AS.bob)).status, 404);
  t.is((await request(made.url, { method: 'DELETE', headers: { ...TUS, ...AS.bob } })).status, 404);
  t.is((await head(made.url)).status, 401);
  t.is((await create(users.url, 'rules/reader.txt', 3, AS.reader)).status, 403);
  t.is((await patch(made.url, 0, 'abc', AS.alice)).status, 204);
  const version = await request(`${users.url}/files/rules/alice.txt?versions`, { headers: AS.alice });
  t.is(version.json.versions[0].author, 'alice');
});
