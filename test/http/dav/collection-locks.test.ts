/**
 * A depth-infinity LOCK on a collection (RFC 4918 §9.10, §7.5) covers every member, present
 * and future, on both mounts: /dav answers 423 without the token and takes it in a tagged If
 * naming the collection; /files answers 409 `locked` without it and takes it in Lock-Token.
 */
import test from 'ava';
import { checkout, put } from '../../helpers/http.js';
import type { TestServer } from '../../helpers/server.js';
import { assertProblem, sha256hex } from '../rest/_support.js';
import { dav, davServer, descendantsOf, files, hostOf, lock, lockOf, parseXml, propfind, propOf, versionsOf } from './_support.js';

/** A collection `coll` with one file, locked depth infinity; its token. */
async function lockedCollection(s: TestServer): Promise<string> {
  const made = await dav(s, 'MKCOL', 'coll/');
  if (made.status !== 201) throw new Error(`MKCOL: ${made.status} ${made.text}`);
  const file = await dav(s, 'PUT', 'coll/old.txt', {}, 'old 1');
  if (file.status !== 201) throw new Error(`PUT: ${file.status} ${file.text}`);
  const locked = await lock(s, 'coll/', { Depth: 'infinity' });
  if (locked.status !== 200) throw new Error(`LOCK: ${locked.status} ${locked.text}`);
  return locked.token;
}

test('LOCK of a collection with Depth: infinity answers the lock with depth infinity and the collection as its root', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'coll/')).status, 201);
  const locked = await lock(s, 'coll/', { Depth: 'infinity' });
  t.is(locked.status, 200, locked.text);
  const active = descendantsOf(parseXml(locked.text), 'activelock')[0];
  t.is(descendantsOf(active, 'depth')[0]?.text, 'infinity');
  t.is(descendantsOf(descendantsOf(active, 'lockroot')[0], 'href')[0]?.text, '/dav/coll/');
  t.is(descendantsOf(descendantsOf(active, 'locktoken')[0], 'href')[0]?.text, locked.token);
});

test('a /dav PUT of a new member is 423 without the token and 201 with a tagged If naming the collection', async (t) => {
  const s = await davServer(t);
  const token = await lockedCollection(s);
  assertProblem(t, await dav(s, 'PUT', 'coll/new.txt', {}, 'intruder'), 423, 'locked');
  assertProblem(t, await dav(s, 'PUT', 'coll/old.txt', {}, 'intruder'), 423, 'locked');
  assertProblem(t, await dav(s, 'MKCOL', 'coll/sub/'), 423, 'locked');
  assertProblem(t, await dav(s, 'DELETE', 'coll/old.txt'), 423, 'locked');
  t.deepEqual(await versionsOf(s, 'coll/new.txt'), [], 'the refused PUT stored nothing');

  const tagged = `<http://${hostOf(s)}/dav/coll/> (<${token}>)`;
  const created = await dav(s, 'PUT', 'coll/new.txt', { If: tagged }, 'mine');
  t.is(created.status, 201, created.text);
  const updated = await dav(s, 'PUT', 'coll/old.txt', { If: tagged }, 'old 2');
  t.is(updated.status, 204, updated.text);
  const sub = await dav(s, 'MKCOL', 'coll/sub/', { If: tagged });
  t.is(sub.status, 201, sub.text);
  t.is((await versionsOf(s, 'coll/new.txt'))[0]?.sha256, sha256hex('mine'));
  // A tag naming another resource does not carry the lock over.
  const wrongTag = await dav(s, 'PUT', 'coll/other.txt', { If: `<http://${hostOf(s)}/dav/elsewhere/> (<${token}>)` }, 'x');
  assertProblem(t, wrongTag, 412, 'precondition-failed');
  t.deepEqual(await versionsOf(s, 'coll/other.txt'), []);
  // The lock covers the new member: it shows in the member's lockdiscovery, rooted at the collection.
  const found = await propfind(s, 'coll/new.txt', '0', ['lockdiscovery']);
  const root = descendantsOf(propOf(found.responses[0], 'lockdiscovery')?.el, 'lockroot')[0];
  t.is(descendantsOf(root, 'href')[0]?.text, '/dav/coll/', found.text);
});

