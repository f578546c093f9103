/** The admin API (/admin/stats, /admin/gc, /admin/retention) over real sockets. */
import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { AS, assertProblem, basic, makeUsers } from './_support.js';

/** Keeps only the current version: a retention pass leaves the older ones' blobs unreferenced. */
async function adminServer(t: { teardown(fn: () => Promise<void>): void }, withUsers: boolean): Promise<TestServer> {
  const s = await startServer({ ...(withUsers ? { users: await makeUsers() } : {}), retention: [{ prefix: '', keepLast: 1 }] });
  t.teardown(() => s.close());
  return s;
}

const gc = (url: string, query = '', headers: Record<string, string> = {}) => request(`${url}/admin/gc${query}`, { method: 'POST', headers });
const stats = (url: string, headers: Record<string, string> = {}) => request(`${url}/admin/stats`, { headers });

test('with users, the admin API needs credentials (401) and the admin role (403 forbidden otherwise)', async (t) => {
  const s = await adminServer(t, true);
  for (const answer of [await stats(s.url), await gc(s.url), await stats(s.url, basic('root', 'wrong'))]) {
    assertProblem(t, answer, 401, 'unauthorized');
    t.regex(answer.headers.get('www-authenticate') ?? '', /Basic realm="kluis"/);
  }
  for (const who of [AS.alice, AS.bob, AS.reader]) {
    assertProblem(t, await stats(s.url, who), 403, 'forbidden');
    assertProblem(t, await gc(s.url, '', who), 403, 'forbidden');
  }
  t.is((await stats(s.url, AS.root)).status, 200);
  t.is((await gc(s.url, '?dry-run', AS.root)).status, 200);
});

test('an open service answers anyone (every caller is anonymous, who may already delete any file)', async (t) => {
  const s = await adminServer(t, false);
  t.is((await stats(s.url)).status, 200);
  t.like((await gc(s.url, '?dry-run')).json, { dryRun: true });
});

test('POST /admin/retention then /admin/gc frees the pruned bytes, keeps the files; GET /admin/stats and the metrics show it', async (t) => {
  const s = await adminServer(t, true);
  t.is((await put(s.url, 'docs/a.txt', 'first', AS.alice)).status, 201);
  t.is((await put(s.url, 'docs/a.txt', 'second', AS.alice)).status, 200);
  t.is((await put(s.url, 'docs/b.txt', 'lost a race', AS.alice)).status, 201);
  t.is((await put(s.url, 'docs/b.txt', 'second', AS.alice)).status, 200, 'the same bytes as a.txt: one blob');
  await checkout(s.url, 'docs/b.txt', AS.alice);
  // A resumable upload left open with 4 of its 10 bytes.
  const created = await request(`${s.url}/uploads/`, {
    method: 'POST',
    headers: { ...AS.alice, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': `path ${Buffer.from('docs/c.txt').toString('base64')}` },
  });
  t.is(created.status, 201);
  const patched = await request(new URL(created.headers.get('location') ?? '', s.url).href, {
    method: 'PATCH',
    headers: { ...AS.alice, 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
    body: 'abcd',
  });
  t.is(patched.status, 204);
  const pass = await request(`${s.url}/admin/retention`, { method: 'POST', headers: AS.root });
  t.like(pass.json, { files: 2, versions: 2, bytes: 16 });
  const before = await stats(s.url, AS.root);
  t.is(before.headers.get('content-type'), 'application/json; charset=utf-8');
  t.deepEqual(before.json, {
    files: 2,
    deletedFiles: 0,
    versions: 4,
    prunedVersions: 2,
    liveLocks: 1,
    blobs: 3,
    bytesStored: 22,
    bytesUploaded: 28,
    dedupRatio: 1.273,
    openUploads: 1,
    openUploadBytes: 4,
  });
  const metrics = (await request(`${s.url}/metrics`)).text;
  t.regex(metrics, /^kluis_locks_live 1$/m);
  t.regex(metrics, /^kluis_store\{what="pruned_versions"\} 2$/m);
  t.regex(metrics, /^kluis_store\{what="open_uploads"\} 1$/m);
  t.regex(metrics, /^kluis_store\{what="open_upload_bytes"\} 4$/m);
  // Everything was just committed: the default grace (an hour) keeps it.
  t.like((await gc(s.url, '', AS.root)).json, { blobs: 3, candidates: 0, deleted: 0, graceSeconds: 3600 });
  s.advance(2 * 3600_000);
  const dry = await gc(s.url, '?dry-run&grace=3600', AS.root);
  t.like(dry.json, { scannedRecords: 2, referencedBlobs: 1, blobs: 3, candidates: 2, candidateBytes: 16, deleted: 0, dryRun: true });
  const real = await gc(s.url, '?grace=3600', AS.root);
  t.is(real.status, 200);
  t.like(real.json, { candidates: 2, deleted: 2, freedBytes: 16, dryRun: false, graceSeconds: 3600 });
  t.like((await stats(s.url, AS.root)).json, { blobs: 1, bytesStored: 6, bytesUploaded: 28 });
  assertProblem(t, await request(`${s.url}/files/docs/a.txt?version=1`, { headers: AS.alice }), 410, 'version-pruned');
  t.is((await request(`${s.url}/files/docs/a.txt`, { headers: AS.alice })).text, 'second');
  t.is((await request(`${s.url}/files/docs/b.txt`, { headers: AS.alice })).text, 'second');
});

test('a grace below a minute or not a whole number is 400; other methods are 405 with Allow', async (t) => {
  const s = await adminServer(t, true);
  for (const query of ['?grace=59', '?grace=0', '?grace=-1', '?grace=1.5', '?grace=abc', '?grace=']) {
    assertProblem(t, await gc(s.url, query, AS.root), 400, 'bad-request');
  }
  const getGc = await request(`${s.url}/admin/gc`, { headers: AS.root });
  assertProblem(t, getGc, 405, 'method-not-allowed');
  t.is(getGc.headers.get('allow'), 'POST');
  const postStats = await request(`${s.url}/admin/stats`, { method: 'POST', headers: AS.root });
  assertProblem(t, postStats, 405, 'method-not-allowed');
  t.is(postStats.headers.get('allow'), 'GET, HEAD');
  t.is((await request(`${s.url}/admin/stats`, { method: 'HEAD', headers: AS.root })).status, 200);
});
