/**
 * The desktop files of macOS Finder, Windows Explorer, Microsoft Office and LibreOffice,
 * replayed request by request with each client's own methods, headers and order, as their
 * traffic shows in published server logs (WebDAVFS 3, the Windows mini-redirector, Word's
 * owner file on a mapped drive, LibreOffice on a GVFS mount). None of their files may become
 * history or show on /files; the documents beside them keep every version.
 */
import test from 'ava';
import type { Answer } from '../../helpers/http.js';
import type { TestServer } from '../../helpers/server.js';
import { dav, davServer, files, hostOf, propfind, XML } from './_support.js';

const versionTree = '<?xml version="1.0" encoding="utf-8"?><D:version-tree xmlns:D="DAV:"><D:prop><D:version-name/></D:prop></D:version-tree>';

/** Versions /dav shows of `target` (REPORT DAV:version-tree): a desktop file has exactly one. */
async function versionsOf(s: TestServer, target: string): Promise<number> {
  const tree = await dav(s, 'REPORT', target, XML, versionTree);
  if (tree.status !== 207) throw new Error(`REPORT ${target}: ${tree.status} ${tree.text}`);
  return tree.text.match(/<D:response>/g)?.length ?? 0;
}

/** The names /files lists in `dir/`. */
async function shown(s: TestServer, dir: string, deleted = false): Promise<string[]> {
  const listing = await files(s, 'GET', `${dir}/${deleted ? '?deleted' : ''}`);
  return listing.json.entries.map((e: { name: string }) => e.name);
}

const token = (answer: Answer) => (answer.headers.get('lock-token') ?? '').replace(/^<|>$/g, '');
const ok = (answer: Answer) => answer.status >= 200 && answer.status < 300;

