/**
 * Hostile request bodies and targets on /dav: entity expansion (billion laughs), external
 * entities (XXE, file and http), oversized and over-deep bodies, a raw `#` in the target, and a
 * PROPPATCH of a live property. Each is refused as a whole and changes nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { put } from '../../helpers/http.js';
import type { TestServer } from '../../helpers/server.js';
import { assertProblem, raw, rawSocket } from '../rest/_support.js';
import { dav, davServer, descendantsOf, lockinfo, lockOf, propfind, propOf, readMultistatus, setProps, XML } from './_support.js';

const NS = 'urn:kluis-test:props';
/** Must match MAX_XML_BYTES (src/http/dav/propfind.ts): 256 KiB. */
const MAX_XML_BYTES = 256 * 1024;

const LAUGHS = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`)].join('\n ');

/** A DOCTYPE and a body that uses its entity `&e;` where the property value or owner goes. */
const bodies = (doctype: string) => ({
  PROPFIND: `<?xml version="1.0"?>\n<!DOCTYPE D:propfind [\n ${doctype}\n]>\n<D:propfind xmlns:D="DAV:"><D:prop><x:p xmlns:x="${NS}">&e;</x:p></D:prop></D:propfind>`,
  PROPPATCH: `<?xml version="1.0"?>\n<!DOCTYPE D:propertyupdate [\n ${doctype}\n]>\n<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="${NS}">&e;</x:p></D:prop></D:set></D:propertyupdate>`,
  LOCK: `<?xml version="1.0"?>\n<!DOCTYPE D:lockinfo [\n ${doctype}\n]>\n<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>&e;</D:owner></D:lockinfo>`,
});

/** A file with a dead property {NS}p = "before", and no lock. */
async function target(s: TestServer): Promise<void> {
  await put(s.url, 'doc.txt', Buffer.from('content'));
  const patched = await dav(s, 'PROPPATCH', 'doc.txt', XML, setProps({ [`{${NS}}p`]: 'before' }));
  if (patched.status !== 207) throw new Error(`PROPPATCH: ${patched.status} ${patched.text}`);
}

/** Nothing changed: the property is still "before", no lock, still one version. */
async function assertUntouched(t: ExecutionContext, s: TestServer): Promise<void> {
  const found = await propfind(s, 'doc.txt', '0', [`{${NS}}p`, 'lockdiscovery']);
  t.is(propOf(found.responses[0], 'p', NS)?.el.text, 'before', `the property is unchanged: ${found.text}`);
  t.is(descendantsOf(propOf(found.responses[0], 'lockdiscovery')?.el, 'activelock').length, 0, 'no lock was taken');
  t.is((await lockOf(s, 'doc.txt')).status, 404);
  t.is((await dav(s, 'GET', 'doc.txt')).text, 'content');
}

const ATTACKS = {
  'billion laughs': `${LAUGHS}\n <!ENTITY e "&lol9;">`,
  'XXE (file:///etc/passwd)': '<!ENTITY e SYSTEM "file:///etc/passwd">',
  'an internal entity': '<!ENTITY e "innocent looking">',
};

for (const [name, doctype] of Object.entries(ATTACKS)) {
  test(`${name} in PROPFIND, PROPPATCH and LOCK bodies: 400 bad-request, nothing changed, nothing leaked`, async (t) => {
    const s = await davServer(t);
    await target(s);
    for (const [method, body] of Object.entries(bodies(doctype))) {
      const started = Date.now();
      const answer = await dav(s, method, 'doc.txt', { ...XML, Depth: '0' }, body);
      assertProblem(t, answer, 400, 'bad-request');
      t.false(/root:|lollollol|innocent/.test(answer.text), `${method}: the answer shows no expansion: ${answer.text}`);
      t.true(Date.now() - started < 5000, `${method} was refused at once`);
    }
    await assertUntouched(t, s);
  });
}

test('an external entity or DTD over http is never fetched', async (t) => {
  const hits: string[] = [];
  const bait = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end('<!ENTITY e "fetched">');
  });
  await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => bait.close(() => resolve())));
  const url = `http://127.0.0.1:${(bait.address() as AddressInfo).port}`;
  const s = await davServer(t);
  await target(s);
  for (const doctype of [`<!ENTITY e SYSTEM "${url}/entity">`, `<!ENTITY % p SYSTEM "${url}/dtd"> %p;`]) {
    for (const [method, body] of Object.entries(bodies(doctype))) {
      assertProblem(t, await dav(s, method, 'doc.txt', { ...XML, Depth: '0' }, body), 400, 'bad-request');
    }
  }
  const external = `<?xml version="1.0"?>\n<!DOCTYPE D:propfind SYSTEM "${url}/external.dtd">\n<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`;
  assertProblem(t, await dav(s, 'PROPFIND', 'doc.txt', { ...XML, Depth: '0' }, external), 400, 'bad-request');
  t.deepEqual(hits, [], 'the server made no request');
  await assertUntouched(t, s);
});

