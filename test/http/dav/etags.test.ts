/**
 * ETags on /dav are the version's SHA-256 in base64url (src/http/dav/etag.ts), the same value
 * /files writes in hex: GET, HEAD, PUT answers and DAV:getetag agree, and If-Match,
 * If-None-Match and the WebDAV If header take the /dav form.
 */
import test from 'ava';
import { put } from '../../helpers/http.js';
import { assertProblem, sha256hex } from '../rest/_support.js';
import { dav, davServer, files, propfind, propOf, versionsOf } from './_support.js';

/** The hex SHA-256 inside a /dav ETag (`"<43 base64url characters>"`). */
function hexOf(etag: string | null | undefined): string {
  const m = /^"([A-Za-z0-9_-]{43})"$/.exec(etag ?? '');
  if (!m?.[1]) throw new Error(`not a /dav ETag: ${etag}`);
  return Buffer.from(m[1], 'base64url').toString('hex');
}

test('GET, HEAD and DAV:getetag on /dav give one ETag: the sha256 /files reports, in base64url', async (t) => {
  const s = await davServer(t);
  const stored = await put(s.url, 'e.txt', Buffer.from('etag me'));
  t.is(stored.json.sha256, sha256hex('etag me'));
  const got = await dav(s, 'GET', 'e.txt');
  const etag = got.headers.get('etag');
  t.regex(etag ?? '', /^"[A-Za-z0-9_-]{43}"$/, 'strong, 43 base64url characters');
  t.is(hexOf(etag), stored.json.sha256);
  t.is((await files(s, 'GET', 'e.txt')).headers.get('etag'), `"${stored.json.sha256}"`, '/files keeps hex');
  t.is((await dav(s, 'HEAD', 'e.txt')).headers.get('etag'), etag);
  const found = await propfind(s, 'e.txt', '0', ['getetag']);
  t.is(propOf(found.responses[0], 'getetag')?.el.text ?? null, etag, found.text);
  const listed = await propfind(s, '', '1', ['getetag']);
  t.is(
    propOf(
      listed.responses.find((r) => r.path === '/dav/e.txt'),
      'getetag',
    )?.el.text ?? null,
    etag,
    'the same ETag in a Depth 1 listing',
  );
});

test("a /dav PUT answers the new version's ETag in the /dav form", async (t) => {
  const s = await davServer(t);
  const created = await dav(s, 'PUT', 'p.txt', {}, 'one');
  t.is(created.status, 201);
  t.is(hexOf(created.headers.get('etag')), sha256hex('one'));
  const updated = await dav(s, 'PUT', 'p.txt', {}, 'two');
  t.is(updated.status, 204);
  t.is(updated.headers.get('etag'), (await dav(s, 'GET', 'p.txt')).headers.get('etag'));
  t.is(hexOf(updated.headers.get('etag')), (await versionsOf(s, 'p.txt'))[0]?.sha256 ?? '');
});

test('If-Match with the /dav ETag: a /dav PUT succeeds; with a stale or unknown one it is 412 and stores nothing', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'm.txt', Buffer.from('m1'));
  const first = (await dav(s, 'GET', 'm.txt')).headers.get('etag') ?? '';
  const ok = await dav(s, 'PUT', 'm.txt', { 'If-Match': first }, 'm2');
  t.is(ok.status, 204, ok.text);
  const stale = await dav(s, 'PUT', 'm.txt', { 'If-Match': first }, 'm3');
  assertProblem(t, stale, 412, 'precondition-failed');
  const unknown = await dav(s, 'PUT', 'm.txt', { 'If-Match': `"${Buffer.alloc(32, 7).toString('base64url')}"` }, 'm3');
  assertProblem(t, unknown, 412, 'precondition-failed');
  t.deepEqual(
    (await versionsOf(s, 'm.txt')).map((v) => v.sha256),
    [sha256hex('m2'), sha256hex('m1')],
  );
  const current = (await dav(s, 'GET', 'm.txt')).headers.get('etag') ?? '';
  t.is((await dav(s, 'PUT', 'm.txt', { 'If-Match': `"nope", ${current}` }, 'm3')).status, 204, 'any ETag of a list may match');
  assertProblem(t, await dav(s, 'PUT', 'm.txt', { 'If-None-Match': '*' }, 'm4'), 412, 'precondition-failed');
});

test('If-None-Match with the /dav ETag on a /dav GET is 304 (strong and weak forms), with the ETag', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'n.txt', Buffer.from('n1'));
  const etag = (await dav(s, 'GET', 'n.txt')).headers.get('etag') ?? '';
  const notModified = await dav(s, 'GET', 'n.txt', { 'If-None-Match': etag });
  t.is(notModified.status, 304);
  t.is(notModified.text, '');
  t.is(notModified.headers.get('etag'), etag, 'a 304 carries the ETag in the /dav form');
  // RFC 9110 §13.1.2: If-None-Match compares weakly, so W/"…" matches too.
  t.is((await dav(s, 'GET', 'n.txt', { 'If-None-Match': `W/${etag}` })).status, 304);
  t.is((await dav(s, 'GET', 'n.txt', { 'If-None-Match': `"other", ${etag}` })).status, 304);
  await put(s.url, 'n.txt', Buffer.from('n2'));
  const changed = await dav(s, 'GET', 'n.txt', { 'If-None-Match': etag });
  t.is(changed.status, 200);
  t.is(changed.text, 'n2');
  t.not(changed.headers.get('etag'), etag);
});

test("the ETag of an old version URL is that version's, and the WebDAV If header takes /dav ETags", async (t) => {
  const s = await davServer(t);
  await put(s.url, 'i.txt', Buffer.from('i1'));
  const v1 = (await dav(s, 'GET', 'i.txt')).headers.get('etag') ?? '';
  await put(s.url, 'i.txt', Buffer.from('i2'));
  const old = await dav(s, 'GET', 'i.txt?version=1');
  t.is(old.text, 'i1');
  t.is(old.headers.get('etag'), v1);
  const v2 = (await dav(s, 'GET', 'i.txt')).headers.get('etag') ?? '';
  assertProblem(t, await dav(s, 'PUT', 'i.txt', { If: `([${v1}])` }, 'i3'), 412, 'precondition-failed');
  t.is((await dav(s, 'PUT', 'i.txt', { If: `([${v2}])` }, 'i3')).status, 204);
  t.is((await versionsOf(s, 'i.txt')).length, 3);
});
