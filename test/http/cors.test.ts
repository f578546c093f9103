/**
 * CORS on /files and /uploads (docs/api.md#cors), over real sockets: preflights from a listed
 * origin and from another, the headers of actual answers (refusals included), and nothing at
 * all when no origin is configured. The same in a real browser: cors-browser.test.ts.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { createApp, createServer } from '../../src/app.js';
import type { KluisRecords } from '../../src/domain/types.js';
import { Drain } from '../../src/http/drain.js';
import { CORS_METHODS, CORS_REQUEST_HEADERS, EXPOSED_HEADERS, PREFLIGHT_MAX_AGE } from '../../src/http/cors.js';
import type { Answer } from '../helpers/http.js';
import { openFsStorage } from '../../src/storage/fs/index.js';
import { ROOT, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { ALICE_TOKEN, AS, assertProblem, bearer, makeUsers, raw } from './rest/_support.js';
import { meta, TUS } from './tus/_tus.js';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';
const alice = bearer(ALICE_TOKEN);

async function serve(t: ExecutionContext, corsOrigins?: string[], withUsers = true): Promise<TestServer> {
  const s = await startServer({ ...(corsOrigins ? { corsOrigins } : {}), ...(withUsers ? { users: await makeUsers() } : {}) });
  t.teardown(() => s.close());
  return s;
}

const preflight = (s: TestServer, url: string, origin: string, method: string, headers: string) =>
  raw(s.url, 'OPTIONS', url, { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers });

const list = (answer: Answer, name: string) => (answer.headers.get(name) ?? '').split(',').map((s) => s.trim().toLowerCase());
const corsHeaders = (answer: Answer) => [...answer.headers.keys()].filter((name) => name.startsWith('access-control-'));

/** An answer a script on APP may read in full: its origin allowed, every header kluis set exposed. */
function assertReadable(t: ExecutionContext, answer: Answer, why: string): void {
  t.is(answer.headers.get('access-control-allow-origin'), APP, why);
  t.true(list(answer, 'vary').includes('origin'), why);
  t.is(answer.headers.get('access-control-allow-credentials'), null, why);
  const exposed = list(answer, 'access-control-expose-headers');
  // What a script reads without exposure (Fetch: CORS-safelisted response headers), and what no script needs.
  const unexposed = ['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma', 'connection', 'keep-alive', 'date', 'transfer-encoding', 'vary'];
  // The browser's own business: how it may show or embed the answer.
  unexposed.push('x-content-type-options', 'content-security-policy', 'x-frame-options', 'referrer-policy', 'cross-origin-resource-policy');
  for (const name of answer.headers.keys()) {
    if (!name.startsWith('access-control-') && !unexposed.includes(name)) t.true(exposed.includes(name), `${why}: ${name} is not exposed`);
  }
}

test('a preflight from a listed origin is answered 204 without credentials, naming every method and header', async (t) => {
  const s = await serve(t, [APP, 'http://localhost:3000']);
  for (const [url, method, headers] of [
    ['/files/docs/a.txt', 'PUT', 'authorization, content-type, if-match, lock-token'],
    ['/files/docs/a.txt', 'CHECKOUT', 'authorization, timeout'],
    ['/uploads/', 'POST', 'authorization, tus-resumable, upload-length, upload-metadata'],
    ['/uploads/0123456789abcdef', 'PATCH', 'authorization, tus-resumable, upload-offset, content-type, upload-checksum'],
  ] as const) {
    const answer = await preflight(s, url, APP, method, headers);
    t.is(answer.status, 204, url);
    t.is(answer.text, '');
    t.is(answer.headers.get('access-control-allow-origin'), APP);
    t.deepEqual(
      list(answer, 'access-control-allow-methods'),
      CORS_METHODS.map((m) => m.toLowerCase()),
    );
    for (const m of ['get', 'head', 'put', 'post', 'delete', 'patch', 'checkout', 'unlock', 'options']) t.true(list(answer, 'access-control-allow-methods').includes(m), m);
    for (const h of headers.split(', ')) t.true(list(answer, 'access-control-allow-headers').includes(h), h);
    t.is(answer.headers.get('access-control-max-age'), String(PREFLIGHT_MAX_AGE));
    t.deepEqual(list(answer, 'vary'), ['origin', 'access-control-request-method']);
    t.is(answer.headers.get('access-control-allow-credentials'), null);
    t.is(answer.headers.get('access-control-expose-headers'), null);
  }
  t.is((await preflight(s, '/files/a.txt', 'http://localhost:3000', 'PUT', 'authorization')).headers.get('access-control-allow-origin'), 'http://localhost:3000');
});

