import { createHash, randomBytes } from 'node:crypto';
import test from 'ava';
import { request } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { create as createUpload, meta, patch, TUS } from './_tus.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: TestServer;
test.before(async () => {
  server = await startServer();
});
test.after.always(() => server?.close());

async function create(path: string, length: number): Promise<string> {
  const answer = await createUpload(server.url, path, length);
  if (answer.status !== 201) throw new Error(`create: ${answer.status} ${answer.text}`);
  return answer.url;
}

test('OPTIONS /uploads/ says which tus version and extensions kluis speaks', async (t) => {
  const answer = await request(`${server.url}/uploads/`, { method: 'OPTIONS' });
  t.is(answer.status, 204);
  t.is(answer.headers.get('tus-version'), '1.0.0');
  t.deepEqual(answer.headers.get('tus-extension')?.split(','), ['creation', 'creation-with-upload', 'creation-defer-length', 'termination', 'expiration', 'checksum']);
  t.is(answer.headers.get('tus-max-size'), String(1 << 30));
  t.is(answer.headers.get('tus-checksum-algorithm'), 'sha256,sha1,md5');
});

test('an upload in three PATCHes becomes one version of the file named in its metadata, with its SHA-256', async (t) => {
  const body = randomBytes(300_000);
  const url = await create('tus/three.bin', body.length);
  t.regex(url, /\/uploads\/[A-Za-z0-9_-]{40}$/);
  let head = await request(url, { method: 'HEAD', headers: TUS });
  t.is(head.status, 200);
  t.is(head.headers.get('upload-offset'), '0');
  t.is(head.headers.get('upload-length'), String(body.length));
  t.is(head.headers.get('cache-control'), 'no-store');
  for (const [from, to] of [
    [0, 100_000],
    [100_000, 200_000],
  ] as const) {
    const answer = await patch(url, from, body.subarray(from, to));
    t.is(answer.status, 204);
    t.is(answer.headers.get('upload-offset'), String(to));
  }
  const versions = await request(`${server.url}/files/tus/three.bin?versions`);
  t.is(versions.status, 404, 'no version before the last byte');
  const last = await patch(url, 200_000, body.subarray(200_000));
  t.is(last.status, 204);
  t.is(last.headers.get('upload-offset'), String(body.length));
  t.is(last.headers.get('file-version'), '1');
  const file = await fetch(`${server.url}/files/tus/three.bin`);
  t.is(sha(Buffer.from(await file.arrayBuffer())), sha(body));
  head = await request(url, { method: 'HEAD', headers: TUS });
  t.is(head.headers.get('upload-offset'), String(body.length), 'a committed upload still answers HEAD: a client that lost the last answer sees it done');
  const state = await request(url);
  t.like(state.json, { phase: 'committed', version: 1, path: 'tus/three.bin' });
});

test('a PATCH at the wrong offset is 409 upload-offset and changes nothing', async (t) => {
  const url = await create('tus/offset.bin', 10);
  const answer = await patch(url, 3, Buffer.from('abc'));
  t.is(answer.status, 409);
  t.is(answer.json.code, 'upload-offset');
  t.is(answer.json.offset, 0);
  t.is((await request(url, { method: 'HEAD', headers: TUS })).headers.get('upload-offset'), '0');
});

test('a checksum that does not match is 460 and its bytes are not kept', async (t) => {
  const url = await create('tus/checksum.bin', 6);
  const bad = await patch(url, 0, Buffer.from('abc'), { 'Upload-Checksum': `sha1 ${createHash('sha1').update('xyz').digest('base64')}` });
  t.is(bad.status, 460);
  t.is(bad.json.code, 'upload-checksum');
  t.is((await request(url, { method: 'HEAD', headers: TUS })).headers.get('upload-offset'), '0');
  const good = await patch(url, 0, Buffer.from('abc'), { 'Upload-Checksum': `md5 ${createHash('md5').update('abc').digest('base64')}` });
  t.is(good.status, 204);
  t.is(good.headers.get('upload-offset'), '3');
  const unknown = await patch(url, 3, Buffer.from('def'), { 'Upload-Checksum': 'crc32 AAAA' });
  t.is(unknown.status, 400);
});