test('a /files PUT into the locked collection is 409 locked without a token, naming the holder; nothing is stored', async (t) => {
  const s = await davServer(t);
  await lockedCollection(s);
  const refused = await put(s.url, 'coll/fresh.txt', Buffer.from('intruder'));
  assertProblem(t, refused, 409, 'locked');
  t.is(refused.json.path, 'coll/fresh.txt');
  t.deepEqual(await versionsOf(s, 'coll/fresh.txt'), []);
  assertProblem(t, await put(s.url, 'coll/old.txt', Buffer.from('intruder')), 409, 'locked');
  t.is((await versionsOf(s, 'coll/old.txt')).length, 1);
  // docs/api.md: every 409 carries path, currentVersion, currentSha256 and lock { owner, expiresAt }.
  t.like(refused.json, { currentVersion: 0, currentSha256: null }, refused.text);
  t.is(refused.json.lock?.owner, 'anonymous', `the 409 names the holder of the collection lock (lock.owner): ${refused.text}`);
});

test("/files reads show the collection lock on its members: ?lock, ?versions and the listing's locked flag (depth infinity only)", async (t) => {
  const s = await davServer(t);
  await lockedCollection(s);
  const shown = await files(s, 'GET', 'coll/old.txt?lock');
  t.is(shown.status, 200, shown.text);
  t.like(shown.json, { path: 'coll', owner: 'anonymous', depth: 'infinity' });
  t.is(shown.json.token, undefined, 'no token shown');
  t.like((await files(s, 'GET', 'coll/old.txt?versions')).json.lock, { path: 'coll', depth: 'infinity' });
  const listed = (await files(s, 'GET', 'coll/')).json.entries.find((e: { name: string }) => e.name === 'old.txt');
  t.is(listed?.locked, true);
  // A depth-0 lock guards membership, not a member's content: its members are shown unlocked.
  t.is((await dav(s, 'MKCOL', 'flat/')).status, 201);
  t.is((await dav(s, 'PUT', 'flat/in.txt', {}, 'i1')).status, 201);
  t.is((await lock(s, 'flat/', { Depth: '0' })).status, 200);
  t.is((await files(s, 'GET', 'flat/in.txt?lock')).status, 404);
  t.is((await files(s, 'GET', 'flat/')).json.entries.find((e: { name: string }) => e.name === 'in.txt')?.locked, false);
});

test('a /files PUT into the locked collection succeeds with the collection lock token in Lock-Token', async (t) => {
  const s = await davServer(t);
  const token = await lockedCollection(s);
  const created = await put(s.url, 'coll/fresh.txt', Buffer.from('mine'), { 'Lock-Token': `<${token}>` });
  t.is(created.status, 201, created.text);
  const updated = await put(s.url, 'coll/old.txt', Buffer.from('old 2'), { 'Lock-Token': `<${token}>` });
  t.is(updated.status, 200, updated.text);
  t.is((await versionsOf(s, 'coll/old.txt'))[0]?.sha256, sha256hex('old 2'));
  t.is((await versionsOf(s, 'coll/fresh.txt'))[0]?.sha256, sha256hex('mine'));
});

test('a /files DELETE of a member of the locked collection is 409 locked without the token', async (t) => {
  const s = await davServer(t);
  await lockedCollection(s);
  assertProblem(t, await files(s, 'DELETE', 'coll/old.txt'), 409, 'locked');
  t.is((await versionsOf(s, 'coll/old.txt')).length, 1, 'no delete marker');
});

test('a check-out (/files or /dav CHECKOUT) of a member of the exclusively locked collection is refused without the token', async (t) => {
  const s = await davServer(t);
  await lockedCollection(s);
  assertProblem(t, await dav(s, 'CHECKOUT', 'coll/old.txt'), 423, 'locked');
  assertProblem(t, await checkout(s.url, 'coll/old.txt'), 409, 'locked');
  // No exclusive lock inside an exclusively locked tree (RFC 4918 §6.1): the member shows the collection's.
  t.is((await lockOf(s, 'coll/old.txt')).json?.path, 'coll');
});