test('a preflight from any other origin gets the answer of a plain OPTIONS, without a single CORS header', async (t) => {
  const s = await serve(t, [APP]);
  for (const origin of [OTHER, 'null', 'https://app.example.com:8443', 'http://app.example.com', `${APP}.evil.net`]) {
    const files = await preflight(s, '/files/a.txt', origin, 'PUT', 'authorization');
    assertProblem(t, files, 401, 'unauthorized'); // as without CORS: OPTIONS on /files needs credentials
    t.deepEqual(corsHeaders(files), [], origin);
    t.deepEqual(list(files, 'vary'), ['origin', 'access-control-request-method']);
    const uploads = await preflight(s, '/uploads/', origin, 'POST', 'tus-resumable');
    t.is(uploads.status, 204);
    t.is(uploads.headers.get('tus-version'), '1.0.0'); // tus discovery, as ever
    t.deepEqual(corsHeaders(uploads), [], origin);
  }
});

test('without an Origin, OPTIONS is tus discovery on /uploads and the methods on /files, as before', async (t) => {
  const s = await serve(t, [APP]);
  const discovery = await raw(s.url, 'OPTIONS', '/uploads/');
  t.is(discovery.status, 204);
  t.like(Object.fromEntries(discovery.headers), { 'tus-version': '1.0.0', 'tus-resumable': '1.0.0', allow: 'OPTIONS, POST, HEAD, PATCH, DELETE, GET' });
  t.deepEqual(corsHeaders(discovery), []);
  const files = await raw(s.url, 'OPTIONS', '/files/a.txt', AS.alice);
  t.is(files.status, 204);
  t.truthy(files.headers.get('allow'));
  t.deepEqual(corsHeaders(files), []);
  // From a listed origin, an OPTIONS that is no preflight is the request it is, with CORS headers.
  const plain = await raw(s.url, 'OPTIONS', '/uploads/', { Origin: APP });
  t.is(plain.status, 204);
  t.is(plain.headers.get('tus-version'), '1.0.0');
  assertReadable(t, plain, 'OPTIONS /uploads/ from APP');
});

