import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { testBackend } from '../../helpers/backend.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, postForm, raw, rawSocket } from './_support.js';

const INVALID_PATHS: [string, string][] = [
  ['raw ..', '/files/a/../b.txt'],
  ['leading ..', '/files/../etc/passwd'],
  ['encoded ..', '/files/%2e%2e/x.txt'],
  ['upper-case encoded ..', '/files/a/%2E%2E/x.txt'],
  ['half encoded ..', '/files/.%2e/x.txt'],
  ['doubly encoded ..', '/files/%252e%252e/x.txt'],
  ['raw .', '/files/./x.txt'],
  ['encoded .', '/files/a/%2e/x.txt'],
  ['NUL', '/files/a%00b.txt'],
  ['control character', '/files/a%01b.txt'],
  ['encoded backslash', '/files/a%5Cb.txt'],
  ['raw backslash', '/files/a\\b.txt'],
  ['empty segment', '/files/a//b.txt'],
  ['encoded slash', '/files/a%2Fb.txt'],
  ['malformed escape', '/files/a%zzb.txt'],
  ['raw # (would name another file once dropped)', '/files/doc.txt#x'],
  ['over-long segment', `/files/${'s'.repeat(251)}.txt`],
  ['over-long path', `/files/${Array.from({ length: 10 }, () => 'd'.repeat(95)).join('/')}/x.txt`],
];

for (const [what, rawPath] of INVALID_PATHS) {
  test(`invalid path (${what}) is 400 invalid-path for every method, and nothing is stored`, async (t) => {
    const s = await startServer();
    t.teardown(() => s.close());
    assertProblem(t, await raw(s.url, 'GET', rawPath), 400, 'invalid-path');
    assertProblem(t, await raw(s.url, 'PUT', rawPath, { 'Content-Type': 'text/plain' }, 'payload'), 400, 'invalid-path');
    assertProblem(t, await raw(s.url, 'DELETE', rawPath), 400, 'invalid-path');
    assertProblem(t, await raw(s.url, 'CHECKOUT', rawPath), 400, 'invalid-path');
    assertProblem(t, await raw(s.url, 'POST', `${rawPath}?restore=1`), 400, 'invalid-path');
    t.deepEqual(await s.store.records(), [], 'no record was created');
    t.deepEqual(await s.store.blobs(), []);
    t.deepEqual(await s.store.staged(), []);
    t.deepEqual((await request(`${s.url}/files/`)).json.entries, []);
  });
}

test('the longest allowed segment and path are accepted', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await put(s.url, 's'.repeat(250), Buffer.from('x'))).status, 201);
  const longPath = `${Array.from({ length: 8 }, () => 'd'.repeat(99)).join('/')}/${'f'.repeat(99)}`; // 899 bytes
  t.is((await put(s.url, longPath, Buffer.from('y'))).status, 201);
});

test('bad query parameters are 400 bad-request', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'q.txt', Buffer.from('q'));
  for (const query of ['?version=abc', '?version=0', '?version=-1', '?version=1.5', '?version=1&version=2']) {
    assertProblem(t, await request(`${s.url}/files/q.txt${query}`), 400, 'bad-request');
  }
  assertProblem(t, await put(s.url, 'q.txt', Buffer.from('q2'), {}, '?base=x'), 400, 'bad-request');
  assertProblem(t, await put(s.url, 'q.txt', Buffer.from('q2'), {}, '?comment=a&comment=b'), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/files/q.txt?restore=x`, { method: 'POST' }), 400, 'bad-request');
  t.is((await request(`${s.url}/files/q.txt?versions`)).json.versions.length, 1);
});

test('a method /files does not support is 405 method-not-allowed with Allow', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'm.txt', Buffer.from('m'));
  for (const method of ['PATCH', 'PROPFIND', 'LOCK', 'MKCOL', 'MOVE']) {
    const answer = await raw(s.url, method, '/files/m.txt');
    assertProblem(t, answer, 405, 'method-not-allowed');
    t.regex(answer.headers.get('allow') ?? '', /\bGET\b.*\bPUT\b.*\bCHECKOUT\b/);
  }
  t.is((await request(`${s.url}/files/m.txt`)).text, 'm');
});

test('OPTIONS names the allowed methods', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await request(`${s.url}/files/x.txt`, { method: 'OPTIONS' });
  t.is(answer.status, 204);
  for (const m of ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'CHECKOUT', 'UNLOCK']) t.true((answer.headers.get('allow') ?? '').split(/,\s*/).includes(m), m);
});

test('an unknown route is a 404 problem', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  assertProblem(t, await request(`${s.url}/nope`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/filesx/a.txt`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/ui/nope.js`), 404, 'not-found');
  // `/` is the web UI's page (test/ui/); other methods on it fall through to the 404.
  assertProblem(t, await request(`${s.url}/`, { method: 'PROPFIND' }), 404, 'not-found');
});

for (const [method, hint] of [
  ['CHECKIN', '?checkin'],
  ['UNCHECKOUT', '?uncheckout'],
  ['VERSION-CONTROL', 'version control'],
] as const) {
  test(`${method} as a method is 501 method-not-supported naming the form to use`, async (t) => {
    const s = await startServer();
    t.teardown(() => s.close());
    const reply = await rawSocket(s.url, `${method} /files/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    const [head = '', body = ''] = reply.split('\r\n\r\n');
    t.regex(head, /^HTTP\/1\.1 501 /);
    t.regex(head, /content-type: application\/problem\+json/i);
    const problem = JSON.parse(body);
    t.like(problem, { status: 501, code: 'method-not-supported' });
    t.is(typeof problem.title, 'string');
    t.true(problem.detail.includes(hint), problem.detail);
  });
}