test("metadata: HEAD gives it back; `name` (as Uppy sends it) puts the file at the top level; `comment` is the version's", async (t) => {
  const made = await request(`${server.url}/uploads/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '2', 'Upload-Metadata': meta({ name: 'dir/uppy.txt', comment: 'from Uppy' }) } });
  t.is(made.status, 201);
  const url = `${server.url}${made.headers.get('location')}`;
  const head = await request(url, { method: 'HEAD', headers: TUS });
  t.is(head.headers.get('upload-metadata'), meta({ name: 'dir/uppy.txt', comment: 'from Uppy' }));
  t.is((await patch(url, 0, Buffer.from('hi'))).status, 204);
  const history = await request(`${server.url}/files/uppy.txt?versions`);
  t.is(history.json.versions[0].comment, 'from Uppy');
});

test('a deferred length is given once, never below what arrived', async (t) => {
  const made = await request(`${server.url}/uploads/`, { method: 'POST', headers: { ...TUS, 'Upload-Defer-Length': '1', 'Upload-Metadata': meta({ path: 'tus/later.txt' }) } });
  const url = `${server.url}${made.headers.get('location')}`;
  t.is((await patch(url, 0, Buffer.from('abcd'))).status, 204);
  t.is((await patch(url, 4, Buffer.from('e'), { 'Upload-Length': '3' })).status, 400);
  t.is((await patch(url, 4, Buffer.from('e'), { 'Upload-Length': '9' })).status, 204);
  t.is((await patch(url, 5, Buffer.from('f'), { 'Upload-Length': '8' })).status, 400, 'it cannot change');
  t.is((await request(url, { method: 'HEAD', headers: TUS })).headers.get('upload-length'), '9');
});

test('an empty upload is a version as soon as it is made', async (t) => {
  const made = await request(`${server.url}/uploads/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '0', 'Upload-Metadata': meta({ path: 'tus/empty.txt' }) } });
  t.is(made.status, 201);
  t.is(made.headers.get('file-version'), '1');
  t.is((await request(`${server.url}/files/tus/empty.txt`)).text, '');
});

test('a metadata path is taken as written: no percent-decoding, no folder', async (t) => {
  const made = await request(`${server.url}/uploads/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1', 'Upload-Metadata': meta({ path: 'tus/100%.txt' }) } });
  t.is(made.status, 201);
  t.is((await patch(`${server.url}${made.headers.get('location')}`, 0, Buffer.from('x'))).status, 204);
  t.is((await request(`${server.url}/files/tus/100%25.txt`)).text, 'x');
  const folder = await request(`${server.url}/uploads/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1', 'Upload-Metadata': meta({ path: 'tus/dir/' }) } });
  t.is(folder.status, 400);
  const outside = await request(`${server.url}/uploads/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1', 'Upload-Metadata': meta({ path: '../x.txt' }) } });
  t.is(outside.status, 400);
});

test('a request without Tus-Resumable 1.0.0 is 412 with Tus-Version', async (t) => {
  const answer = await request(`${server.url}/uploads/`, { method: 'POST', headers: { 'Upload-Length': '1', 'Upload-Metadata': meta({ path: 'x' }) } });
  t.is(answer.status, 412);
  t.is(answer.headers.get('tus-version'), '1.0.0');
});

test('creation with upload; a deferred length given by a later PATCH', async (t) => {
  const first = await request(`${server.url}/uploads/`, {
    method: 'POST',
    headers: { ...TUS, 'Upload-Defer-Length': '1', 'Upload-Metadata': meta({ filename: 'deferred.txt', filetype: 'text/plain' }), 'Content-Type': 'application/offset+octet-stream' },
    body: 'hello ',
  });
  t.is(first.status, 201);
  t.is(first.headers.get('upload-offset'), '6');
  t.is(first.headers.get('upload-defer-length'), '1');
  const url = `${server.url}${first.headers.get('location')}`;
  const last = await patch(url, 6, Buffer.from('world'), { 'Upload-Length': '11' });
  t.is(last.status, 204);
  t.is(last.headers.get('file-version'), '1');
  const file = await request(`${server.url}/files/deferred.txt`);
  t.is(file.text, 'hello world');
  t.regex(file.headers.get('content-type') ?? '', /^text\/plain/);
});

test('DELETE terminates an upload: its URL is 404 after, and no version is made', async (t) => {
  const url = await create('tus/terminated.bin', 10);
  t.is((await patch(url, 0, Buffer.from('abcde'))).status, 204);
  t.is((await request(url, { method: 'DELETE', headers: TUS })).status, 204);
  t.is((await request(url, { method: 'HEAD', headers: TUS })).status, 404);
  t.is((await patch(url, 5, Buffer.from('fghij'))).status, 404);
  t.is((await request(`${server.url}/files/tus/terminated.bin`)).status, 404);
});

test('Upload-Length over KLUIS_MAX_UPLOAD_BYTES is refused at creation (413)', async (t) => {
  const answer = await request(`${server.url}/uploads/`, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(2 ** 31), 'Upload-Metadata': meta({ path: 'big.bin' }) } });
  t.is(answer.status, 413);
  t.is(answer.json.code, 'too-large');
});

test('a PATCH whose bytes go past Upload-Length is 413, and keeps none of the chunk that crossed it', async (t) => {
  const url = await create('tus/past.bin', 4);
  const answer = await patch(url, 0, Buffer.from('abcdef'));
  t.is(answer.status, 413);
  t.is((await request(url, { method: 'HEAD', headers: TUS })).headers.get('upload-offset'), '0');
});
