/**
 * Identity on /dav is that of /files (test/http/rest/auth.test.ts): with users configured,
 * no credentials is 401 with a challenge, a read-only user reads (PROPFIND, GET, REPORT) but
 * every write is 403, and a lock belongs to the user who took it.
 */
import test from 'ava';
import type { UserDirectory } from '../../../src/auth/users.js';
import { put } from '../../helpers/http.js';
import { AS, assertProblem, makeUsers } from '../rest/_support.js';
import { dav, davServer, hostOf, lock, lockinfo, lockOf, pathsOf, propfind, setProps, versionsOf, XML } from './_support.js';

let users: UserDirectory;
test.before(async () => {
  users = await makeUsers();
});

test('without credentials every /dav request is 401 with a WWW-Authenticate challenge', async (t) => {
  const s = await davServer(t, { users });
  await put(s.url, 'a.txt', Buffer.from('a'), AS.alice);
  const requests: [string, string, Record<string, string>, string?][] = [
    ['OPTIONS', '', {}],
    ['PROPFIND', '', { Depth: '1' }],
    ['GET', 'a.txt', {}],
    ['PUT', 'b.txt', {}, 'b'],
    ['MKCOL', 'c/', {}],
    ['LOCK', 'a.txt', XML, lockinfo()],
    ['DELETE', 'a.txt', {}],
    ['COPY', 'a.txt', { Destination: `http://${hostOf(s)}/dav/d.txt` }],
  ];
  for (const [method, target, headers, body] of requests) {
    const answer = await dav(s, method, target, headers, body);
    assertProblem(t, answer, 401, 'unauthorized');
    t.regex(answer.headers.get('www-authenticate') ?? '', /Basic realm="kluis"/, method);
  }
  const wrong = await dav(s, 'PROPFIND', '', { Depth: '0', Authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` });
  assertProblem(t, wrong, 401, 'unauthorized');
  for (const name of ['b.txt', 'd.txt', 'c/x']) t.deepEqual(await versionsOf(s, name, AS.alice), [], `nothing was written at ${name}`);
  t.deepEqual(
    (await versionsOf(s, 'a.txt', AS.alice)).map((v) => v.version),
    [1],
    'a.txt was not deleted',
  );
  t.is((await lockOf(s, 'a.txt', AS.alice)).status, 404, 'a.txt was not locked');
  t.is((await propfind(s, 'c/', '0', undefined, AS.alice)).status, 404, 'no collection was made');
});

test('a read-only user may PROPFIND, GET and REPORT on /dav', async (t) => {
  const s = await davServer(t, { users });
  await put(s.url, 'r/doc.txt', Buffer.from('r1'), AS.alice);
  await put(s.url, 'r/doc.txt', Buffer.from('r2'), AS.alice);
  const found = await propfind(s, 'r/', '1', ['getetag'], AS.reader);
  t.is(found.status, 207, found.text);
  t.deepEqual(pathsOf(found.responses), ['/dav/r/', '/dav/r/doc.txt']);
  const got = await dav(s, 'GET', 'r/doc.txt', AS.reader);
  t.is(got.status, 200);
  t.is(got.text, 'r2');
  const report = await dav(s, 'REPORT', 'r/doc.txt', { ...AS.reader, ...XML }, '<?xml version="1.0"?><D:version-tree xmlns:D="DAV:"/>');
  t.is(report.status, 207, report.text);
  t.is((await dav(s, 'OPTIONS', '', AS.reader)).status, 200);
});

test('a read-only user gets 403 on every /dav write, and nothing changes', async (t) => {
  const s = await davServer(t, { users });
  await put(s.url, 'w/doc.txt', Buffer.from('w1'), AS.alice);
  const { token } = await lock(s, 'w/doc.txt', AS.alice);
  t.regex(token, /^urn:uuid:/);
  await put(s.url, 'w/other.txt', Buffer.from('o1'), AS.alice);
  const requests: [string, string, Record<string, string>, string?][] = [
    ['PUT', 'w/new.txt', {}, 'n'],
    ['PUT', 'w/other.txt', {}, 'o2'],
    ['MKCOL', 'w/sub/', {}],
    ['LOCK', 'w/other.txt', XML, lockinfo()],
    ['LOCK', 'w/', { ...XML, Depth: 'infinity' }, lockinfo()],
    ['UNLOCK', 'w/doc.txt', { 'Lock-Token': `<${token}>` }],
    ['DELETE', 'w/other.txt', {}],
    ['PROPPATCH', 'w/other.txt', XML, setProps({ '{urn:x}p': 'v' })],
    ['COPY', 'w/other.txt', { Destination: `http://${hostOf(s)}/dav/w/copy.txt` }],
    ['MOVE', 'w/other.txt', { Destination: `http://${hostOf(s)}/dav/w/moved.txt` }],
    ['CHECKOUT', 'w/other.txt', {}],
  ];
  for (const [method, target, headers, body] of requests) {
    assertProblem(t, await dav(s, method, target, { ...AS.reader, ...headers }, body), 403, 'forbidden');
  }
  t.deepEqual(
    (await versionsOf(s, 'w/other.txt', AS.alice)).map((v) => v.version),
    [1],
    'w/other.txt was neither written, deleted nor moved',
  );
  for (const name of ['w/new.txt', 'w/copy.txt', 'w/moved.txt']) t.deepEqual(await versionsOf(s, name, AS.alice), [], `nothing at ${name}`);
  const after = await propfind(s, 'w/', '1', ['lockdiscovery'], AS.alice);
  t.deepEqual(pathsOf(after.responses), ['/dav/w/', '/dav/w/doc.txt', '/dav/w/other.txt'], after.text);
  t.is((await lockOf(s, 'w/other.txt', AS.alice)).status, 404, 'no lock was taken');
  t.is((await lockOf(s, 'w/doc.txt', AS.alice)).status, 200, "alice's lock is still held");
  t.is((await dav(s, 'GET', 'w/other.txt', AS.alice)).text, 'o1');
});

test('a /dav lock belongs to its taker: another user presenting its token is 403, and may not UNLOCK it', async (t) => {
  const s = await davServer(t, { users });
  await put(s.url, 'mine.txt', Buffer.from('m1'), AS.alice);
  const { token } = await lock(s, 'mine.txt', AS.alice);
  assertProblem(t, await dav(s, 'PUT', 'mine.txt', { ...AS.bob, If: `(<${token}>)` }, 'bob'), 403, 'forbidden');
  assertProblem(t, await dav(s, 'UNLOCK', 'mine.txt', { ...AS.bob, 'Lock-Token': `<${token}>` }), 403, 'forbidden');
  assertProblem(t, await dav(s, 'PUT', 'mine.txt', AS.bob, 'bob'), 423, 'locked');
  t.is((await dav(s, 'PUT', 'mine.txt', { ...AS.alice, If: `(<${token}>)` }, 'm2')).status, 204);
  // An admin may break it (RFC 4918 §9.11 leaves who may UNLOCK to the server).
  t.is((await dav(s, 'UNLOCK', 'mine.txt', { ...AS.root, 'Lock-Token': `<${token}>` })).status, 204);
  t.is((await dav(s, 'PUT', 'mine.txt', AS.bob, 'bob')).status, 204);
});

test("a collection lock's token is its taker's too: another user presenting it in If is 403 inside the collection", async (t) => {
  const s = await davServer(t, { users });
  t.is((await dav(s, 'MKCOL', 'team/', AS.alice)).status, 201);
  const { token, status } = await lock(s, 'team/', { ...AS.alice, Depth: 'infinity' });
  t.is(status, 200);
  const tagged = { If: `<http://${hostOf(s)}/dav/team/> (<${token}>)` };
  assertProblem(t, await dav(s, 'PUT', 'team/bob.txt', { ...AS.bob, ...tagged }, 'bob'), 403, 'forbidden');
  assertProblem(t, await dav(s, 'MKCOL', 'team/bob/', { ...AS.bob, ...tagged }), 403, 'forbidden');
  t.deepEqual(await versionsOf(s, 'team/bob.txt', AS.alice), []);
  t.is((await dav(s, 'PUT', 'team/alice.txt', { ...AS.alice, ...tagged }, 'alice')).status, 201);
});
