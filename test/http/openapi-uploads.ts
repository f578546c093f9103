/** The resumable-upload part of the OpenAPI conformance scenario (test/http/openapi.test.ts; not a test file). */
import { createHash } from 'node:crypto';
import type { Answer } from '../helpers/http.js';
import { AS } from './rest/_support.js';
import { meta } from './tus/_tus.js';

type Go = (method: string, url: string, headers?: Record<string, string>, body?: string | Buffer) => Promise<Answer>;

const TUS = { 'Tus-Resumable': '1.0.0' };
const OCTETS = { 'Content-Type': 'application/offset+octet-stream' };
const V6 = { 'Upload-Draft-Interop-Version': '6' };
const PARTIAL = { 'Content-Type': 'application/partial-upload' };
/** A well-formed id no upload has. */
const NONE = '/uploads/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Every answer of /uploads/, /uploads/{id}, the draft's creation on /files/{path} and /admin/uploads on a server with users. */
export async function exerciseUploads(go: Go): Promise<void> {
  const { alice, bob, reader, root } = AS;
  const make = async (path: string, length: number, headers: Record<string, string> = alice, query = '') => {
    const answer = await go('POST', `/uploads/${query}`, { ...headers, ...TUS, 'Upload-Length': String(length), 'Upload-Metadata': meta({ path }) });
    return answer.headers.get('location') ?? NONE;
  };
  await go('OPTIONS', '/uploads/', {});
  const url = await make('up/a.txt', 6);
  await go('POST', '/uploads/', { ...alice, 'Upload-Length': '1', 'Upload-Metadata': meta({ path: 'x' }) });
  await go('POST', '/uploads/', { ...alice, ...TUS, 'Upload-Length': '1', 'Upload-Metadata': 'path !!' });
  await make('up/x.txt', 1, {});
  await make('up/x.txt', 1, reader);
  await make('up/._x.txt', 1);
  await make('up/x.txt', 5000);
  await go('POST', '/uploads/', { ...alice, ...TUS, 'Upload-Length': '1', 'Upload-Metadata': meta({ path: 'up/t.txt' }), 'Content-Type': 'text/plain' }, 'x');
  await go('CHECKOUT', '/files/up/held.txt', bob);
  await make('up/held.txt', 1);

  for (const headers of [alice, {}]) {
    await go('HEAD', url, { ...headers, ...TUS });
    await go('GET', url, headers);
  }
  await go('HEAD', url, { ...alice, ...V6 });
  await go('HEAD', url, { ...alice, 'Upload-Draft-Interop-Version': '1' });
  await go('HEAD', url, alice);
  await go('HEAD', NONE, { ...alice, ...TUS });
  await go('GET', NONE, alice);

  const patch = (target: string, offset: number, body: string, headers: Record<string, string> = {}, who = alice) =>
    go('PATCH', target, { ...who, ...TUS, ...OCTETS, 'Upload-Offset': String(offset), ...headers }, body);
  await patch(url, 0, 'abc');
  await patch(url, 1, 'bcd');
  await patch(url, 3, 'def', { 'Upload-Checksum': `sha1 ${createHash('sha1').update('xyz').digest('base64')}` });
  await patch(url, 3, 'defghi');
  await patch(url, 3, 'def', { 'Content-Type': 'text/plain' });
  await patch(url, 3, 'def', { 'Upload-Offset': 'x' });
  await patch(url, 3, 'def', {}, reader);
  await patch(url, 3, 'def', {}, {});
  await go('PATCH', url, { ...alice, ...OCTETS, 'Upload-Offset': '3' }, 'def');
  await patch(NONE, 0, 'x');
  await patch(url, 3, 'def');
  await go('POST', url, alice);

  // A commit refused (the file was checked out while the bytes travelled), then retried.
  const late = await make('up/late.txt', 2);
  const token = (await go('CHECKOUT', '/files/up/late.txt', alice)).headers.get('lock-token') ?? '';
  await patch(late, 0, 'ok');
  await go('HEAD', late, { ...alice, ...TUS });
  await go('POST', late, { ...alice, 'If-Match': '"0"', 'Lock-Token': token });
  await go('POST', late, reader);
  await go('POST', late, {});
  await go('POST', NONE, alice);
  await go('POST', late, { ...alice, 'Lock-Token': token });
  const again = await make('up/a.txt', 1);
  await go('CHECKOUT', '/files/up/a.txt', bob);
  await patch(again, 0, 'z');
  await go('POST', again, alice);
  await go('UNLOCK', '/files/up/a.txt?force', root);
  await go('POST', again, alice);

  // The draft: created at the file's URL, the last bytes answer the version (new file, then existing).
  for (const file of ['up/draft.txt', 'up/draft.txt']) {
    const made = await go('POST', `/files/${file}`, { ...alice, ...V6, 'Upload-Complete': '?0' });
    const at = made.headers.get('location') ?? NONE;
    await go('PATCH', at, { ...alice, ...V6, ...PARTIAL, 'Upload-Offset': '0', 'Upload-Complete': '?1' }, file === 'up/draft.txt' ? 'd1' : 'd2');
  }
  const draft = (await go('POST', '/files/up/draft2.txt', { ...alice, ...V6, 'Upload-Complete': '?0' })).headers.get('location') ?? NONE;
  await go('PATCH', draft, { ...alice, ...V6, ...PARTIAL, 'Upload-Offset': '0', 'Upload-Complete': '?1' }, 'x2');
  await go('PATCH', draft.replace(/.$/, '_'), { ...alice, ...V6, ...PARTIAL, 'Upload-Offset': '0', 'Upload-Complete': '?0' }, 'x');

  const doomed = await make('up/doomed.txt', 4);
  for (const who of [reader, {}]) await go('DELETE', doomed, { ...who, ...TUS });
  await go('DELETE', doomed, alice);
  await go('DELETE', doomed, { ...alice, ...TUS });
  await go('DELETE', NONE, { ...alice, ...TUS });
  for (const who of [root, alice, {}]) await go('POST', '/admin/uploads', who);
}

/** What a store that is down, then a draining server, answers on the upload routes. */
export async function exerciseUploadsDown(go: Go): Promise<void> {
  await go('POST', '/uploads/', { ...TUS, 'Upload-Length': '1', 'Upload-Metadata': meta({ path: 'x' }) });
  await go('HEAD', NONE, TUS);
  await go('GET', NONE);
  await go('PATCH', NONE, { ...TUS, ...OCTETS, 'Upload-Offset': '0' }, 'x');
  await go('DELETE', NONE, TUS);
  await go('POST', NONE);
  await go('POST', '/admin/uploads');
}
