import test from 'ava';
import { checkout, request } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
test.before(async () => {
  server = await startServer();
});
test.after.always(() => server?.close());

const V6 = { 'Upload-Draft-Interop-Version': '6' };
const V5 = { 'Upload-Draft-Interop-Version': '5' };

test("draft-05: created at the file's URL with its first bytes, resumed by HEAD and a PATCH, ending in a version", async (t) => {
  const made = await request(`${server.url}/files/draft/a.txt`, { method: 'POST', headers: { ...V6, 'Upload-Complete': '?0', 'Upload-Length': '11', 'Content-Type': 'text/plain' }, body: 'hello ' });
  t.is(made.status, 202);
  t.is(made.headers.get('upload-offset'), '6');
  t.is(made.headers.get('upload-complete'), '?0');
  t.is(made.headers.get('upload-draft-interop-version'), '6');
  const url = `${server.url}${made.headers.get('location')}`;
  t.regex(url, /\/uploads\/[A-Za-z0-9_-]{40}$/);
  const head = await request(url, { method: 'HEAD', headers: V6 });
  t.is(head.status, 204);
  t.is(head.headers.get('upload-offset'), '6');
  t.is(head.headers.get('upload-complete'), '?0');
  t.is(head.headers.get('cache-control'), 'no-store');
  const wrongType = await request(url, { method: 'PATCH', headers: { ...V6, 'Upload-Offset': '6', 'Upload-Complete': '?1', 'Content-Type': 'text/plain' }, body: 'world' });
  t.is(wrongType.status, 415, 'draft-05 appends are application/partial-upload');
  const last = await request(url, { method: 'PATCH', headers: { ...V6, 'Upload-Offset': '6', 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload' }, body: 'world' });
  t.is(last.status, 201);
  t.is(last.headers.get('upload-complete'), '?1');
  t.is(last.json.version, 1);
  const file = await request(`${server.url}/files/draft/a.txt`);
  t.is(file.text, 'hello world');
  t.regex(file.headers.get('content-type') ?? '', /^text\/plain/);
});

test('draft-03: the length comes from Upload-Complete: ?1 when none was given; a wrong offset is 409', async (t) => {
  const made = await request(`${server.url}/files/draft/b.bin`, { method: 'POST', headers: { ...V5, 'Upload-Complete': '?0' } });
  t.is(made.status, 202);
  const url = `${server.url}${made.headers.get('location')}`;
  t.is((await request(url, { method: 'PATCH', headers: { ...V5, 'Upload-Offset': '0', 'Upload-Complete': '?0' }, body: 'abc' })).status, 204);
  const wrong = await request(url, { method: 'PATCH', headers: { ...V5, 'Upload-Offset': '1', 'Upload-Complete': '?1' }, body: 'def' });
  t.is(wrong.status, 409);
  t.is(wrong.json.code, 'upload-offset');
  const last = await request(url, { method: 'PATCH', headers: { ...V5, 'Upload-Offset': '3', 'Upload-Complete': '?1' }, body: 'def' });
  t.is(last.status, 201);
  t.is((await request(`${server.url}/files/draft/b.bin`)).text, 'abcdef');
});

test('one request with Upload-Complete: ?1 is a whole upload; a file checked out by someone else refuses the creation', async (t) => {
  const whole = await request(`${server.url}/files/draft/c.txt`, { method: 'POST', headers: { ...V6, 'Upload-Complete': '?1', 'Content-Type': 'text/plain' }, body: 'all at once' });
  t.is(whole.status, 201);
  t.is(whole.json.version, 1);
  t.is((await request(`${server.url}/files/draft/c.txt`)).text, 'all at once');
  await checkout(server.url, 'draft/c.txt');
  const refused = await request(`${server.url}/files/draft/c.txt`, { method: 'POST', headers: { ...V6, 'Upload-Complete': '?0' } });
  t.is(refused.status, 409);
  t.is(refused.json.code, 'locked');
});

test('an empty file in one request is a version at once', async (t) => {
  const made = await request(`${server.url}/files/draft/empty.txt`, { method: 'POST', headers: { ...V6, 'Upload-Complete': '?1', 'Upload-Length': '0' } });
  t.is(made.status, 201);
  t.is(made.headers.get('file-version'), '1');
  t.is((await request(`${server.url}/files/draft/empty.txt`)).status, 200);
});

test('an interop version kluis does not speak is 400; DELETE cancels an upload', async (t) => {
  const unknown = await request(`${server.url}/files/draft/d.txt`, { method: 'POST', headers: { 'Upload-Draft-Interop-Version': '3', 'Upload-Complete': '?0' } });
  t.is(unknown.status, 400);
  const made = await request(`${server.url}/files/draft/d.txt`, { method: 'POST', headers: { ...V6, 'Upload-Complete': '?0' } });
  const url = `${server.url}${made.headers.get('location')}`;
  t.is((await request(url, { method: 'DELETE', headers: V6 })).status, 204);
  t.is((await request(url, { method: 'HEAD', headers: V6 })).status, 404);
});
