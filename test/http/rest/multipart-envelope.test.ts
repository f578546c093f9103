/**
 * A multipart body is held as a whole: its size limit counts the body as sent, however it is
 * framed, and a Content-Digest or Content-MD5 sent with it covers the body as sent (RFC 9530:
 * the digest of the content, which for multipart is the envelope, not one part).
 */
import test from 'ava';
import { checkout, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, assertUnchanged, history, md5b64, multipart, sha256b64, type Part } from './_support.js';

/** The body as a stream of its bytes in two writes: sent chunked, with no Content-Length. */
function chunked(body: Buffer): ReadableStream<Uint8Array> {
  const halves = [body.subarray(0, body.length >> 1), body.subarray(body.length >> 1)];
  return new ReadableStream({
    pull(controller) {
      const next = halves.shift();
      if (next) controller.enqueue(new Uint8Array(next));
      else controller.close();
    },
  });
}

const post = (url: string, form: { body: Buffer; contentType: string }, headers: Record<string, string> = {}, stream = false) =>
  request(url, { method: 'POST', body: stream ? chunked(form.body) : form.body, headers: { 'Content-Type': form.contentType, ...headers } });

test('a chunked multipart body over the limit is 413 too-large even when each part is under it: nothing stored', async (t) => {
  const s = await startServer({ maxUploadBytes: 1000 });
  t.teardown(() => s.close());
  const parts: Part[] = [
    { name: 'a', filename: 'a.bin', data: Buffer.alloc(600, 1) },
    { name: 'b', filename: 'b.bin', data: Buffer.alloc(600, 2) },
  ];
  const before = await history(s, 'in/a.bin');
  assertProblem(t, await post(`${s.url}/files/in/`, multipart(parts), {}, true), 413, 'too-large');
  await assertUnchanged(t, s, 'in/a.bin', before, []);
  t.is((await history(s, 'in/b.bin')).status, 404);

  // One part whose envelope fits is stored, chunked as well.
  const ok = await post(`${s.url}/files/in/`, multipart([{ name: 'a', filename: 'a.bin', data: Buffer.alloc(600, 1) }]), {}, true);
  t.is(ok.status, 201, ok.text);
});

test('Content-Digest and Content-MD5 of the multipart body: a match is stored, a mismatch is 400 checksum-mismatch and nothing is stored', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const form = multipart([
    { name: 'comment', data: 'with a digest' },
    { name: 'f', filename: 'one.txt', data: 'first part' },
    { name: 'g', filename: 'two.txt', data: 'second part' },
  ]);
  const other = `sha-256=:${sha256b64('not this body')}:`;
  for (const stream of [false, true]) {
    const before = await history(s, 'dig/one.txt');
    const blobs = await s.store.blobs();
    assertProblem(t, await post(`${s.url}/files/dig/`, form, { 'Content-Digest': other }, stream), 400, 'checksum-mismatch');
    assertProblem(t, await post(`${s.url}/files/dig/`, form, { 'Content-MD5': md5b64('not this body') }, stream), 400, 'checksum-mismatch');
    // A digest of one part is not the digest of the body.
    assertProblem(t, await post(`${s.url}/files/dig/`, form, { 'Content-Digest': `sha-256=:${sha256b64('first part')}:` }, stream), 400, 'checksum-mismatch');
    await assertUnchanged(t, s, 'dig/one.txt', before, blobs);
    t.is((await history(s, 'dig/two.txt')).status, before.status);
  }
  const good = await post(`${s.url}/files/dig/`, form, { 'Content-Digest': `sha-256=:${sha256b64(form.body)}:`, 'Content-MD5': md5b64(form.body) });
  t.is(good.status, 201, good.text);
  t.deepEqual(
    good.json.map((v: { path: string; comment: string }) => [v.path, v.comment]),
    [
      ['dig/one.txt', 'with a digest'],
      ['dig/two.txt', 'with a digest'],
    ],
  );
});

test('a multipart POST to a file URL and a multipart ?checkin check the body digest too', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const form = multipart([{ name: 'f', filename: 'x.txt', data: 'one file' }]);
  const wrong = { 'Content-Digest': `sha-256=:${sha256b64('one file')}:` }; // the part's, not the body's
  const before = await history(s, 'x.txt');
  assertProblem(t, await post(`${s.url}/files/x.txt`, form, wrong), 400, 'checksum-mismatch');
  await assertUnchanged(t, s, 'x.txt', before, []);
  t.is((await post(`${s.url}/files/x.txt`, form, { 'Content-Digest': `sha-256=:${sha256b64(form.body)}:` })).status, 201);

  const lock = await checkout(s.url, 'x.txt');
  const next = multipart([{ name: 'f', filename: 'x.txt', data: 'checked in' }]);
  const held = await history(s, 'x.txt');
  const blobs = await s.store.blobs();
  assertProblem(t, await post(`${s.url}/files/x.txt?checkin`, next, { 'Lock-Token': lock.token, 'Content-MD5': md5b64('checked in') }, true), 400, 'checksum-mismatch');
  await assertUnchanged(t, s, 'x.txt', held, blobs);
  t.is((await request(`${s.url}/files/x.txt?lock`)).status, 200, 'a refused check-in keeps the lock');
  const done = await post(`${s.url}/files/x.txt?checkin`, next, { 'Lock-Token': lock.token, 'Content-MD5': md5b64(next.body) });
  t.is(done.status, 200, done.text);
  t.is((await request(`${s.url}/files/x.txt`)).text, 'checked in');
});
