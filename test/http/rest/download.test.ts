import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { assertProblem, sha256hex } from './_support.js';

const BODY = '0123456789abcdef'; // 16 bytes

async function withFile(t: ExecutionContext, contentType = 'text/csv'): Promise<{ s: TestServer; record: any }> {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await put(s.url, 'dl/file.txt', Buffer.from(BODY), { 'Content-Type': contentType });
  t.is(answer.status, 201);
  return { s, record: answer.json };
}

test('GET answers the bytes with ETag, Last-Modified, Content-Length, Accept-Ranges and File-Version', async (t) => {
  const { s, record } = await withFile(t);
  const answer = await request(`${s.url}/files/dl/file.txt`);
  t.is(answer.status, 200);
  t.is(answer.text, BODY);
  t.is(answer.headers.get('etag'), `"${sha256hex(BODY)}"`);
  t.is(answer.headers.get('last-modified'), new Date(record.createdAt).toUTCString());
  t.is(answer.headers.get('content-length'), '16');
  t.is(answer.headers.get('accept-ranges'), 'bytes');
  t.is(answer.headers.get('file-version'), '1');
});

test('GET serves the Content-Type stored with the version, unchanged', async (t) => {
  const { s } = await withFile(t, 'text/csv');
  t.is((await request(`${s.url}/files/dl/file.txt`)).headers.get('content-type'), 'text/csv');
  await put(s.url, 'dl/other.bin', Buffer.from([0, 1]), { 'Content-Type': 'application/vnd.kluis.test' });
  t.is((await request(`${s.url}/files/dl/other.bin`)).headers.get('content-type'), 'application/vnd.kluis.test');
});

test('GET of a file stored without a Content-Type answers application/octet-stream', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'untyped', Buffer.from([9, 8, 7]));
  t.is((await request(`${s.url}/files/untyped`)).headers.get('content-type'), 'application/octet-stream');
});

test('GET ?version=N answers that version with its own validators', async (t) => {
  const { s } = await withFile(t);
  t.is((await put(s.url, 'dl/file.txt', Buffer.from('second'))).status, 200);
  const old = await request(`${s.url}/files/dl/file.txt?version=1`);
  t.is(old.status, 200);
  t.is(old.text, BODY);
  t.is(old.headers.get('etag'), `"${sha256hex(BODY)}"`);
  t.is(old.headers.get('file-version'), '1');
  const current = await request(`${s.url}/files/dl/file.txt`);
  t.is(current.text, 'second');
  t.is(current.headers.get('file-version'), '2');
  t.is((await request(`${s.url}/files/dl/file.txt?version=2`)).text, 'second');
});

test('HEAD answers the headers of GET and no body, for the current version and for ?version=N', async (t) => {
  const { s } = await withFile(t);
  await put(s.url, 'dl/file.txt', Buffer.from('v2'));
  const head = await request(`${s.url}/files/dl/file.txt`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.text, '');
  t.is(head.headers.get('content-length'), '2');
  t.is(head.headers.get('etag'), `"${sha256hex('v2')}"`);
  t.is(head.headers.get('file-version'), '2');
  t.is(head.headers.get('accept-ranges'), 'bytes');
  t.truthy(head.headers.get('last-modified'));
  const old = await request(`${s.url}/files/dl/file.txt?version=1`, { method: 'HEAD' });
  t.is(old.status, 200);
  t.is(old.text, '');
  t.is(old.headers.get('content-length'), '16');
  t.is(old.headers.get('file-version'), '1');
  const missing = await request(`${s.url}/files/dl/none.txt`, { method: 'HEAD' });
  t.is(missing.status, 404);
  t.is(missing.text, '');
});

test('Range: a byte range is 206 with Content-Range', async (t) => {
  const { s } = await withFile(t);
  const answer = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=2-5' } });
  t.is(answer.status, 206);
  t.is(answer.text, '2345');
  t.is(answer.headers.get('content-range'), 'bytes 2-5/16');
  t.is(answer.headers.get('content-length'), '4');
  t.is(answer.headers.get('etag'), `"${sha256hex(BODY)}"`);
  const clipped = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=14-100' } });
  t.is(clipped.status, 206);
  t.is(clipped.text, 'ef');
  t.is(clipped.headers.get('content-range'), 'bytes 14-15/16');
});

test('Range: a suffix range answers the last N bytes, an open range the rest from N', async (t) => {
  const { s } = await withFile(t);
  const suffix = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=-3' } });
  t.is(suffix.status, 206);
  t.is(suffix.text, 'def');
  t.is(suffix.headers.get('content-range'), 'bytes 13-15/16');
  const whole = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=-100' } });
  t.is(whole.status, 206);
  t.is(whole.text, BODY);
  const open = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=10-' } });
  t.is(open.status, 206);
  t.is(open.text, 'abcdef');
  t.is(open.headers.get('content-range'), 'bytes 10-15/16');
  const versioned = await request(`${s.url}/files/dl/file.txt?version=1`, { headers: { Range: 'bytes=0-0' } });
  t.is(versioned.status, 206);
  t.is(versioned.text, '0');
});

test('Range outside the content is 416 with Content-Range: bytes */size', async (t) => {
  const { s } = await withFile(t);
  for (const range of ['bytes=16-', 'bytes=100-200', 'bytes=-0']) {
    const answer = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: range } });
    assertProblem(t, answer, 416, 'range-not-satisfiable');
    t.is(answer.headers.get('content-range'), 'bytes */16', range);
  }
});

