/**
 * The RFC 3253 subset on /dav: every PUT is a version (auto-versioning), DAV:version-name,
 * DAV:checked-in and DAV:checked-out name versions by URLs that GET answers, REPORT
 * DAV:version-tree lists the history, CHECKOUT is the /files check-out, and the methods
 * Node's parser refuses (CHECKIN, UNCHECKOUT, VERSION-CONTROL) are 501 naming the /files forms.
 */
import test from 'ava';
import { put } from '../../helpers/http.js';
import { assertProblem, rawSocket, sha256hex } from '../rest/_support.js';
import { dav, davServer, descendantsOf, lockOf, parseXml, propfind, propOf, readMultistatus, versionsOf, XML } from './_support.js';

const VERSION_PROPS = ['version-name', 'checked-in', 'checked-out'];
const hrefIn = (el: { children: { name: string; text: string }[] } | undefined) => el?.children.find((c) => c.name === 'href')?.text;

test('two /dav PUTs make two versions: DAV:version-name 2, DAV:checked-in names /dav/<path>?version=2', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'my%20docs/')).status, 201);
  t.is((await dav(s, 'PUT', 'my%20docs/a%20b.txt', {}, 'first')).status, 201);
  t.is((await dav(s, 'PUT', 'my%20docs/a%20b.txt', {}, 'second')).status, 204);
  t.deepEqual(
    (await versionsOf(s, 'my%20docs/a%20b.txt')).map((v) => v.sha256),
    [sha256hex('second'), sha256hex('first')],
  );
  const found = await propfind(s, 'my%20docs/a%20b.txt', '0', VERSION_PROPS);
  const self = found.responses[0];
  t.is(propOf(self, 'version-name')?.el.text, '2', found.text);
  t.is(propOf(self, 'version-name')?.status, 200);
  const checkedIn = hrefIn(propOf(self, 'checked-in')?.el);
  t.is(checkedIn, '/dav/my%20docs/a%20b.txt?version=2', found.text);
  t.is(propOf(self, 'checked-out')?.status, 404, 'a checked-in file has no DAV:checked-out');
  const got = await dav(s, 'GET', (checkedIn ?? '').replace(/^\/dav\//, ''));
  t.is(got.status, 200);
  t.is(got.text, 'second');
  t.is(got.headers.get('file-version'), '2');
});

test('after CHECKOUT on /dav: Lock-Token, DAV:checked-out names the version checked out, DAV:checked-in is gone', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'doc.txt', Buffer.from('d1'));
  await put(s.url, 'doc.txt', Buffer.from('d2'));
  const co = await dav(s, 'CHECKOUT', 'doc.txt');
  t.is(co.status, 200, co.text);
  const token = (co.headers.get('lock-token') ?? '').replace(/^<|>$/g, '');
  t.regex(token, /^urn:uuid:[0-9a-f-]{36}$/);
  const live = await lockOf(s, 'doc.txt');
  t.is(live.status, 200, 'the check-out is the /files lock');
  t.is(live.json.baseVersion, 2);

  const found = await propfind(s, 'doc.txt', '0', VERSION_PROPS);
  const self = found.responses[0];
  t.is(hrefIn(propOf(self, 'checked-out')?.el), '/dav/doc.txt?version=2', found.text);
  t.is(propOf(self, 'checked-out')?.status, 200);
  t.is(propOf(self, 'checked-in')?.status, 404, `a checked-out file has no DAV:checked-in: ${found.text}`);

  // Writes need the token; a write with it keeps the file checked out.
  assertProblem(t, await dav(s, 'PUT', 'doc.txt', {}, 'd3'), 423, 'locked');
  t.is((await dav(s, 'PUT', 'doc.txt', { If: `(<${token}>)` }, 'd3')).status, 204);
  const after = await propfind(s, 'doc.txt', '0', VERSION_PROPS);
  t.is(propOf(after.responses[0], 'version-name')?.el.text, '3');
  t.is(hrefIn(propOf(after.responses[0], 'checked-out')?.el), '/dav/doc.txt?version=3', after.text);
  // Check-in through /files releases it.
  t.is((await put(s.url, 'doc.txt', Buffer.from('d4'), { 'Lock-Token': `<${token}>` }, '?checkin')).status, 200);
  const done = await propfind(s, 'doc.txt', '0', VERSION_PROPS);
  t.is(hrefIn(propOf(done.responses[0], 'checked-in')?.el), '/dav/doc.txt?version=4', done.text);
});

