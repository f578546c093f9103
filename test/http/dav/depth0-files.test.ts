/**
 * A WebDAV Depth-0 lock of a collection guards its membership (RFC 4918 §7.5): no member is
 * added or removed without its token. `/files` honours it as /dav does, with 409 `locked`
 * (423 on /dav): an upload that makes a new file, a multipart upload into the folder, a
 * check-out reserving a new path, a DELETE. A new version of a file already there is no change
 * of membership and goes through, and the lock's holder passes with its token.
 */
import test from 'ava';
import { checkout, put } from '../../helpers/http.js';
import { assertProblem, postForm } from '../rest/_support.js';
import { dav, davServer, files, lock, versionsOf } from './_support.js';

test('after a Depth-0 LOCK of a folder, /files writes that add or remove a member are 409 locked and change nothing; a new version of a member is not refused', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'P/d0/existing.txt', Buffer.from('kept'));
  const held = await lock(s, 'P/d0/', { Depth: '0' });
  t.is(held.status, 200, held.text);

  const refusals = [
    ['PUT new file', await put(s.url, 'P/d0/new.txt', Buffer.from('new'))],
    ['DELETE', await files(s, 'DELETE', 'P/d0/existing.txt')],
    ['multipart POST into the folder', await postForm(s.url, 'P/d0/', [{ name: 'file', filename: 'form.txt', data: 'form' }])],
    ['multipart POST to a new file', await postForm(s.url, 'P/d0/posted.txt', [{ name: 'file', filename: 'posted.txt', data: 'posted' }])],
    ['CHECKOUT of a new path', await checkout(s.url, 'P/d0/reserved.txt')],
    ['restore onto a new path', await files(s, 'POST', 'P/d0/new.txt?restore=1')],
  ] as const;
  for (const [what, answer] of refusals) {
    assertProblem(t, answer, 409, 'locked');
    t.is(answer.json.lock?.owner, 'anonymous', `${what}: the refusal names the holder`);
  }
  for (const name of ['new.txt', 'form.txt', 'posted.txt', 'reserved.txt']) t.deepEqual(await versionsOf(s, `P/d0/${name}`), [], `nothing at ${name}`);
  t.is((await files(s, 'GET', 'P/d0/reserved.txt?lock')).status, 404, 'no reservation was made');
  t.deepEqual(
    (await versionsOf(s, 'P/d0/existing.txt')).map((v) => v.version),
    [1],
    'existing.txt was not deleted',
  );

  // The same on /dav, for comparison: 423.
  assertProblem(t, await dav(s, 'PUT', 'P/d0/new.txt', {}, 'new'), 423, 'locked');

  // A new version of a member already there changes no membership.
  t.is((await put(s.url, 'P/d0/existing.txt', Buffer.from('v2'))).status, 200);
  // The holder, with the folder's token, adds and removes members.
  const token = { 'Lock-Token': `<${held.token}>` };
  t.is((await put(s.url, 'P/d0/new.txt', Buffer.from('new'), token)).status, 201);
  t.is((await files(s, 'DELETE', 'P/d0/existing.txt', token)).status, 204);
  t.is((await checkout(s.url, 'P/d0/reserved.txt', token)).status, 200);
});

test('a Depth-0 lock of a folder does not reach below its direct members', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'P/d0/sub/a.txt', Buffer.from('a'));
  t.is((await lock(s, 'P/d0/', { Depth: '0' })).status, 200);
  t.is((await put(s.url, 'P/d0/sub/b.txt', Buffer.from('b'))).status, 201, 'a member of a member is not guarded');
  t.is((await files(s, 'DELETE', 'P/d0/sub/a.txt')).status, 204);
});

test('under a Depth-0 folder lock, /files may not make a missing sub-folder either, and a DELETE of nothing is still 404', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'P/d0/existing.txt', Buffer.from('kept'));
  await put(s.url, 'P/d0/sub/a.txt', Buffer.from('a'));
  const held = await lock(s, 'P/d0/', { Depth: '0' });
  assertProblem(t, await put(s.url, 'P/d0/newsub/new.txt', Buffer.from('new')), 409, 'locked');
  t.deepEqual(await versionsOf(s, 'P/d0/newsub/new.txt'), [], 'no member newsub was made');
  t.is((await put(s.url, 'P/d0/sub/b.txt', Buffer.from('b'))).status, 201, 'an existing sub-folder is no new member');
  assertProblem(t, await files(s, 'DELETE', 'P/d0/missing.txt'), 404, 'not-found');
  t.is((await put(s.url, 'P/d0/newsub/new.txt', Buffer.from('new'), { 'Lock-Token': `<${held.token}>` })).status, 201, 'the holder may');
});

test('a path reserved by a check-out before a Depth-0 folder lock is a member: its holder refreshes, uploads and checks in', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'P/d0/existing.txt', Buffer.from('kept'));
  const reserved = await checkout(s.url, 'P/d0/reserved.txt');
  t.is(reserved.status, 200);
  t.is((await lock(s, 'P/d0/', { Depth: '0' })).status, 200);
  const token = { 'Lock-Token': `<${reserved.token}>` };
  t.is((await checkout(s.url, 'P/d0/reserved.txt', token)).status, 200, 'refresh');
  t.is((await put(s.url, 'P/d0/reserved.txt', Buffer.from('v1'), token)).status, 201, 'upload as the holder');
  t.is((await files(s, 'POST', 'P/d0/reserved.txt?checkin', token)).status, 200, 'check-in');
});
