/**
 * Who sees a lock token. RFC 4918 §6.5 holds tokens not to be secrets: locks are enforced by
 * authentication. With users configured a token is bound to its owner (another user's write
 * with it is 403) and `DAV:lockdiscovery` shows it to its owner only; in open mode every caller
 * is `anonymous`, the owner of every lock, so every token is shown (as litmus's `discover`
 * test expects) and a lock guards cooperating clients from accidents, not from a hostile one.
 * `/files` reads (`?lock`, listings) and 409 bodies never carry a token.
 */
import test from 'ava';
import type { UserDirectory } from '../../../src/auth/users.js';
import { checkout, put } from '../../helpers/http.js';
import { AS, assertProblem, makeUsers } from '../rest/_support.js';
import { dav, davServer, descendantsOf, files, lock, propfind, propOf, type DavResponse } from './_support.js';

let users: UserDirectory;
test.before(async () => {
  users = await makeUsers();
});

/** The token hrefs in a response's DAV:lockdiscovery, and how many active locks it shows. */
function discovered(response: DavResponse | undefined): { locks: number; tokens: string[] } {
  const prop = propOf(response, 'lockdiscovery');
  const locks = descendantsOf(prop?.el, 'activelock');
  const tokens = descendantsOf(prop?.el, 'locktoken').flatMap((el) => descendantsOf(el, 'href').map((href) => href.text.trim()));
  return { locks: locks.length, tokens };
}

test('with users, DAV:lockdiscovery shows a /files check-out token to its owner only; another user sees the lock without it, and its token in their hands is 403', async (t) => {
  const s = await davServer(t, { users });
  await put(s.url, 'x.txt', Buffer.from('one'), AS.alice);
  const taken = await checkout(s.url, 'x.txt', AS.alice);
  t.is(taken.status, 200, taken.text);

  const asAlice = await propfind(s, 'x.txt', '0', ['lockdiscovery'], AS.alice);
  t.deepEqual(discovered(asAlice.responses[0]), { locks: 1, tokens: [taken.token] }, asAlice.text);
  const asBob = await propfind(s, 'x.txt', '0', ['lockdiscovery'], AS.bob);
  t.deepEqual(discovered(asBob.responses[0]), { locks: 1, tokens: [] }, `bob sees alice's lock, not its token: ${asBob.text}`);
  t.false(asBob.text.includes(taken.token));
  const listing = await propfind(s, '', '1', undefined, AS.bob);
  t.false(listing.text.includes(taken.token), 'nor in an allprop listing of the folder');

  // Had bob learnt it anyway, the token is alice's alone.
  assertProblem(t, await put(s.url, 'x.txt', Buffer.from('bob'), { ...AS.bob, 'Lock-Token': `<${taken.token}>` }), 403, 'forbidden');
  assertProblem(t, await dav(s, 'PUT', 'x.txt', { ...AS.bob, If: `(<${taken.token}>)` }, 'bob'), 403, 'forbidden');
  // /files reads and refusals never carry it, except `?lock` asked by its owner (a reloaded web UI gets its check-out back).
  for (const who of [AS.alice, AS.bob]) {
    const reads = [await files(s, 'GET', '', who), await files(s, 'GET', 'x.txt?versions', who)];
    for (const read of reads) t.false(read.text.includes(taken.token), read.text);
  }
  t.is((await files(s, 'GET', 'x.txt?lock', AS.alice)).json.token, taken.token);
  t.false((await files(s, 'GET', 'x.txt?lock', AS.bob)).text.includes(taken.token));
  const refused = await put(s.url, 'x.txt', Buffer.from('bob'), AS.bob);
  assertProblem(t, refused, 409, 'locked');
  t.false(refused.text.includes(taken.token));
});

test('with users, a WebDAV lock on a collection is discovered with its token by its owner only, on the collection and on its members', async (t) => {
  const s = await davServer(t, { users });
  t.is((await dav(s, 'MKCOL', 'd/', AS.bob)).status, 201);
  await put(s.url, 'd/in.txt', Buffer.from('in'), AS.bob);
  const locked = await lock(s, 'd/', { ...AS.bob, Depth: 'infinity' });
  t.is(locked.status, 200, locked.text);
  t.true(locked.text.includes(locked.token), 'the LOCK answer gives its taker the token');
  for (const target of ['d/', 'd/in.txt']) {
    t.deepEqual(discovered((await propfind(s, target, '0', ['lockdiscovery'], AS.bob)).responses[0]).tokens, [locked.token], `bob on ${target}`);
    t.deepEqual(discovered((await propfind(s, target, '0', ['lockdiscovery'], AS.alice)).responses[0]), { locks: 1, tokens: [] }, `alice on ${target}`);
  }
});

test('open mode: every caller is anonymous, the owner of every lock, so DAV:lockdiscovery shows the token (RFC 4918 §6.5; litmus compares it)', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'x.txt', Buffer.from('one'));
  const taken = await checkout(s.url, 'x.txt');
  const found = await propfind(s, 'x.txt', '0', ['lockdiscovery']);
  t.deepEqual(discovered(found.responses[0]).tokens, [taken.token]);
});
