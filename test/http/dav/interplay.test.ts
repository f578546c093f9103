/**
 * /files and /dav share one lock per file: a WebDAV lock is a check-out and a check-out is a
 * WebDAV lock. Each side refuses a write without the token in its own way (/files 409 `locked`
 * naming the holder, /dav 423), and a token taken on one side is honoured on the other.
 */
import test from 'ava';
import type { UserDirectory } from '../../../src/auth/users.js';
import { checkout, put } from '../../helpers/http.js';
import { AS, assertProblem, makeUsers, sha256hex } from '../rest/_support.js';
import { dav, davServer, descendantsOf, files, lock, lockOf, parseXml, propfind, propOf, versionsOf } from './_support.js';

let users: UserDirectory;
test.before(async () => {
  users = await makeUsers();
});

test('a /dav LOCK makes a /files PUT 409 locked naming the holder, and a /dav PUT without the token 423; nothing is stored', async (t) => {
  const s = await davServer(t, { users });
  t.is((await put(s.url, 'doc.txt', Buffer.from('v1'), AS.alice)).status, 201);
  const locked = await lock(s, 'doc.txt', AS.alice);
  t.is(locked.status, 200, locked.text);
  t.regex(locked.token, /^urn:uuid:/);
  const seen = await files(s, 'GET', 'doc.txt?lock', AS.bob);
  t.is(seen.status, 200);
  t.is(seen.json.owner, 'alice');

  const viaFiles = await put(s.url, 'doc.txt', Buffer.from('bob was here'), AS.bob);
  assertProblem(t, viaFiles, 409, 'locked');
  t.deepEqual(viaFiles.json.lock, { owner: 'alice', label: 'tester', expiresAt: seen.json.expiresAt }, 'the 409 names the holder and expiry');
  t.is(viaFiles.json.currentVersion, 1);
  t.is(viaFiles.json.currentSha256, sha256hex('v1'));
  t.false(viaFiles.text.includes(locked.token), 'the token is never shown to another caller');

  const viaDav = await dav(s, 'PUT', 'doc.txt', AS.bob, 'bob was here');
  assertProblem(t, viaDav, 423, 'locked');
  const ownerWithoutToken = await dav(s, 'PUT', 'doc.txt', AS.alice, 'alice forgot the token');
  assertProblem(t, ownerWithoutToken, 423, 'locked');

  const versions = await files(s, 'GET', 'doc.txt?versions', AS.bob);
  t.deepEqual(
    versions.json.versions.map((v: { version: number }) => v.version),
    [1],
    'no refused write made a version',
  );
});

test('the token of a /dav LOCK works on /files (Lock-Token) and the lock stays; another user presenting it is 403', async (t) => {
  const s = await davServer(t, { users });
  await put(s.url, 'doc.txt', Buffer.from('v1'), AS.alice);
  const { token } = await lock(s, 'doc.txt', AS.alice);
  const written = await put(s.url, 'doc.txt', Buffer.from('v2'), { ...AS.alice, 'Lock-Token': `<${token}>` });
  t.is(written.status, 200, written.text);
  t.is(written.json.version, 2);
  t.is((await files(s, 'GET', 'doc.txt?lock', AS.alice)).status, 200, 'a write with the token keeps the lock');
  const stolen = await put(s.url, 'doc.txt', Buffer.from('v3'), { ...AS.bob, 'Lock-Token': `<${token}>` });
  assertProblem(t, stolen, 403, 'forbidden');
  const davWrite = await dav(s, 'PUT', 'doc.txt', { ...AS.alice, If: `(<${token}>)` }, 'v3');
  t.is(davWrite.status, 204, davWrite.text);
  const checkin = await put(s.url, 'doc.txt', Buffer.from('v4'), { ...AS.alice, 'Lock-Token': `<${token}>` }, '?checkin');
  t.is(checkin.status, 200, checkin.text);
  t.is(checkin.json.released, true);
  t.is((await files(s, 'GET', 'doc.txt?lock', AS.alice)).status, 404, '?checkin with the /dav token released the /dav lock');
  t.deepEqual(
    (await files(s, 'GET', 'doc.txt?versions', AS.alice)).json.versions.map((v: { version: number }) => v.version),
    [4, 3, 2, 1],
  );
});