test('If-Range: a mismatching validator answers the full content (200), a matching one the range (206)', async (t) => {
  const { s, record } = await withFile(t);
  const stale = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=0-3', 'If-Range': `"${sha256hex('other')}"` } });
  t.is(stale.status, 200);
  t.is(stale.text, BODY);
  t.is(stale.headers.get('content-range'), null);
  const fresh = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=0-3', 'If-Range': `"${sha256hex(BODY)}"` } });
  t.is(fresh.status, 206);
  t.is(fresh.text, '0123');
  const byDate = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=0-3', 'If-Range': new Date(record.createdAt).toUTCString() } });
  t.is(byDate.status, 206);
  const oldDate = await request(`${s.url}/files/dl/file.txt`, { headers: { Range: 'bytes=0-3', 'If-Range': 'Sat, 01 Jan 2000 00:00:00 GMT' } });
  t.is(oldDate.status, 200);
  t.is(oldDate.text, BODY);
});

test('If-None-Match with the current ETag is 304 with no body; another ETag is 200', async (t) => {
  const { s } = await withFile(t);
  const etag = `"${sha256hex(BODY)}"`;
  for (const value of [etag, `"nope", ${etag}`, `W/${etag}`, '*']) {
    const answer = await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-None-Match': value } });
    t.is(answer.status, 304, value);
    t.is(answer.text, '');
    t.is(answer.headers.get('etag'), etag);
  }
  const other = await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-None-Match': `"${sha256hex('x')}"` } });
  t.is(other.status, 200);
  t.is(other.text, BODY);
  // After a new version the old ETag no longer matches.
  await put(s.url, 'dl/file.txt', Buffer.from('new'));
  t.is((await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-None-Match': etag } })).status, 200);
});

test('If-Modified-Since at or after Last-Modified is 304; before it is 200', async (t) => {
  const { s } = await withFile(t);
  const lastModified = (await request(`${s.url}/files/dl/file.txt`)).headers.get('last-modified') as string;
  const same = await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-Modified-Since': lastModified } });
  t.is(same.status, 304);
  t.is(same.text, '');
  const earlier = await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-Modified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' } });
  t.is(earlier.status, 200);
  t.is(earlier.text, BODY);
  // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.1.3).
  const both = await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-Modified-Since': lastModified, 'If-None-Match': '"other"' } });
  t.is(both.status, 200);
});

test('If-Match on GET: a mismatch is 412, a match 200', async (t) => {
  const { s } = await withFile(t);
  assertProblem(t, await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-Match': `"${sha256hex('other')}"` } }), 412, 'precondition-failed');
  const ok = await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-Match': `"${sha256hex(BODY)}"` } });
  t.is(ok.status, 200);
  t.is(ok.text, BODY);
  const since = await request(`${s.url}/files/dl/file.txt`, { headers: { 'If-Unmodified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' } });
  assertProblem(t, since, 412, 'precondition-failed');
});

test('an empty file round-trips: 200, Content-Length 0, its ETag', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const created = await put(s.url, 'empty.txt', Buffer.alloc(0));
  t.is(created.status, 201);
  t.is(created.json.size, 0);
  t.is(created.json.sha256, sha256hex(''));
  const answer = await request(`${s.url}/files/empty.txt`);
  t.is(answer.status, 200);
  t.is(answer.text, '');
  t.is(answer.headers.get('content-length'), '0');
  t.is(answer.headers.get('etag'), `"${sha256hex('')}"`);
  const head = await request(`${s.url}/files/empty.txt`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.headers.get('content-length'), '0');
  assertProblem(t, await request(`${s.url}/files/empty.txt`, { headers: { Range: 'bytes=0-' } }), 416, 'range-not-satisfiable');
});

test('a 3 MiB binary file round-trips byte for byte, whole and by range', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const data = randomBytes(3 * 1024 * 1024);
  const created = await put(s.url, 'bin/big.bin', data, { 'Content-Type': 'application/octet-stream' });
  t.is(created.status, 201);
  t.is(created.json.sha256, sha256hex(data));
  t.is(created.json.size, data.length);
  const response = await fetch(`${s.url}/files/bin/big.bin`);
  t.is(response.status, 200);
  t.is(response.headers.get('content-length'), String(data.length));
  const back = Buffer.from(await response.arrayBuffer());
  t.true(back.equals(data));
  const part = await fetch(`${s.url}/files/bin/big.bin`, { headers: { Range: 'bytes=1048570-2097160' } });
  t.is(part.status, 206);
  t.true(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1048570, 2097161)));
});

test('404 not-found for a missing file, a missing version and a delete marker', async (t) => {
  const { s } = await withFile(t);
  assertProblem(t, await request(`${s.url}/files/dl/missing.txt`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/dl/file.txt?version=9`), 404, 'not-found');
  t.is((await request(`${s.url}/files/dl/file.txt`, { method: 'DELETE' })).status, 204);
  assertProblem(t, await request(`${s.url}/files/dl/file.txt`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/dl/file.txt?version=2`), 404, 'not-found');
  // The history before the marker stays readable.
  t.is((await request(`${s.url}/files/dl/file.txt?version=1`)).text, BODY);
});