test('every answer to a listed origin carries Allow-Origin and the exposed headers: writes, reads, locks, uploads, 401 and 409 problems', async (t) => {
  const s = await serve(t, [APP]);
  const from = { Origin: APP };
  const put = await raw(s.url, 'PUT', '/files/docs/a.txt', { ...from, ...alice, 'Content-Type': 'text/plain' }, 'one');
  t.is(put.status, 201);
  assertReadable(t, put, 'PUT');
  t.true(list(put, 'access-control-expose-headers').includes('etag'));
  t.true(list(put, 'access-control-expose-headers').includes('file-version'));

  assertReadable(t, await raw(s.url, 'GET', '/files/docs/a.txt', { ...from, ...alice, Range: 'bytes=0-1' }), 'GET with Range');
  assertReadable(t, await raw(s.url, 'GET', '/files/docs/a.txt?versions&limit=1', { ...from, ...alice }), 'GET ?versions');
  const checkout = await raw(s.url, 'CHECKOUT', '/files/docs/a.txt', { ...from, ...alice, Timeout: 'Second-60' });
  t.is(checkout.status, 200);
  assertReadable(t, checkout, 'CHECKOUT');

  const unauthorized = await raw(s.url, 'PUT', '/files/docs/a.txt', from, 'two');
  assertProblem(t, unauthorized, 401, 'unauthorized');
  assertReadable(t, unauthorized, '401');
  t.truthy(unauthorized.headers.get('www-authenticate'));

  const locked = await raw(s.url, 'PUT', '/files/docs/a.txt', { ...from, ...AS.bob }, 'two');
  assertProblem(t, locked, 409, 'locked');
  assertReadable(t, locked, '409');

  const created = await raw(s.url, 'POST', '/uploads/', { ...from, ...alice, ...TUS, 'Upload-Length': '3', 'Upload-Metadata': meta({ path: 'up/b.txt' }) });
  t.is(created.status, 201);
  assertReadable(t, created, 'tus creation');
  const location = created.headers.get('location') ?? '';
  const patched = await raw(s.url, 'PATCH', location, { ...from, ...alice, ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, 'abc');
  t.is(patched.status, 204);
  assertReadable(t, patched, 'tus PATCH that commits');
  t.is(patched.headers.get('file-version'), '1');
  assertReadable(t, await raw(s.url, 'HEAD', location, { ...from, ...alice, ...TUS }), 'tus HEAD');

  const draft = await raw(s.url, 'POST', '/files/up/c.txt', { ...from, ...alice, 'Upload-Draft-Interop-Version': '6', 'Upload-Complete': '?0' }, 'ab');
  t.is(draft.status, 202);
  assertReadable(t, draft, 'draft creation');
  const draftHead = await raw(s.url, 'HEAD', draft.headers.get('location') ?? '', { ...from, ...alice, 'Upload-Draft-Interop-Version': '6' });
  assertReadable(t, draftHead, 'draft HEAD');
  t.is(draftHead.headers.get('upload-offset'), '2');
});

test('while the server drains, its 503 refusals carry the CORS headers, and preflights are still answered', async (t) => {
  const dir = await tempDir('kluis-cors-drain-');
  const storage = await openFsStorage<KluisRecords>(dir);
  const drain = new Drain();
  const app = createApp({ config: { maxUploadBytes: 1024, lockDefaultSeconds: 60, lockMaxSeconds: 600, corsOrigins: [APP] }, storage, logger: pino({ level: 'silent' }), drain });
  const server = createServer(app, 60);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  drain.start();
  const refused = await raw(url, 'PUT', '/files/a.txt', { Origin: APP }, 'x');
  assertProblem(t, refused, 503, 'shutting-down');
  assertReadable(t, refused, '503 while draining');
  t.is(refused.headers.get('retry-after'), '5');
  const pre = await raw(url, 'OPTIONS', '/uploads/', { Origin: APP, 'Access-Control-Request-Method': 'POST' });
  t.is(pre.status, 204);
  t.is(pre.headers.get('access-control-allow-origin'), APP);
});

test('a request from another origin gets no CORS header, only Vary: Origin; /dav and /admin never any', async (t) => {
  const s = await serve(t, [APP]);
  // Another site's write is refused whatever authenticates it (src/http/cross-site.ts), and the
  // refusal carries no CORS header either.
  const put = await raw(s.url, 'PUT', '/files/a.txt', { Origin: OTHER, ...alice }, 'x');
  assertProblem(t, put, 403, 'csrf');
  t.deepEqual(corsHeaders(put), []);
  t.deepEqual(list(put, 'vary'), ['origin']);
  for (const [method, url] of [
    ['PROPFIND', '/dav/'],
    ['OPTIONS', '/dav/'],
    ['GET', '/admin/stats'],
    ['GET', '/healthz'],
  ] as const) {
    const answer = await raw(s.url, method, url, { Origin: APP, 'Access-Control-Request-Method': 'GET', ...AS.root, Depth: '0' });
    t.deepEqual(corsHeaders(answer), [], `${method} ${url}`);
    t.false(list(answer, 'vary').includes('origin'), `${method} ${url}`);
  }
});

test('with no origin configured there are no CORS headers at all, not even on resumable uploads', async (t) => {
  const s = await serve(t, undefined, false);
  const answers = [
    await preflight(s, '/files/a.txt', APP, 'PUT', 'content-type'),
    await raw(s.url, 'PUT', '/files/a.txt', { Origin: APP }, 'x'),
    await raw(s.url, 'OPTIONS', '/uploads/', { Origin: APP }),
    await raw(s.url, 'POST', '/uploads/', { Origin: APP, ...TUS, 'Upload-Length': '1', 'Upload-Metadata': meta({ path: 'b.txt' }) }),
    await raw(s.url, 'POST', '/files/c.txt', { Origin: APP, 'Upload-Draft-Interop-Version': '6', 'Upload-Complete': '?0' }, 'a'),
  ];
  // Writes from a page of another origin are refused (403 csrf): none is listed.
  t.deepEqual(
    answers.map((a) => a.status),
    [204, 403, 204, 403, 403],
  );
  for (const answer of answers) {
    t.deepEqual(corsHeaders(answer), []);
    t.false(list(answer, 'vary').includes('origin'));
  }
});

test('every request header the /files and /uploads handlers read may be sent cross-origin', async (t) => {
  // Set by the browser itself, never by a script (Fetch: forbidden request headers).
  const browsers = new Set(['content-length', 'transfer-encoding']);
  const files: string[] = ['src/http/body.ts', 'src/http/preconditions.ts'];
  for (const dir of ['src/http/rest', 'src/http/tus']) for (const name of await readdir(path.join(ROOT, dir))) files.push(`${dir}/${name}`);
  const read = new Set<string>();
  for (const file of files) {
    const text = await readFile(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?:ctx\.get|header|sizeHeader)\((?:ctx, )?'([A-Za-z][A-Za-z0-9-]*)'/g)) read.add((m[1] as string).toLowerCase());
  }
  t.true(read.has('upload-offset') && read.has('if-match') && read.has('lock-token'), 'the scan finds the headers');
  const allowed = CORS_REQUEST_HEADERS.map((h) => h.toLowerCase());
  t.deepEqual(
    [...read].filter((h) => !browsers.has(h) && !allowed.includes(h)),
    [],
  );
  t.true(allowed.includes('authorization'));
  t.is(new Set(EXPOSED_HEADERS.map((h) => h.toLowerCase())).size, EXPOSED_HEADERS.length);
});