test('macOS Finder copies a file in, tags it, renames it and deletes it: its ._ file and .DS_Store make no history and follow the file', async (t) => {
  const s = await davServer(t);
  const MAC = { 'User-Agent': 'WebDAVFS/3.0.0 (03008000) Darwin/22.6.0 (arm64)', Accept: '*/*' };
  const FINDER_LOCK =
    '<?xml version="1.0" encoding="utf-8"?>\n<D:lockinfo xmlns:D="DAV:">\n<D:lockscope><D:exclusive/></D:lockscope>\n<D:locktype><D:write/></D:locktype>\n<D:owner>\n<D:href>http://www.apple.com/webdav_fs/</D:href>\n</D:owner>\n</D:lockinfo>\n';
  const lockFor = async (target: string) => {
    const answer = await dav(s, 'LOCK', target, { ...MAC, ...XML, Depth: '0', Timeout: 'Second-600' }, FINDER_LOCK);
    t.true(ok(answer), `LOCK ${target}: ${answer.status} ${answer.text}`);
    return token(answer);
  };
  /** WebDAVFS writes a file: an empty PUT makes it, a lock, the bytes (chunked, with their length announced), unlock. */
  const write = async (target: string, bytes: Buffer) => {
    const made = await dav(s, 'PROPFIND', target, { ...MAC, Depth: '0' });
    if (made.status === 404) t.is((await dav(s, 'PUT', target, { ...MAC, 'Content-Length': '0' })).status, 201);
    const held = await lockFor(target);
    const put = await dav(s, 'PUT', target, { ...MAC, If: `(<${held}>)`, 'Transfer-Encoding': 'chunked', 'X-Expected-Entity-Length': String(bytes.length) }, bytes);
    t.true(ok(put), `PUT ${target}: ${put.status} ${put.text}`);
    t.is((await dav(s, 'UNLOCK', target, { ...MAC, 'Lock-Token': `<${held}>` })).status, 204);
  };
  const appleDouble = (tag: string) => Buffer.concat([Buffer.from([0, 5, 22, 7, 0, 2, 0, 0]), Buffer.from(`Mac OS X        com.apple.metadata:_kMDItemUserTags ${tag}`), Buffer.alloc(4000)]);
  const view = (n: number) => Buffer.concat([Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]), Buffer.from(`icon view ${n}`), Buffer.alloc(6120)]);

  t.is((await dav(s, 'MKCOL', 'Shared', MAC)).status, 201);
  // The document: empty, then locked while its AppleDouble file is written, then its bytes.
  t.is((await dav(s, 'PROPFIND', 'Shared/Quarterly.pdf', { ...MAC, Depth: '0' })).status, 404);
  t.is((await dav(s, 'PUT', 'Shared/Quarterly.pdf', { ...MAC, 'Content-Length': '0' })).status, 201);
  t.is((await dav(s, 'PROPFIND', 'Shared/._Quarterly.pdf', { ...MAC, Depth: '0' })).status, 404);
  const held = await lockFor('Shared/Quarterly.pdf');
  t.is((await dav(s, 'PROPFIND', 'Shared/._.', { ...MAC, Depth: '0' })).status, 404);
  await write('Shared/._Quarterly.pdf', appleDouble('none'));
  const pdf = Buffer.from('%PDF-1.7 the quarterly figures');
  const content = await dav(s, 'PUT', 'Shared/Quarterly.pdf', { ...MAC, If: `(<${held}>)`, 'Transfer-Encoding': 'chunked', 'X-Expected-Entity-Length': String(pdf.length) }, pdf);
  t.true(ok(content), `${content.status} ${content.text}`);
  t.is((await dav(s, 'UNLOCK', 'Shared/Quarterly.pdf', { ...MAC, 'Lock-Token': `<${held}>` })).status, 204);
  // Finder keeps the window's view, again on every change; the user tags the file red, then green.
  for (const n of [1, 2, 3]) await write('Shared/.DS_Store', view(n));
  await write('Shared/._Quarterly.pdf', appleDouble('Red'));
  await write('Shared/._Quarterly.pdf', appleDouble('Green'));

  t.is(await versionsOf(s, 'Shared/.DS_Store'), 1);
  t.is(await versionsOf(s, 'Shared/._Quarterly.pdf'), 1);
  t.is(await versionsOf(s, 'Shared/Quarterly.pdf'), 2, 'the document keeps its versions (the empty one Finder made first, and the bytes)');
  t.deepEqual(await shown(s, 'Shared'), ['Quarterly.pdf']);
  const listed = await propfind(s, 'Shared/', '1', ['getcontentlength'], MAC);
  t.deepEqual(listed.responses.map((r) => r.path).sort(), ['/dav/Shared/', '/dav/Shared/.DS_Store', '/dav/Shared/._Quarterly.pdf', '/dav/Shared/Quarterly.pdf']);
  t.deepEqual(Buffer.from((await dav(s, 'GET', 'Shared/._Quarterly.pdf', MAC)).text, 'latin1').includes('Green'), true);

  // Rename: the file moves, then macOS looks for its ._ file to move it too, and finds it moved already.
  const moved = await dav(s, 'MOVE', 'Shared/Quarterly.pdf', { ...MAC, Destination: `http://${hostOf(s)}/dav/Shared/Q3.pdf`, Overwrite: 'F' });
  t.is(moved.status, 201, moved.text);
  t.is((await dav(s, 'PROPFIND', 'Shared/._Quarterly.pdf', { ...MAC, Depth: '0' })).status, 404);
  t.regex((await dav(s, 'GET', 'Shared/._Q3.pdf', MAC)).text, /Green/, 'the tags followed the file');
  t.is(await versionsOf(s, 'Shared/._Q3.pdf'), 1);

  // Delete: the file goes, and with it its ._ file.
  t.is((await dav(s, 'DELETE', 'Shared/Q3.pdf', MAC)).status, 204);
  t.is((await dav(s, 'PROPFIND', 'Shared/._Q3.pdf', { ...MAC, Depth: '0' })).status, 404);
  t.deepEqual(await shown(s, 'Shared'), []);
  t.deepEqual(await shown(s, 'Shared', true), ['Q3.pdf', 'Quarterly.pdf'], 'only the document (under both its names) can be restored');
});