test('a PROPPATCH body over the XML limit is 413 too-large (declared or streamed) and stores nothing', async (t) => {
  const s = await davServer(t);
  await target(s);
  const big = setProps({ [`{${NS}}p`]: 'x'.repeat(MAX_XML_BYTES) });
  t.true(Buffer.byteLength(big) > MAX_XML_BYTES);
  assertProblem(t, await dav(s, 'PROPPATCH', 'doc.txt', XML, big), 413, 'too-large');
  // Chunked, with no Content-Length: refused once the limit is passed.
  const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: new URL(s.url).port, method: 'PROPPATCH', path: '/dav/doc.txt', headers: { ...XML, 'Transfer-Encoding': 'chunked' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', () => {}); // the server may close before every chunk is written
    for (let i = 0; i < 40; i++) req.write(big.slice(i * 8192, (i + 1) * 8192) || ' ');
    req.end();
  });
  t.is(streamed.status, 413, streamed.text);
  t.is(JSON.parse(streamed.text).code, 'too-large');
  // Just under the limit is taken.
  const fits = setProps({ [`{${NS}}p`]: 'y'.repeat(1000) });
  t.is((await dav(s, 'PROPPATCH', 'doc.txt', XML, fits)).status, 207);
  await dav(s, 'PROPPATCH', 'doc.txt', XML, setProps({ [`{${NS}}p`]: 'before' }));
  await assertUntouched(t, s);
});

test('an over-limit XML body announced with Expect: 100-continue is refused with 413 before 100 Continue, so it is never sent', async (t) => {
  const s = await davServer(t);
  await target(s);
  const head = (method: string) =>
    `${method} /dav/doc.txt HTTP/1.1\r\nHost: ${new URL(s.url).host}\r\nContent-Type: application/xml\r\nContent-Length: ${MAX_XML_BYTES + 1}\r\nExpect: 100-continue\r\n\r\n`;
  for (const method of ['PROPPATCH', 'PROPFIND', 'LOCK']) {
    const reply = await rawSocket(s.url, head(method));
    t.regex(reply, /^HTTP\/1\.1 413 /, `${method}: the first answer is the 413, not 100 Continue: ${JSON.stringify(reply.slice(0, 80))}`);
    t.false(reply.includes('100 Continue'), method);
  }
  await assertUntouched(t, s);
});

test('an over-deep XML body is 400 and a body that is not XML is 400', async (t) => {
  const s = await davServer(t);
  await target(s);
  const deep = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="${NS}">${'<x:n>'.repeat(200)}${'</x:n>'.repeat(200)}</x:p></D:prop></D:set></D:propertyupdate>`;
  assertProblem(t, await dav(s, 'PROPPATCH', 'doc.txt', XML, deep), 400, 'bad-request');
  assertProblem(t, await dav(s, 'PROPPATCH', 'doc.txt', XML, '<D:propertyupdate xmlns:D="DAV:"><D:set>'), 400, 'bad-request');
  assertProblem(t, await dav(s, 'LOCK', 'doc.txt', XML, lockinfo().replace('<D:write/>', '<D:write>')), 400, 'bad-request');
  await assertUntouched(t, s);
});

test('a raw # in the request target is 400 and names nothing', async (t) => {
  const s = await davServer(t);
  await target(s);
  for (const [method, body] of [
    ['PUT', 'x'],
    ['PROPFIND', undefined],
    ['MKCOL', undefined],
    ['DELETE', undefined],
  ] as const) {
    const answer = await raw(s.url, method, '/dav/doc.txt#fragment', {}, body);
    assertProblem(t, answer, 400, 'invalid-path');
  }
  const answer = await raw(s.url, 'PUT', '/dav/new#.txt', {}, 'x');
  t.is(answer.status, 400);
  t.is((await propfind(s, 'new', '0')).status, 404, 'nothing was written under the part before #');
  await assertUntouched(t, s);
});

test('PROPPATCH of a live property (DAV:getetag): 207 with 403 for it and 424 for the others; nothing stored', async (t) => {
  const s = await davServer(t);
  await target(s);
  const body =
    '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>' +
    `<x:p xmlns:x="${NS}">after</x:p><D:getetag>"forged"</D:getetag><x:q xmlns:x="${NS}">new</x:q>` +
    '</D:prop></D:set></D:propertyupdate>';
  const answer = await dav(s, 'PROPPATCH', 'doc.txt', XML, body);
  t.is(answer.status, 207, answer.text);
  const [self, ...others] = readMultistatus(answer.text);
  t.is(others.length, 0);
  t.is(propOf(self, 'getetag')?.status, 403, answer.text);
  t.is(propOf(self, 'p', NS)?.status, 424);
  t.is(propOf(self, 'q', NS)?.status, 424);
  const found = await propfind(s, 'doc.txt', '0', [`{${NS}}q`, 'getetag']);
  t.is(propOf(found.responses[0], 'q', NS)?.status, 404, 'q was not stored');
  t.not(propOf(found.responses[0], 'getetag')?.el.text, '"forged"');
  await assertUntouched(t, s);
  // Removing a live property is refused the same way.
  const remove = '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><D:getcontentlength/></D:prop></D:remove></D:propertyupdate>';
  const removed = await dav(s, 'PROPPATCH', 'doc.txt', XML, remove);
  t.is(removed.status, 207);
  t.is(propOf(readMultistatus(removed.text)[0], 'getcontentlength')?.status, 403, removed.text);
});
