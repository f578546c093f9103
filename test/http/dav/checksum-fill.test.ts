/**
 * `oc:checksums` of versions stored without SHA-1 and MD5 (a plain /files upload, tus, or before
 * kluis kept them): filled in when a PROPFIND first asks for them, small files while it waits,
 * big ones in the background, and then kept on the version.
 */
import { createHash, randomBytes } from 'node:crypto';
import test from 'ava';
import { dav, davServer, descendantsOf, files, propfind, propOf, XML } from './_support.js';

const OC = 'http://owncloud.org/ns';
const sums = (bytes: Buffer) => `SHA1:${createHash('sha1').update(bytes).digest('hex')} MD5:${createHash('md5').update(bytes).digest('hex')}`;

test('asked for oc:checksums, a small file gets them at once and keeps them; a big one gets them in the background', async (t) => {
  const s = await davServer(t);
  const small = Buffer.from('uploaded by curl, hashed with SHA-256 alone');
  const big = randomBytes(17 * 2 ** 20);
  t.is((await files(s, 'PUT', 'in/small.txt', {}, small)).status, 201);
  t.is((await files(s, 'PUT', 'in/big.bin', {}, big)).status, 201);
  t.is((await files(s, 'PUT', 'in/other.txt', {}, 'not asked for')).status, 201);
  // Checked out and pinned: a fill is metadata, and leaves both as they are.
  const held = await files(s, 'CHECKOUT', 'in/small.txt', { Timeout: 'Second-600' });
  t.is(held.status, 200, held.text);
  t.is((await files(s, 'POST', 'in/small.txt?pin=1')).status, 200);
  t.is((await files(s, 'GET', 'in/small.txt?versions')).json.versions[0].sha1, undefined);

  // Asked for other properties (allprop), nothing is read.
  t.is((await propfind(s, 'in/', '1')).status, 207);
  t.is((await files(s, 'GET', 'in/other.txt?versions')).json.versions[0].sha1, undefined);

  const listing = await propfind(s, 'in/', '1', [`{${OC}}checksums`]);
  t.is(listing.status, 207, listing.text);
  const checksumOf = (path: string, answer = listing) => {
    const found = propOf(
      answer.responses.find((r) => r.path === path),
      'checksums',
      OC,
    );
    return found?.status === 200 ? descendantsOf(found.el, 'checksum', OC)[0]?.text : undefined;
  };
  t.is(checksumOf('/dav/in/small.txt'), sums(small));
  t.is(checksumOf('/dav/in/big.bin'), undefined, 'too big to read while the client waits: 404 in its propstat');
  const kept = (await files(s, 'GET', 'in/small.txt?versions')).json.versions[0];
  t.is(`SHA1:${kept.sha1} MD5:${kept.md5}`, sums(small), 'kept on the version');
  t.true(kept.pinned, 'still pinned');
  t.is((await files(s, 'GET', 'in/small.txt?lock')).json?.expiresAt, held.json?.expiresAt, 'still checked out');

  // Named beside allprop (DAV:include), they are filled in too.
  t.is((await files(s, 'PUT', 'in/third.txt', {}, 'asked for beside allprop')).status, 201);
  t.is((await files(s, 'GET', 'in/third.txt?versions')).json.versions[0].sha1, undefined);
  const include = await dav(
    s,
    'PROPFIND',
    'in/third.txt',
    { ...XML, Depth: '0' },
    `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/><D:include><oc:checksums xmlns:oc="${OC}"/></D:include></D:propfind>`,
  );
  t.is(include.status, 207, include.text);
  t.is((await files(s, 'GET', 'in/third.txt?versions')).json.versions[0].sha1, createHash('sha1').update('asked for beside allprop').digest('hex'));

  let answer: string | undefined;
  for (let i = 0; i < 100 && !answer; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = checksumOf('/dav/in/big.bin', await propfind(s, 'in/big.bin', '0', [`{${OC}}checksums`]));
  }
  t.is(answer, sums(big), 'filled in the background, and found by the next PROPFIND');
  t.is((await files(s, 'GET', 'in/big.bin?versions')).json.versions.length, 1, 'metadata, not a new version');
});