test('Windows Explorer copies a folder with its Thumbs.db and desktop.ini, twice: those keep one version, the photo all of its own', async (t) => {
  const s = await davServer(t);
  const WIN = { 'User-Agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f', Connection: 'Keep-Alive' };
  const EXPLORER_LOCK =
    '<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>WORKSTATION\\anna</D:href></D:owner></D:lockinfo>';
  const attributes = (bits: string) =>
    `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32LastModifiedTime>${new Date().toUTCString()}</Z:Win32LastModifiedTime><Z:Win32FileAttributes>${bits}</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`;
  /** The mini-redirector's copy of one file: an empty PUT, LOCK, the bytes under the lock, its times and attributes, UNLOCK. */
  const copy = async (target: string, bytes: string, bits = '00000020') => {
    const made = await dav(s, 'PUT', target, { ...WIN, 'Content-Length': '0' });
    t.true(ok(made), `PUT ${target}: ${made.status} ${made.text}`);
    const lock = await dav(s, 'LOCK', target, { ...WIN, 'Content-Type': 'text/xml; charset="utf-8"', Timeout: 'Second-3600' }, EXPLORER_LOCK);
    t.is(lock.status, 200, lock.text);
    const held = token(lock);
    t.true(ok(await dav(s, 'PUT', target, { ...WIN, If: `(<${held}>)` }, bytes)));
    t.is((await dav(s, 'PROPPATCH', target, { ...WIN, If: `(<${held}>)`, 'Content-Type': 'text/xml; charset="utf-8"' }, attributes(bits))).status, 207);
    t.is((await dav(s, 'UNLOCK', target, { ...WIN, 'Lock-Token': `<${held}>` })).status, 204);
  };

  for (const round of [1, 2]) {
    if (round === 1) t.is((await dav(s, 'MKCOL', 'Holiday', WIN)).status, 201);
    // Explorer asks for the folder's desktop.ini whenever it shows the folder.
    const ini = await dav(s, 'PROPFIND', 'Holiday/desktop.ini', { ...WIN, Depth: '0', 'Content-Length': '0' });
    t.is(ini.status, round === 1 ? 404 : 207);
    await copy('Holiday/beach.jpg', `a beach, edited ${round}`);
    await copy('Holiday/Thumbs.db', `thumbnails ${round}`, '00000026');
    await copy('Holiday/desktop.ini', `[.ShellClassInfo]\r\nIconResource=beach.jpg,${round}\r\n`, '00000026');
  }
  t.is(await versionsOf(s, 'Holiday/Thumbs.db'), 1);
  t.is(await versionsOf(s, 'Holiday/desktop.ini'), 1);
  t.is(await versionsOf(s, 'Holiday/beach.jpg'), 4, 'each copy made an empty version, then the bytes');
  t.deepEqual(await shown(s, 'Holiday'), ['beach.jpg']);
  t.regex((await dav(s, 'GET', 'Holiday/desktop.ini', WIN)).text, /IconResource=beach\.jpg,2/);
});

