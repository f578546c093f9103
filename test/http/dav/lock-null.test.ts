/**
 * A LOCK on an unmapped URL reserves the path (a lock-null resource, RFC 2518 §7.4): it is a
 * member of its collection until the holder's PUT or UNLOCK. Clients that lock a new file,
 * write it locally and upload it later (davfs2 does, after a delay) list the directory in
 * between; a path missing from that listing reads to them as deleted on the server, and they
 * drop the file they were about to upload.
 */
import test from 'ava';
import { assertProblem } from '../rest/_support.js';
import { dav, davServer, descendantsOf, files, lock, pathsOf, propfind, propOf } from './_support.js';

test('a path reserved by a LOCK is listed by PROPFIND (Depth 1 and 0) with its lock and no content properties, until UNLOCK', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'docs/')).status, 201);
  const held = await lock(s, 'docs/new.txt');
  t.is(held.status, 201, held.text);

  const listing = await propfind(s, 'docs/', '1', ['resourcetype', 'getcontentlength', 'getetag', 'lockdiscovery']);
  t.is(listing.status, 207);
  t.deepEqual(pathsOf(listing.responses), ['/dav/docs/', '/dav/docs/new.txt'], listing.text);
  const member = listing.responses.find((r) => r.path === '/dav/docs/new.txt');
  t.is(propOf(member, 'resourcetype')?.status, 200);
  t.deepEqual(propOf(member, 'resourcetype')?.el.children, [], 'not a collection');
  t.is(propOf(member, 'getcontentlength')?.status, 404, 'no content yet');
  t.is(propOf(member, 'getetag')?.status, 404, 'no version yet');
  const tokens = descendantsOf(propOf(member, 'lockdiscovery')?.el, 'href').map((href) => href.text);
  t.true(tokens.includes(held.token), `the lock is discovered: ${listing.text}`);

  const itself = await propfind(s, 'docs/new.txt', '0', ['lockdiscovery']);
  t.is(itself.status, 207, itself.text);
  t.deepEqual(pathsOf(itself.responses), ['/dav/docs/new.txt']);
  assertProblem(t, await dav(s, 'GET', 'docs/new.txt'), 404, 'not-found');
  t.deepEqual((await files(s, 'GET', 'docs/')).json, { path: 'docs/', entries: [] }, '/files lists files with content only');

  t.is((await dav(s, 'UNLOCK', 'docs/new.txt', { 'Lock-Token': `<${held.token}>` })).status, 204);
  t.deepEqual(pathsOf((await propfind(s, 'docs/', '1', ['resourcetype'])).responses), ['/dav/docs/'], 'released: not a member any more');
  t.is((await propfind(s, 'docs/new.txt', '0')).status, 404);
});

test("the holder's PUT turns a reserved path into a file: listed with its length and ETag, the lock still held", async (t) => {
  const s = await davServer(t);
  const held = await lock(s, 'report.txt');
  t.is(held.status, 201, held.text);
  t.is((await dav(s, 'PUT', 'report.txt', { If: `(<${held.token}>)` }, 'first draft')).status, 201);
  const listing = await propfind(s, '', '1', ['getcontentlength', 'getetag', 'lockdiscovery']);
  const member = listing.responses.find((r) => r.path === '/dav/report.txt');
  t.is(propOf(member, 'getcontentlength')?.el.text, String('first draft'.length));
  t.is(propOf(member, 'getetag')?.status, 200);
  t.true(descendantsOf(propOf(member, 'lockdiscovery')?.el, 'href').some((href) => href.text === held.token));
});
