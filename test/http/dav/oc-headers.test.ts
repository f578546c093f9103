/**
 * ownCloud's headers on /dav, as rclone's owncloud vendor sends them: `X-OC-Mtime` kept as the
 * file's `getlastmodified` (not `/files`' `Last-Modified`), `OC-Checksum` checked against the
 * body, and SHA-1 and MD5 served as `oc:checksums`, also after COPY.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { dav, davServer, descendantsOf, files, propfind, propOf } from './_support.js';

const OC = 'http://owncloud.org/ns';
const BODY = Buffer.from('the bytes a sync client sends\n');
const SHA1 = createHash('sha1').update(BODY).digest('hex');
const MD5 = createHash('md5').update(BODY).digest('hex');

test('X-OC-Mtime on PUT: answered "accepted", shown as getlastmodified; /files Last-Modified stays the server time', async (t) => {
  const s = await davServer(t);
  const put = await dav(s, 'PUT', 'a.txt', { 'X-OC-Mtime': '1500000000' }, BODY);
  t.is(put.status, 201, put.text);
  t.is(put.headers.get('x-oc-mtime'), 'accepted');
  const found = await propfind(s, 'a.txt', '0', ['getlastmodified']);
  t.is(propOf(found.responses[0], 'getlastmodified')?.el.text, new Date(1_500_000_000_000).toUTCString());
  const got = await files(s, 'GET', 'a.txt');
  t.true(Math.abs(Date.parse(got.headers.get('last-modified') ?? '') - Date.now()) < 60_000, `Last-Modified ${got.headers.get('last-modified')}`);
  const versions = await files(s, 'GET', 'a.txt?versions');
  t.is(versions.json?.versions?.[0]?.mtime, '2017-07-14T02:40:00.000Z');
  // Without the header: no answer header, getlastmodified is when the version was made.
  const plain = await dav(s, 'PUT', 'b.txt', {}, BODY);
  t.is(plain.headers.get('x-oc-mtime'), null);
  const b = await propfind(s, 'b.txt', '0', ['getlastmodified']);
  t.true(Math.abs(Date.parse(propOf(b.responses[0], 'getlastmodified')?.el.text ?? '') - Date.now()) < 60_000);
});

test('the same bytes with a new X-OC-Mtime make no version and move getlastmodified', async (t) => {
  const s = await davServer(t);
  await dav(s, 'PUT', 'a.txt', { 'X-OC-Mtime': '1500000000' }, BODY);
  const again = await dav(s, 'PUT', 'a.txt', { 'X-OC-Mtime': '1600000000' }, BODY);
  t.is(again.headers.get('x-oc-mtime'), 'accepted');
  const versions = await files(s, 'GET', 'a.txt?versions');
  t.is(versions.json?.versions?.length, 1, versions.text);
  const found = await propfind(s, 'a.txt', '0', ['getlastmodified']);
  t.is(propOf(found.responses[0], 'getlastmodified')?.el.text, new Date(1_600_000_000_000).toUTCString());
});

test('a malformed X-OC-Mtime is 400 and nothing is stored', async (t) => {
  const s = await davServer(t);
  const put = await dav(s, 'PUT', 'a.txt', { 'X-OC-Mtime': 'yesterday' }, BODY);
  t.is(put.status, 400, put.text);
  t.is((await dav(s, 'GET', 'a.txt')).status, 404);
});

test('OC-Checksum SHA1 or MD5 that the body does not match is 400 checksum-mismatch, nothing stored; a match is stored', async (t) => {
  const s = await davServer(t);
  for (const sent of [`SHA1:${'0'.repeat(40)}`, `MD5:${'0'.repeat(32)}`, `SHA1:${SHA1} MD5:${'f'.repeat(32)}`]) {
    const put = await dav(s, 'PUT', 'a.txt', { 'OC-Checksum': sent }, BODY);
    t.is(put.status, 400, `${sent}: ${put.text}`);
    t.is(put.json?.code, 'checksum-mismatch', sent);
  }
  t.is((await dav(s, 'GET', 'a.txt')).status, 404);
  t.deepEqual(await s.store.blobs(), []);
  t.deepEqual(await s.store.staged(), []);
  t.is((await dav(s, 'PUT', 'a.txt', { 'OC-Checksum': 'SHA1:nothex' }, BODY)).status, 400);
  t.is((await dav(s, 'PUT', 'a.txt', { 'OC-Checksum': `SHA1:${SHA1.toUpperCase()} ADLER32:084b021f` }, BODY)).status, 201);
  t.is((await dav(s, 'PUT', 'b.txt', { 'OC-Checksum': `MD5:${MD5}` }, BODY)).status, 201);
});

test("oc:checksums: SHA1 and MD5 of a sync client's upload, by name only (not in allprop), kept by COPY; other uploads get them only when asked", async (t) => {
  const s = await davServer(t);
  await dav(s, 'PUT', 'a.txt', { 'X-OC-Mtime': '1700000000' }, BODY);
  // An upload from a client that is no sync client pays for SHA-256 alone; a PROPFIND that asks
  // for the checksums fills them in (test/http/dav/checksum-fill.test.ts).
  await dav(s, 'PUT', 'plain.txt', {}, BODY);
  t.is((await files(s, 'GET', 'plain.txt?versions')).json?.versions?.[0]?.sha1, undefined, 'not computed on upload');
  const plain = propOf((await propfind(s, 'plain.txt', '0', [`{${OC}}checksums`])).responses[0], 'checksums', OC);
  t.is(plain?.status, 200);
  const copied = await dav(s, 'COPY', 'a.txt', { Destination: `${s.url}/dav/c.txt` });
  t.is(copied.status, 201, copied.text);
  for (const name of ['a.txt', 'c.txt']) {
    const found = await propfind(s, name, '0', [`{${OC}}checksums`]);
    const prop = propOf(found.responses[0], 'checksums', OC);
    t.is(prop?.status, 200, found.text);
    t.deepEqual(
      descendantsOf(prop?.el, 'checksum', OC).map((el) => el.text),
      [`SHA1:${SHA1} MD5:${MD5}`],
    );
  }
  const all = await propfind(s, 'a.txt', '0');
  t.is(propOf(all.responses[0], 'checksums', OC), undefined);
  const versions = await files(s, 'GET', 'c.txt?versions');
  t.like(versions.json?.versions?.[0], { sha1: SHA1, md5: MD5 });
  // PROPPATCH cannot set it: a live property.
  const patch = await dav(
    s,
    'PROPPATCH',
    'a.txt',
    { 'Content-Type': 'application/xml' },
    `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:oc="${OC}"><D:set><D:prop><oc:checksums>x</oc:checksums></D:prop></D:set></D:propertyupdate>`,
  );
  t.is(patch.status, 207, patch.text);
  t.regex(patch.text, /403/);
});
