/**
 * Desktop files (docs/webdav.md "Desktop files"): what Finder, Explorer and office suites write
 * beside documents is kept without history, listed and served on /dav by every instance of the
 * store, and neither shown nor written on /files.
 */
import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { assertProblem, postForm, raw } from '../rest/_support.js';
import { dav, davServer, files, propfind, XML } from './_support.js';

const versionTree = '<?xml version="1.0" encoding="utf-8"?><D:version-tree xmlns:D="DAV:"><D:prop><D:version-name/></D:prop></D:version-tree>';

test('saved through /dav: one version however often saved, listed and served on /dav by another instance, invisible on /files', async (t) => {
  const s = await davServer(t);
  t.is((await dav(s, 'MKCOL', 'docs')).status, 201);
  t.is((await dav(s, 'PUT', 'docs/report.pdf', {}, 'the report')).status, 201);
  for (const n of [1, 2, 3]) t.true([201, 204].includes((await dav(s, 'PUT', 'docs/.DS_Store', {}, `finder view ${n}`)).status));
  t.is((await dav(s, 'PUT', 'docs/._report.pdf', {}, 'finder tags')).status, 201);

  const tree = await dav(s, 'REPORT', 'docs/.DS_Store', XML, versionTree);
  t.is(tree.status, 207, tree.text);
  t.is(tree.text.match(/<D:response>/g)?.length, 1, `one version: ${tree.text}`);

  const other = await s.another();
  const listed = await propfind(other, 'docs/', '1', ['getcontentlength']);
  t.deepEqual(listed.responses.map((r) => r.path).sort(), ['/dav/docs/', '/dav/docs/.DS_Store', '/dav/docs/._report.pdf', '/dav/docs/report.pdf']);
  t.is((await dav(other, 'GET', 'docs/.DS_Store')).text, 'finder view 3', 'another instance serves the last save');

  const listing = await files(s, 'GET', 'docs/');
  t.deepEqual(
    listing.json.entries.map((e: { name: string }) => e.name),
    ['report.pdf'],
  );
  for (const target of ['docs/.DS_Store', 'docs/._report.pdf', 'docs/.DS_Store?versions', 'docs/.DS_Store?lock']) {
    assertProblem(t, await files(s, 'GET', target), 404, 'not-found');
  }
  t.is((await files(s, 'HEAD', 'docs/.DS_Store')).status, 404);
});

test('/files refuses to write a desktop file (403 desktop-file) and changes nothing; a folder of them is no folder to redirect to', async (t) => {
  const s = await davServer(t);
  t.is((await put(s.url, 'docs/report.docx', 'the report')).status, 201);
  const refusedPut = await put(s.url, 'docs/~$report.docx', 'owner file');
  assertProblem(t, refusedPut, 403, 'desktop-file');
  t.regex(refusedPut.json.detail, /~\$report\.docx is a desktop file name/);
  assertProblem(t, await files(s, 'DELETE', 'docs/Thumbs.db'), 403, 'desktop-file');
  assertProblem(t, await files(s, 'CHECKOUT', 'docs/desktop.ini'), 403, 'desktop-file');
  assertProblem(t, await files(s, 'POST', `docs/report.docx?move-to=${encodeURIComponent('docs/.~lock.report.docx#')}`), 403, 'desktop-file');
  const tus = await request(`${s.url}/uploads/`, {
    method: 'POST',
    headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '3', 'Upload-Metadata': `path ${Buffer.from('docs/.DS_Store').toString('base64')}` },
  });
  assertProblem(t, tus, 403, 'desktop-file');
  const draft = await request(`${s.url}/files/docs/Thumbs.db`, { method: 'POST', headers: { 'Upload-Draft-Interop-Version': '6', 'Upload-Complete': '?1' }, body: 'abc' });
  assertProblem(t, draft, 403, 'desktop-file');
  const batch = await postForm(s.url, 'docs/', [
    { name: 'file', filename: 'notes.txt', data: 'notes' },
    { name: 'file', filename: '.DS_Store', data: 'view' },
  ]);
  assertProblem(t, batch, 403, 'desktop-file');
  t.is((await files(s, 'GET', 'docs/notes.txt')).status, 404, 'a batch with a desktop part is refused whole');
  t.is((await dav(s, 'GET', 'docs/~$report.docx')).status, 404, 'nothing was stored');
  t.is((await dav(s, 'GET', 'docs/.~lock.report.docx#'.replace('#', '%23'))).status, 404);
  t.is((await files(s, 'GET', 'docs/report.docx')).text, 'the report', 'the move was refused before anything moved');

  // A folder that holds only desktop files has nothing to show on /files.
  t.is((await dav(s, 'MKCOL', 'empty')).status, 201);
  t.is((await dav(s, 'PUT', 'empty/.DS_Store', {}, 'view')).status, 201);
  t.deepEqual((await files(s, 'GET', 'empty/')).json.entries, []);
  assertProblem(t, await raw(s.url, 'GET', '/files/empty'), 404, 'not-found');
});

test('deleting or moving a file on /files takes its AppleDouble file along on /dav', async (t) => {
  const s = await davServer(t);
  t.is((await put(s.url, 'photos/cat.jpg', 'a cat')).status, 201);
  t.is((await dav(s, 'PUT', 'photos/._cat.jpg', {}, 'finder tags: red')).status, 201);
  t.is((await files(s, 'POST', `photos/cat.jpg?move-to=${encodeURIComponent('photos/best/cat.jpg')}`)).status, 201);
  t.is((await dav(s, 'GET', 'photos/._cat.jpg')).status, 404);
  t.is((await dav(s, 'GET', 'photos/best/._cat.jpg')).text, 'finder tags: red');
  t.is((await files(s, 'DELETE', 'photos/best/cat.jpg')).status, 204);
  t.is((await dav(s, 'GET', 'photos/best/._cat.jpg')).status, 404);
});