test('a second CHECKOUT is 409 with a DAV:error body, and takes nothing from the holder', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'twice.txt', Buffer.from('t'));
  const first = await dav(s, 'CHECKOUT', 'twice.txt');
  t.is(first.status, 200);
  const held = await lockOf(s, 'twice.txt');
  const second = await dav(s, 'CHECKOUT', 'twice.txt');
  t.is(second.status, 409, second.text);
  t.regex(second.headers.get('content-type') ?? '', /xml/);
  t.is(second.headers.get('lock-token'), null);
  const error = parseXml(second.text);
  t.is(`${error.ns} ${error.name}`, 'DAV: error', second.text);
  t.truthy(descendantsOf(error, 'checkout-of-checked-out-version-is-forbidden')[0], second.text);
  t.deepEqual((await lockOf(s, 'twice.txt')).json, held.json, 'the first check-out is untouched');
  // RFC 3253 §4.3: a version-controlled resource being checked out MUST have a DAV:checked-in
  // property; a checked-out one has none, so the precondition that fails is DAV:must-be-checked-in.
  t.truthy(descendantsOf(error, 'must-be-checked-in')[0], `RFC 3253 §4.3 DAV:must-be-checked-in: ${second.text}`);
});

test('CHECKOUT of a missing file is 404, of a collection 409', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'folder/')).status, 201);
  assertProblem(t, await dav(s, 'CHECKOUT', 'nothing.txt'), 404, 'not-found');
  assertProblem(t, await dav(s, 'CHECKOUT', 'folder/'), 409, 'conflict');
  t.is((await lockOf(s, 'nothing.txt')).status, 404, 'no path was reserved');
});

test("REPORT DAV:version-tree: one response per version, each href GETs that version's exact bytes", async (t) => {
  const s = await davServer(t);
  const contents = [Buffer.from('version one'), Buffer.from([0, 1, 2, 255, 254]), Buffer.from('version three\r\n')];
  for (const body of contents) await dav(s, 'PUT', 'tree.bin', {}, body);
  const body = '<?xml version="1.0" encoding="utf-8"?><D:version-tree xmlns:D="DAV:"><D:prop><D:version-name/><D:getetag/><D:getcontentlength/></D:prop></D:version-tree>';
  const report = await dav(s, 'REPORT', 'tree.bin', { ...XML, Depth: '0' }, body);
  t.is(report.status, 207, report.text);
  const responses = readMultistatus(report.text);
  t.is(responses.length, 3, report.text);
  const byName = new Map(responses.map((r) => [propOf(r, 'version-name')?.el.text, r]));
  t.deepEqual([...byName.keys()].sort(), ['1', '2', '3']);
  for (const [i, bytes] of contents.entries()) {
    const r = byName.get(String(i + 1));
    t.is(r?.href, `/dav/tree.bin?version=${i + 1}`);
    t.is(propOf(r, 'getcontentlength')?.el.text, String(bytes.length));
    // Bytes, not text: version 2 is not UTF-8.
    const got = Buffer.from(await (await fetch(`${s.url}${r?.href}`)).arrayBuffer());
    t.deepEqual(got, bytes, `version ${i + 1}`);
    const head = await dav(s, 'HEAD', `tree.bin?version=${i + 1}`);
    t.is(head.headers.get('etag'), propOf(r, 'getetag')?.el.text ?? null, 'the getetag of a version is the ETag its URL answers');
  }
});

test('REPORT DAV:version-tree leaves delete markers out and still lists the versions before them', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'del.txt', Buffer.from('a'));
  await put(s.url, 'del.txt', Buffer.from('b'));
  t.is((await dav(s, 'DELETE', 'del.txt')).status, 204);
  await put(s.url, 'del.txt', Buffer.from('d'));
  const report = await dav(s, 'REPORT', 'del.txt', XML, '<?xml version="1.0"?><D:version-tree xmlns:D="DAV:"/>');
  t.is(report.status, 207, report.text);
  t.deepEqual(
    readMultistatus(report.text)
      .map((r) => r.href)
      .sort(),
    ['/dav/del.txt?version=1', '/dav/del.txt?version=2', '/dav/del.txt?version=4'],
  );
  assertProblem(t, await dav(s, 'REPORT', 'del.txt', XML, '<?xml version="1.0"?><D:expand-property xmlns:D="DAV:"/>'), 403, 'forbidden');
});

for (const [method, hint] of [
  ['CHECKIN', '/files/<path>?checkin'],
  ['UNCHECKOUT', '/files/<path>?uncheckout'],
  ['VERSION-CONTROL', 'version control'],
] as const) {
  test(`${method} on /dav is 501 method-not-supported naming the /files form`, async (t) => {
    const s = await davServer(t);
    await put(s.url, 'v.txt', Buffer.from('v'));
    const reply = await rawSocket(s.url, `${method} /dav/v.txt HTTP/1.1\r\nHost: ${new URL(s.url).host}\r\nContent-Length: 0\r\n\r\n`);
    const [head = '', body = ''] = reply.split('\r\n\r\n');
    t.regex(head, /^HTTP\/1\.1 501 /);
    t.regex(head, /content-type: application\/problem\+json/i);
    const problem = JSON.parse(body);
    t.like(problem, { status: 501, code: 'method-not-supported' });
    t.true(problem.detail.includes(hint), problem.detail);
    t.deepEqual(
      (await versionsOf(s, 'v.txt')).map((v) => v.version),
      [1],
    );
  });
}