test("Word on a mapped drive: its owner file ~$ is made on open and deleted on close, and leaves no version; a curl PUT meanwhile is refused naming the lock's owner", async (t) => {
  const s = await davServer(t);
  const WIN = { 'User-Agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f', Connection: 'Keep-Alive' };
  const OFFICE_LOCK =
    '<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>Anna Jansen</D:href></D:owner></D:lockinfo>';
  t.is((await dav(s, 'MKCOL', 'Docs', WIN)).status, 201);
  t.is((await dav(s, 'PUT', 'Docs/Report.docx', WIN, 'PK the report')).status, 201);
  for (const session of [1, 2]) {
    // Open for editing: the document is locked, the owner file made (162 bytes: the user's name).
    const lock = await dav(s, 'LOCK', 'Docs/Report.docx', { ...WIN, 'Content-Type': 'text/xml; charset="utf-8"', Timeout: 'Second-3600' }, OFFICE_LOCK);
    t.is(lock.status, 200, lock.text);
    const held = token(lock);
    t.is((await dav(s, 'PROPFIND', 'Docs/~$Report.docx', { ...WIN, Depth: '0', 'Content-Length': '0' })).status, 404);
    t.is((await dav(s, 'PUT', 'Docs/~$Report.docx', { ...WIN, 'Content-Length': '0' })).status, 201);
    const owner = Buffer.concat([Buffer.from([11]), Buffer.from('Anna Jansen'), Buffer.alloc(150, 0x20)]);
    t.true(ok(await dav(s, 'PUT', 'Docs/~$Report.docx', WIN, owner)));
    const hidden = `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32FileAttributes>00000022</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`;
    t.is((await dav(s, 'PROPPATCH', 'Docs/~$Report.docx', { ...WIN, 'Content-Type': 'text/xml; charset="utf-8"' }, hidden)).status, 207);

    // Someone's script saves meanwhile: refused, and told who has it open.
    const curl = await files(s, 'PUT', 'Docs/Report.docx', { 'User-Agent': 'curl/7.88.1' }, 'a scripted overwrite');
    t.is(curl.status, 409, curl.text);
    t.is(curl.json.lock?.label, 'Anna Jansen', curl.text);
    t.regex(curl.json.detail, /Anna Jansen/);

    t.true(ok(await dav(s, 'PUT', 'Docs/Report.docx', { ...WIN, If: `(<${held}>)` }, `PK the report, session ${session}`)));
    t.is(await versionsOf(s, 'Docs/~$Report.docx'), 1, 'made again, it has one version: no history of earlier sessions');
    // Close: the owner file goes, then the lock.
    t.is((await dav(s, 'DELETE', 'Docs/~$Report.docx', WIN)).status, 204);
    t.is((await dav(s, 'UNLOCK', 'Docs/Report.docx', { ...WIN, 'Lock-Token': `<${held}>` })).status, 204);
  }
  t.is((await dav(s, 'GET', 'Docs/~$Report.docx', WIN)).status, 404);
  t.is(await versionsOf(s, 'Docs/Report.docx'), 3);
  t.deepEqual(await shown(s, 'Docs'), ['Report.docx']);
  t.deepEqual(await shown(s, 'Docs', true), ['Report.docx'], 'nor among the deleted');
});

test('LibreOffice on a GVFS mount: its .~lock.<name># file is written on open and removed on close, never history; the document keeps its saves', async (t) => {
  const s = await davServer(t);
  const GVFS = { 'User-Agent': 'gvfs/1.50.3', Accept: '*/*' };
  const lockFile = 'Team/.~lock.Budget.ods%23';
  t.is((await dav(s, 'MKCOL', 'Team', GVFS)).status, 201);
  t.is((await dav(s, 'PUT', 'Team/Budget.ods', GVFS, 'PK budget v1')).status, 201);
  for (const session of [1, 2, 3]) {
    // LibreOffice looks for a lock file, writes its own (who, where, when), then the document's saves.
    t.is((await dav(s, 'PROPFIND', lockFile, { ...GVFS, Depth: '0' })).status, 404);
    const line = `,anna,laptop,02.12.2026 10:0${session},file:///home/anna/.config/libreoffice/4;`;
    t.is((await dav(s, 'PUT', lockFile, { ...GVFS, 'Content-Type': 'application/octet-stream' }, line)).status, 201);
    // Another person's LibreOffice reads it to say who has the document open.
    t.is((await dav(s, 'GET', lockFile, GVFS)).text, line);
    t.is((await dav(s, 'PUT', 'Team/Budget.ods', GVFS, `PK budget saved in session ${session}`)).status, 204);
    t.is(await versionsOf(s, lockFile), 1, 'made again, it has one version: no history of earlier sessions');
    t.is((await dav(s, 'DELETE', lockFile, GVFS)).status, 204);
  }
  t.is((await dav(s, 'GET', lockFile, GVFS)).status, 404);
  t.is(await versionsOf(s, 'Team/Budget.ods'), 4);
  t.deepEqual(await shown(s, 'Team'), ['Budget.ods']);
  t.deepEqual(await shown(s, 'Team', true), ['Budget.ods'], 'nor among the deleted');
});