test('an unparsable request is a 400 bad-request problem', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const reply = await rawSocket(s.url, 'GET /files/a.txt HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
  const [head = '', body = ''] = reply.split('\r\n\r\n');
  t.regex(head, /^HTTP\/1\.1 400 /);
  t.regex(head, /content-type: application\/problem\+json/i);
  t.like(JSON.parse(body), { status: 400, code: 'bad-request' });
});

test('every refusal in the catalogue answers application/problem+json with status, title, detail and code', async (t) => {
  const s = await startServer({ maxUploadBytes: 64 });
  t.teardown(() => s.close());
  await put(s.url, 'cat.txt', Buffer.from('c1'));
  await put(s.url, 'cat.txt', Buffer.from('c2'));
  await checkout(s.url, 'held.txt');
  const cases: [Promise<Parameters<typeof assertProblem>[1]>, number, string][] = [
    [raw(s.url, 'GET', '/files/%2e%2e/x'), 400, 'invalid-path'],
    [request(`${s.url}/files/cat.txt?version=x`), 400, 'bad-request'],
    [put(s.url, 'cat.txt', Buffer.from('zz'), { 'Content-MD5': 'AAAAAAAAAAAAAAAAAAAAAA==' }), 400, 'checksum-mismatch'],
    [request(`${s.url}/files/cat.txt?uncheckout&force`, { method: 'POST' }), 403, 'forbidden'],
    [request(`${s.url}/files/none.txt`), 404, 'not-found'],
    [raw(s.url, 'PATCH', '/files/cat.txt'), 405, 'method-not-allowed'],
    [put(s.url, 'held.txt', Buffer.from('x')), 409, 'locked'],
    [put(s.url, 'cat.txt', Buffer.from('x'), {}, '?base=1'), 409, 'modified'],
    [request(`${s.url}/files/cat.txt?uncheckout`, { method: 'POST' }), 409, 'not-checked-out'],
    [put(s.url, 'cat.txt', Buffer.from('x'), { 'If-Match': '"0"' }), 412, 'precondition-failed'],
    [put(s.url, 'cat.txt', Buffer.alloc(65)), 413, 'too-large'],
    [request(`${s.url}/files/cat.txt`, { headers: { Range: 'bytes=99-' } }), 416, 'range-not-satisfiable'],
  ];
  for (const [answer, status, code] of cases) assertProblem(t, await answer, status, code);
});

test('/healthz and /readyz answer 200', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const health = await request(`${s.url}/healthz`);
  t.is(health.status, 200);
  t.deepEqual(health.json, { status: 'ok' });
  const ready = await request(`${s.url}/readyz`);
  t.is(ready.status, 200);
  t.deepEqual(ready.json, { status: 'ready' });
});

/** Removes this server's staging session directory: storage can no longer take a write. */
async function breakStaging(dataDir: string): Promise<void> {
  const tmp = path.join(dataDir, 'tmp');
  const sessions = (await readdir(tmp)).filter((e) => !e.endsWith('.lock'));
  if (sessions.length !== 1) throw new Error(`expected one staging session, found ${sessions.join(', ')}`);
  await rm(path.join(tmp, sessions[0] as string), { recursive: true, force: true });
}

/** Local disk only: on S3 the staging area is the bucket, and test/processes/s3-outage.test.ts takes the store away. */
const onDisk = testBackend() === 'fs' ? test : test.skip;

onDisk('/readyz is 503 storage-unavailable with Retry-After when the staging area is gone (the process stays alive)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await breakStaging(s.dataDir);
  const ready = await request(`${s.url}/readyz`);
  assertProblem(t, ready, 503, 'storage-unavailable');
  t.regex(ready.headers.get('retry-after') ?? '', /^\d+$/);
  t.is((await request(`${s.url}/healthz`)).status, 200);
});

onDisk('a write that storage cannot take is 503 storage-unavailable with Retry-After, and nothing is acknowledged', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'keep.txt', Buffer.from('k1'));
  await breakStaging(s.dataDir);
  const answer = await put(s.url, 'keep.txt', Buffer.from('k2'));
  assertProblem(t, answer, 503, 'storage-unavailable');
  t.regex(answer.headers.get('retry-after') ?? '', /^\d+$/);
  const current = await request(`${s.url}/files/keep.txt`);
  t.is(current.text, 'k1');
  t.is((await request(`${s.url}/files/keep.txt?versions`)).json.versions.length, 1);
});

onDisk('a multipart upload that storage cannot take is 503 storage-unavailable, not a malformed body', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await breakStaging(s.dataDir);
  for (const target of ['dir/', 'one.txt']) {
    const answer = await postForm(s.url, target, [{ name: 'f', filename: 'one.txt', data: 'bytes' }]);
    assertProblem(t, answer, 503, 'storage-unavailable');
    t.regex(answer.headers.get('retry-after') ?? '', /^\d+$/);
  }
});

test('GET /metrics answers Prometheus text including conflicts by code', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'mx.txt', Buffer.from('1'));
  await checkout(s.url, 'mx.txt');
  t.is((await put(s.url, 'mx.txt', Buffer.from('2'))).status, 409);
  const metrics = await request(`${s.url}/metrics`);
  t.is(metrics.status, 200);
  t.regex(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  t.regex(metrics.text, /^[a-z_]+\{[^}]*code="locked"[^}]*\} [1-9]/m);
});
