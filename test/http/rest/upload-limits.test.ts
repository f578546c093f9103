import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, assertUnchanged, history, md5b64, postForm, sha256b64 } from './_support.js';

test('413 too-large by Content-Length: nothing stored, for a new and an existing file', async (t) => {
  const s = await startServer({ maxUploadBytes: 16 });
  t.teardown(() => s.close());
  const before = await history(s, 'big.bin');
  const tooBig = await put(s.url, 'big.bin', Buffer.alloc(17, 1));
  assertProblem(t, tooBig, 413, 'too-large');
  await assertUnchanged(t, s, 'big.bin', before, []);

  t.is((await put(s.url, 'big.bin', Buffer.alloc(16, 2))).status, 201, 'exactly the limit is accepted');
  const existing = await history(s, 'big.bin');
  const blobs = await s.store.blobs();
  assertProblem(t, await put(s.url, 'big.bin', Buffer.alloc(100, 3)), 413, 'too-large');
  await assertUnchanged(t, s, 'big.bin', existing, blobs);

  const form = await postForm(s.url, 'form/', [{ name: 'f', filename: 'f.bin', data: Buffer.alloc(64, 4) }]);
  assertProblem(t, form, 413, 'too-large');
  await assertUnchanged(t, s, 'form/f.bin', before, blobs);
});

test('413 too-large for a streamed (chunked) body over the limit: nothing stored', async (t) => {
  const s = await startServer({ maxUploadBytes: 1000 });
  t.teardown(() => s.close());
  const before = await history(s, 'stream.bin');
  const chunks = [Buffer.alloc(600, 1), Buffer.alloc(600, 2)];
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(new Uint8Array(next));
      else controller.close();
    },
  });
  const answer = await request(`${s.url}/files/stream.bin`, { method: 'PUT', body });
  assertProblem(t, answer, 413, 'too-large');
  await assertUnchanged(t, s, 'stream.bin', before, []);

  // Under the limit, the same streamed upload is stored.
  const small = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(Buffer.alloc(500, 7)));
      controller.close();
    },
  });
  const ok = await request(`${s.url}/files/stream.bin`, { method: 'PUT', body: small });
  t.is(ok.status, 201);
  t.is(ok.json.size, 500);
});

test('Content-Digest sha-256: a match is stored, a mismatch is 400 checksum-mismatch and nothing is stored', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const good = await put(s.url, 'd.txt', Buffer.from('digest me'), { 'Content-Digest': `sha-256=:${sha256b64('digest me')}:` });
  t.is(good.status, 201);
  const before = await history(s, 'd.txt');
  const blobs = await s.store.blobs();
  const bad = await put(s.url, 'd.txt', Buffer.from('other bytes'), { 'Content-Digest': `sha-256=:${sha256b64('digest me')}:` });
  assertProblem(t, bad, 400, 'checksum-mismatch');
  await assertUnchanged(t, s, 'd.txt', before, blobs);
  const fresh = await history(s, 'new.txt');
  assertProblem(t, await put(s.url, 'new.txt', Buffer.from('x'), { 'Content-Digest': `sha-256=:${sha256b64('y')}:` }), 400, 'checksum-mismatch');
  await assertUnchanged(t, s, 'new.txt', fresh, blobs);
  // Other algorithms in the dictionary are ignored; a sha-256 member among them is checked.
  const multi = await put(s.url, 'd.txt', Buffer.from('v2'), { 'Content-Digest': `sha-512=:AAAA:, sha-256=:${sha256b64('v2')}:` });
  t.is(multi.status, 200);
});

test('Content-MD5: a match is stored, a mismatch is 400 checksum-mismatch and nothing is stored', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const good = await put(s.url, 'm.txt', Buffer.from('md5 me'), { 'Content-MD5': md5b64('md5 me') });
  t.is(good.status, 201);
  const before = await history(s, 'm.txt');
  const blobs = await s.store.blobs();
  const bad = await put(s.url, 'm.txt', Buffer.from('changed'), { 'Content-MD5': md5b64('md5 me') });
  assertProblem(t, bad, 400, 'checksum-mismatch');
  await assertUnchanged(t, s, 'm.txt', before, blobs);
});

test('a malformed Content-Digest or Content-MD5 is 400 bad-request', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const before = await history(s, 'mal.txt');
  assertProblem(t, await put(s.url, 'mal.txt', Buffer.from('x'), { 'Content-Digest': 'sha-256=nocolons' }), 400, 'bad-request');
  assertProblem(t, await put(s.url, 'mal.txt', Buffer.from('x'), { 'Content-MD5': 'short' }), 400, 'bad-request');
  await assertUnchanged(t, s, 'mal.txt', before, []);
});
