/** The folder, move and undelete part of the OpenAPI conformance scenario (test/http/openapi.test.ts; not a test file). */
import type { Answer } from '../helpers/http.js';
import { AS } from './rest/_support.js';

type Go = (method: string, url: string, headers?: Record<string, string>, body?: string | Buffer) => Promise<Answer>;

/** `?mkdir`, `?move-to` of files and folders, and `?deleted` listings, with their refusals, on a server with users. */
export async function exerciseFolders(go: Go): Promise<void> {
  const { alice, bob, reader } = AS;
  const to = (path: string) => `move-to=${encodeURIComponent(path)}`;
  const tokenOf = (answer: Answer) => (answer.headers.get('lock-token') ?? '').replace(/^<|>$/g, '');

  // Folders: made (201), there already (200), the root (200), on a file URL (400), by a reader (403).
  await go('POST', '/files/mv/made/?mkdir');
  await go('POST', '/files/mv/made/?mkdir');
  await go('POST', '/files/?mkdir');
  await go('POST', '/files/mv/file?mkdir');
  await go('POST', '/files/mv/other/?mkdir', reader);

  // Files: moved (201), onto a file (412, then 200 with &overwrite), missing (404), onto itself (403),
  // to a folder URL or a bad path (400), held by someone else (409).
  await go('PUT', '/files/mv/a.txt', alice, 'a');
  await go('PUT', '/files/mv/b.txt', alice, 'b');
  await go('POST', `/files/mv/a.txt?${to('mv/c.txt')}`);
  await go('POST', `/files/mv/b.txt?${to('mv/c.txt')}`);
  await go('POST', `/files/mv/b.txt?${to('mv/c.txt')}&overwrite`);
  await go('POST', `/files/mv/none.txt?${to('mv/d.txt')}`);
  await go('POST', `/files/mv/c.txt?${to('mv/c.txt')}`);
  await go('POST', `/files/mv/c.txt?${to('mv/d/')}`);
  await go('POST', `/files/mv/c.txt?${to('../d.txt')}`);
  const held = tokenOf(await go('CHECKOUT', '/files/mv/c.txt', bob));
  await go('POST', `/files/mv/c.txt?${to('mv/d.txt')}`);

  // Folders: moved (201), onto a folder (412, then 200), missing (404), into itself or the root (403),
  // a member held by someone else (409), to a file URL (400).
  await go('PUT', '/files/mv/f/x.txt', alice, 'x');
  await go('POST', `/files/mv/f/?${to('mv/g/')}`);
  await go('POST', `/files/mv/made/?${to('mv/g/')}`);
  await go('POST', `/files/mv/made/?${to('mv/g/')}&overwrite`);
  await go('POST', `/files/mv/nothing/?${to('mv/h/')}`);
  await go('POST', `/files/mv/g/?${to('mv/g/in/')}`);
  await go('POST', `/files/?${to('mv/h/')}`);
  await go('POST', `/files/mv/?${to('mv2/')}`);
  await go('POST', `/files/mv/g/?${to('mv/h')}`);
  await go('UNLOCK', '/files/mv/c.txt', { ...bob, 'Lock-Token': `<${held}>` });

  // Undelete: deleted files and folders listed with ?deleted, a deleted file restored.
  await go('DELETE', '/files/mv/c.txt');
  for (const method of ['GET', 'HEAD']) {
    await go(method, '/files/mv/?deleted');
    await go(method, '/files/?deleted');
  }
  await go('POST', '/files/mv/c.txt?restore=3');
}