test('a /files CHECKOUT token works on /dav as If: (<token>); without it /dav PUT and DELETE are 423', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'co.txt', Buffer.from('one'));
  const co = await checkout(s.url, 'co.txt');
  t.is(co.status, 200);
  assertProblem(t, await dav(s, 'PUT', 'co.txt', {}, 'two'), 423, 'locked');
  assertProblem(t, await dav(s, 'DELETE', 'co.txt'), 423, 'locked');
  assertProblem(t, await dav(s, 'PUT', 'co.txt', { If: '(<urn:uuid:00000000-0000-4000-8000-000000000000>)' }, 'two'), 412, 'precondition-failed');
  const written = await dav(s, 'PUT', 'co.txt', { If: `(<${co.token}>)` }, 'two');
  t.is(written.status, 204, written.text);
  t.is((await versionsOf(s, 'co.txt'))[0]?.sha256, sha256hex('two'));
  // The check-out is the lock /dav reports: DAV:lockdiscovery names it, with its token.
  const found = await propfind(s, 'co.txt', '0', ['lockdiscovery']);
  const active = descendantsOf(propOf(found.responses[0], 'lockdiscovery')?.el, 'activelock');
  t.is(active.length, 1, found.text);
  t.is(descendantsOf(descendantsOf(active[0], 'locktoken')[0], 'href')[0]?.text, co.token);
  // And /dav UNLOCK releases it.
  const unlocked = await dav(s, 'UNLOCK', 'co.txt', { 'Lock-Token': `<${co.token}>` });
  t.is(unlocked.status, 204, unlocked.text);
  t.is((await lockOf(s, 'co.txt')).status, 404);
});

test('/files UNLOCK (and POST ?uncheckout) release a /dav lock: /dav writes without a token work again', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'a.txt', Buffer.from('a1'));
  await put(s.url, 'b.txt', Buffer.from('b1'));
  const a = await lock(s, 'a.txt');
  const b = await lock(s, 'b.txt');
  t.is(a.status, 200);
  t.is(b.status, 200);
  const unlockA = await files(s, 'UNLOCK', 'a.txt', { 'Lock-Token': `<${a.token}>` });
  t.is(unlockA.status, 204, unlockA.text);
  const unlockB = await files(s, 'POST', 'b.txt?uncheckout', { 'Lock-Token': `<${b.token}>` });
  t.is(unlockB.status, 204, unlockB.text);
  for (const name of ['a.txt', 'b.txt']) {
    t.is((await lockOf(s, name)).status, 404, `${name} is unlocked`);
    const found = await propfind(s, name, '0', ['lockdiscovery']);
    t.is(descendantsOf(propOf(found.responses[0], 'lockdiscovery')?.el, 'activelock').length, 0, found.text);
    const write = await dav(s, 'PUT', name, {}, `${name} 2`);
    t.is(write.status, 204, write.text);
  }
  // The released token now names no lock: /dav UNLOCK with it is refused.
  t.is((await dav(s, 'UNLOCK', 'a.txt', { 'Lock-Token': `<${a.token}>` })).status, 409);
});

test('a /dav LOCK of a file checked out on /files is 423, and a /files CHECKOUT of a /dav-locked file is 409 locked', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'x.txt', Buffer.from('x'));
  await put(s.url, 'y.txt', Buffer.from('y'));
  t.is((await checkout(s.url, 'x.txt')).status, 200);
  assertProblem(t, await lock(s, 'x.txt'), 423, 'locked');
  assertProblem(t, await lock(s, 'x.txt', {}, 'shared'), 423, 'locked');
  t.is((await lock(s, 'y.txt')).status, 200);
  assertProblem(t, await checkout(s.url, 'y.txt'), 409, 'locked');
});