test('LOCK of a collection with a member locked by someone else is 423, and takes no lock', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'tree/')).status, 201);
  t.is((await dav(s, 'MKCOL', 'tree/deep/')).status, 201);
  t.is((await dav(s, 'PUT', 'tree/deep/held.txt', {}, 'h')).status, 201);
  t.is((await dav(s, 'PUT', 'tree/free.txt', {}, 'f')).status, 201);
  const member = await lock(s, 'tree/deep/held.txt');
  t.is(member.status, 200);
  assertProblem(t, await lock(s, 'tree/', { Depth: 'infinity' }), 423, 'locked');
  assertProblem(t, await lock(s, 'tree/', { Depth: 'infinity' }, 'shared'), 423, 'locked');
  const found = await propfind(s, 'tree/', '0', ['lockdiscovery']);
  t.is(descendantsOf(propOf(found.responses[0], 'lockdiscovery')?.el, 'activelock').length, 0, `no lock was taken: ${found.text}`);
  t.is((await dav(s, 'PUT', 'tree/free.txt', {}, 'f2')).status, 204, 'the free member is still writable');

  // A /files check-out of a member blocks it the same way.
  t.is((await dav(s, 'MKCOL', 'other/')).status, 201);
  await put(s.url, 'other/co.txt', Buffer.from('c'));
  t.is((await checkout(s.url, 'other/co.txt')).status, 200);
  assertProblem(t, await lock(s, 'other/', { Depth: 'infinity' }), 423, 'locked');
});

test('UNLOCK through a member URL releases the collection lock (RFC 4918 §9.11)', async (t) => {
  const s = await davServer(t);
  const token = await lockedCollection(s);
  const unlocked = await dav(s, 'UNLOCK', 'coll/old.txt', { 'Lock-Token': `<${token}>` });
  t.is(unlocked.status, 204, unlocked.text);
  const found = await propfind(s, 'coll/', '0', ['lockdiscovery']);
  t.is(descendantsOf(propOf(found.responses[0], 'lockdiscovery')?.el, 'activelock').length, 0, found.text);
  t.is((await dav(s, 'PUT', 'coll/new.txt', {}, 'free')).status, 201);
  t.is((await put(s.url, 'coll/old.txt', Buffer.from('free'))).status, 200);
  t.is((await lockOf(s, 'coll/old.txt')).status, 404);
  t.is((await dav(s, 'UNLOCK', 'coll/', { 'Lock-Token': `<${token}>` })).status, 409, 'the token names no lock any more');
});

test('a depth-0 collection lock guards membership only: a new member is 423, an existing member stays writable', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'flat/')).status, 201);
  t.is((await dav(s, 'PUT', 'flat/in.txt', {}, 'i1')).status, 201);
  const locked = await lock(s, 'flat/', { Depth: '0' });
  t.is(locked.status, 200, locked.text);
  t.is(descendantsOf(parseXml(locked.text), 'depth')[0]?.text, '0');
  assertProblem(t, await dav(s, 'PUT', 'flat/new.txt', {}, 'n'), 423, 'locked');
  assertProblem(t, await dav(s, 'DELETE', 'flat/in.txt'), 423, 'locked');
  t.is((await dav(s, 'PUT', 'flat/in.txt', {}, 'i2')).status, 204, 'the content of a member is not guarded by a depth-0 lock');
  const tagged = await dav(s, 'PUT', 'flat/new.txt', { If: `<http://${hostOf(s)}/dav/flat/> (<${locked.token}>)` }, 'n');
  t.is(tagged.status, 201, tagged.text);
});

test('COPY into and MOVE out of the locked collection are 423 without the token and work with a tagged If', async (t) => {
  const s = await davServer(t);
  const token = await lockedCollection(s);
  await dav(s, 'PUT', 'outside.txt', {}, 'out');
  const to = (target: string) => ({ Destination: `http://${hostOf(s)}/dav/${target}` });
  assertProblem(t, await dav(s, 'COPY', 'outside.txt', to('coll/copied.txt')), 423, 'locked');
  assertProblem(t, await dav(s, 'MOVE', 'coll/old.txt', to('moved.txt')), 423, 'locked');
  t.deepEqual(await versionsOf(s, 'coll/copied.txt'), []);
  t.deepEqual(await versionsOf(s, 'moved.txt'), []);
  t.is((await versionsOf(s, 'coll/old.txt')).length, 1);
  const tagged = { If: `<http://${hostOf(s)}/dav/coll/> (<${token}>)` };
  t.is((await dav(s, 'COPY', 'outside.txt', { ...to('coll/copied.txt'), ...tagged })).status, 201);
  t.is((await dav(s, 'MOVE', 'coll/old.txt', { ...to('moved.txt'), ...tagged })).status, 201);
  t.is((await dav(s, 'GET', 'moved.txt')).text, 'old 1');
});