test('a shared /dav lock blocks /files writes (409 locked naming the holder) and /dav writes without a token (423)', async (t) => {
  const s = await davServer(t, { users });
  await put(s.url, 'shared.txt', Buffer.from('s1'), AS.alice);
  const first = await lock(s, 'shared.txt', AS.alice, 'shared');
  t.is(first.status, 200, first.text);
  const second = await lock(s, 'shared.txt', AS.bob, 'shared');
  t.is(second.status, 200, 'shared locks share');
  t.not(second.token, first.token);
  const scope = descendantsOf(parseXml(first.text), 'lockscope')[0];
  t.truthy(scope && descendantsOf(scope, 'shared')[0], first.text);

  const viaFiles = await put(s.url, 'shared.txt', Buffer.from('root was here'), AS.root);
  assertProblem(t, viaFiles, 409, 'locked');
  t.is(viaFiles.json.currentVersion, 1);
  t.is(typeof viaFiles.json.lock?.owner, 'string', `the 409 names the holder of the shared lock: ${viaFiles.text}`);
  t.true(['alice', 'bob'].includes(viaFiles.json.lock?.owner), viaFiles.text);
  assertProblem(t, await checkout(s.url, 'shared.txt', AS.root), 409, 'locked');
  assertProblem(t, await dav(s, 'PUT', 'shared.txt', AS.root, 'root was here'), 423, 'locked');
  const history = await files(s, 'GET', 'shared.txt?versions', AS.root);
  t.deepEqual(
    history.json.versions.map((v: { version: number }) => v.version),
    [1],
  );

  // /files reads show what refuses the write: ?lock, the history's lock, the listing's flag.
  const shown = await files(s, 'GET', 'shared.txt?lock', AS.root);
  t.is(shown.status, 200, shown.text);
  t.like(shown.json, { path: 'shared.txt', owner: 'alice', scope: 'shared' });
  t.is(shown.json.token, undefined, 'no token shown');
  t.like(history.json.lock, { owner: 'alice', scope: 'shared' });
  const listed = (await files(s, 'GET', '', AS.root)).json.entries.find((e: { name: string }) => e.name === 'shared.txt');
  t.is(listed?.locked, true);

  // Each holder's token works on /files.
  const alice = await put(s.url, 'shared.txt', Buffer.from('s2'), { ...AS.alice, 'Lock-Token': `<${first.token}>` });
  t.is(alice.status, 200, alice.text);
  t.is(alice.json.version, 2);
});

test('/files UNLOCK with a shared /dav lock token releases that shared lock and only it', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'sh.txt', Buffer.from('s1'));
  const first = await lock(s, 'sh.txt', {}, 'shared');
  const second = await lock(s, 'sh.txt', {}, 'shared');
  t.is(first.status, 200);
  t.is(second.status, 200);
  const unlocked = await files(s, 'UNLOCK', 'sh.txt', { 'Lock-Token': `<${first.token}>` });
  t.is(unlocked.status, 204, unlocked.text);
  const found = await propfind(s, 'sh.txt', '0', ['lockdiscovery']);
  const tokens = descendantsOf(propOf(found.responses[0], 'lockdiscovery')?.el, 'locktoken').map((l) => descendantsOf(l, 'href')[0]?.text);
  t.deepEqual(tokens, [second.token], `only the other shared lock is left: ${found.text}`);
  // The released token no longer opens the file; the other one still does.
  const stale = await put(s.url, 'sh.txt', Buffer.from('s2'), { 'Lock-Token': `<${first.token}>` });
  t.is(stale.status, 409, stale.text);
  const held = await put(s.url, 'sh.txt', Buffer.from('s2'), { 'Lock-Token': `<${second.token}>` });
  t.is(held.status, 200, held.text);
});

test('a /dav DELETE by the lock holder removes the file and its lock (RFC 4918 §9.6.1); a /files DELETE keeps the check-out', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'gone.txt', Buffer.from('one'));
  const token = (await lock(s, 'gone.txt')).token;
  t.is((await dav(s, 'DELETE', 'gone.txt', { If: `(<${token}>)` })).status, 204);
  t.is((await lockOf(s, 'gone.txt')).status, 404, 'no lock outlives the deleted resource');
  t.is((await dav(s, 'PUT', 'gone.txt', {}, 'again')).status, 201, 'anyone may create it again');
  await put(s.url, 'kept.txt', Buffer.from('one'));
  const co = await checkout(s.url, 'kept.txt');
  t.is((await files(s, 'DELETE', 'kept.txt', { 'Lock-Token': co.token })).status, 204);
  t.is((await lockOf(s, 'kept.txt')).status, 200, '/files: the holder keeps the path checked out');
});
