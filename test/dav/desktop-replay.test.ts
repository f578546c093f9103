/**
 * Desktop clients replayed request by request, with their own headers and bodies, over raw
 * node:http (nothing added or normalised on the way): LibreOffice saving a document it holds
 * a lock on, the Windows WebDAV mini-redirector opening a folder and touching a file's
 * times, and davfs2 (recorded from a mount) creating a file it uploads later. The 207 bodies are read with a namespace-aware XML parser, not the server's code.
 */
import test from 'ava';
import { put, request } from '../helpers/http.js';
import { sha256 } from '../helpers/server.js';
import { raw } from '../http/rest/_support.js';
import { childrenOf, descendantsOf, parseXml, propOf, readMultistatus, startDavServer } from './_tools.js';

/** A date as HTTP writes it (RFC 1123, as RFC 4918 §15.7 requires of getlastmodified). */
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const XML = { 'Content-Type': 'application/xml' };

test('LibreOffice: PROPFIND, LOCK, refresh, two saves with the token, refused writes without it, UNLOCK; every save is a version', async (t) => {
  const s = await startDavServer(t);
  const doc = 'docs/report.odt';
  const dav = `/dav/${doc}`;
  const original = Buffer.from('PK\x03\x04 the document as it was opened');
  t.is((await put(s.url, doc, original)).status, 201);
  const LO = { 'User-Agent': 'LibreOffice 7.4.7.2 curl/7.88.1', Accept: '*/*' };

  // Opening: what is it, and may it be locked?
  const allprop = await raw(s.url, 'PROPFIND', dav, { ...LO, ...XML, Depth: '0' }, '<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><allprop/></propfind>');
  t.is(allprop.status, 207, allprop.text);
  const [self, ...others] = readMultistatus(allprop.text);
  t.is(others.length, 0, 'Depth: 0 answers for the document alone');
  t.is(self?.path, dav);
  t.is(propOf(self, 'getcontentlength')?.el.text, String(original.length));
  t.is(propOf(self, 'getcontentlength')?.status, 200);
  t.regex(propOf(self, 'getlastmodified')?.el.text ?? '', RFC1123);
  t.truthy(propOf(self, 'getetag')?.el.text, 'getetag');
  t.deepEqual(propOf(self, 'resourcetype')?.el.children, [], 'a document is no collection');

  const named = await raw(
    s.url,
    'PROPFIND',
    dav,
    { ...LO, ...XML, Depth: '0' },
    '<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><resourcetype/><IsReadOnly xmlns="http://ucb.openoffice.org/dav/props/"/><getcontenttype/><supportedlock/></prop></propfind>',
  );
  t.is(named.status, 207, named.text);
  const entry = readMultistatus(named.text)[0];
  const lockentry = descendantsOf(propOf(entry, 'supportedlock')?.el, 'lockentry');
  t.true(
    lockentry.some((e) => descendantsOf(e, 'exclusive').length > 0 && descendantsOf(e, 'write').length > 0),
    `supportedlock lists an exclusive write lock: ${named.text}`,
  );
  t.is(propOf(entry, 'IsReadOnly', 'http://ucb.openoffice.org/dav/props/')?.status, 404, 'an unknown property is a 404 propstat, not an error');

  // LOCK (RFC 4918 §9.10): an existing resource answers 200 with the lock it made.
  const lockinfo =
    '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>LibreOffice - user</D:href></D:owner></D:lockinfo>';
  const lock = await raw(s.url, 'LOCK', dav, { ...LO, ...XML, Timeout: 'Second-180' }, lockinfo);
  t.is(lock.status, 200, lock.text);
  const header = lock.headers.get('lock-token') ?? '';
  t.regex(header, /^<[^<>\s]+>$/, 'Lock-Token: <token>');
  const token = header.slice(1, -1);
  const root = parseXml(lock.text);
  t.is(`${root.ns} ${root.name}`, 'DAV: prop', lock.text);
  const active = descendantsOf(childrenOf(root, 'lockdiscovery')[0], 'activelock');
  t.is(active.length, 1, lock.text);
  const activelock = active[0];
  t.is(descendantsOf(childrenOf(activelock, 'owner')[0], 'href')[0]?.text, 'LibreOffice - user', 'the owner is echoed as sent');
  t.is(descendantsOf(childrenOf(activelock, 'locktoken')[0], 'href')[0]?.text, token, 'the body names the Lock-Token');
  t.truthy(childrenOf(childrenOf(activelock, 'lockscope')[0], 'exclusive')[0], 'lockscope exclusive');
  t.truthy(childrenOf(childrenOf(activelock, 'locktype')[0], 'write')[0], 'locktype write');
  t.regex(childrenOf(activelock, 'timeout')[0]?.text ?? '', /^Second-[1-9]\d*$/, 'a finite timeout');
  t.true((descendantsOf(childrenOf(activelock, 'lockroot')[0], 'href')[0]?.text ?? '').endsWith(dav), 'lockroot names the document');

  // LibreOffice refreshes before the 180 s run out (RFC 4918 §9.10.2: If header, no body).
  const refresh = await raw(s.url, 'LOCK', dav, { ...LO, If: `(<${token}>)`, Timeout: 'Second-180' });
  t.is(refresh.status, 200, refresh.text);
  t.is(descendantsOf(parseXml(refresh.text), 'locktoken').flatMap((l) => childrenOf(l, 'href'))[0]?.text, token, refresh.text);

  // Saves, with the token as a no-tag list and as a tagged list (RFC 4918 §10.4).
  const saved1 = Buffer.from('PK\x03\x04 first save');
  const save1 = await raw(s.url, 'PUT', dav, { ...LO, 'Content-Type': 'application/vnd.oasis.opendocument.text', If: `(<${token}>)` }, saved1);
  t.true(save1.status >= 200 && save1.status < 300, `PUT with If: (<token>): ${save1.status} ${save1.text}`);
  t.log(`PUT with the lock token answered ${save1.status}`);
  const saved2 = Buffer.from('PK\x03\x04 second save');
  const save2 = await raw(s.url, 'PUT', dav, { ...LO, 'Content-Type': 'application/vnd.oasis.opendocument.text', If: `<${s.url}${dav}> (<${token}>)` }, saved2);
  t.true(save2.status >= 200 && save2.status < 300, `PUT with a tagged If: ${save2.status} ${save2.text}`);

  // Without the token: the /files API says 409 locked, WebDAV says 423 Locked.
  const viaFiles = await raw(s.url, 'PUT', `/files/${doc}`, { 'User-Agent': 'curl/7.88.1', Accept: '*/*' }, 'someone else');
  t.is(viaFiles.status, 409, viaFiles.text);
  t.is(viaFiles.json?.code, 'locked', viaFiles.text);
  // The refusal names the person as LibreOffice does (its <D:owner>: "LibreOffice - <user name>").
  t.like(viaFiles.json?.lock, { owner: 'anonymous', label: 'LibreOffice - user' });
  t.regex(viaFiles.json?.detail ?? '', /checked out by anonymous \("LibreOffice - user", as their client says\)/);
  const viaDav = await raw(s.url, 'PUT', dav, LO, 'someone else');
  t.is(viaDav.status, 423, viaDav.text);
  t.like(viaDav.json?.lock, { label: 'LibreOffice - user' });
  t.is((await request(`${s.url}/files/${doc}`)).text, saved2.toString());

  const unlock = await raw(s.url, 'UNLOCK', dav, { ...LO, 'Lock-Token': `<${token}>` });
  t.is(unlock.status, 204, unlock.text);
  t.is((await request(`${s.url}/files/${doc}?lock`)).status, 404, 'the lock outlived UNLOCK');

  const history = await request(`${s.url}/files/${doc}?versions`);
  t.is(history.status, 200, history.text);
  t.deepEqual(
    (history.json?.versions ?? []).map((v: { version: number; sha256: string }) => [v.version, v.sha256]),
    [
      [3, await sha256(saved2)],
      [2, await sha256(saved1)],
      [1, await sha256(original)],
    ],
    history.text,
  );
});

test('Windows mini-redirector: OPTIONS, PROPFIND Depth 1 with an empty body, PROPPATCH of the Win32 times', async (t) => {
  const s = await startDavServer(t);
  const report = Buffer.from('a Word document, more or less');
  t.is((await put(s.url, 'report.docx', report)).status, 201);
  t.is((await put(s.url, 'Folder/inner.txt', 'inside')).status, 201);
  const WIN = { 'User-Agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f', Connection: 'Keep-Alive' };

  // Mapping a drive starts with OPTIONS on the server's root, whatever the folder asked for.
  const atRoot = await raw(s.url, 'OPTIONS', '/', WIN);
  t.is(atRoot.status, 200, `OPTIONS /: ${atRoot.status} ${atRoot.text}`);
  t.regex(atRoot.headers.get('dav') ?? '', /\b2\b/);
  t.is(atRoot.headers.get('ms-author-via')?.toUpperCase(), 'DAV');

  const options = await raw(s.url, 'OPTIONS', '/dav/', WIN);
  t.true(options.status >= 200 && options.status < 300, `OPTIONS /dav/: ${options.status} ${options.text}`);
  const classes = (options.headers.get('dav') ?? '').split(',').map((c) => c.trim());
  t.true(classes.includes('1') && classes.includes('2'), `DAV: ${options.headers.get('dav')}`);
  t.is(options.headers.get('ms-author-via')?.toUpperCase(), 'DAV');

  // An empty body is allprop (RFC 4918 §9.1); Windows sends Content-Length: 0.
  const listing = await raw(s.url, 'PROPFIND', '/dav/', { ...WIN, Depth: '1', 'Content-Length': '0' });
  t.is(listing.status, 207, listing.text);
  const responses = readMultistatus(listing.text);
  t.deepEqual(responses.map((r) => r.path.replace(/\/$/, '')).sort(), ['/dav', '/dav/Folder', '/dav/report.docx'], listing.text);
  for (const r of responses) {
    const collection = childrenOf(propOf(r, 'resourcetype')?.el, 'collection').length > 0;
    t.is(propOf(r, 'getlastmodified')?.status, 200, `getlastmodified of ${r.href}`);
    t.regex(propOf(r, 'getlastmodified')?.el.text ?? '', RFC1123, `getlastmodified of ${r.href}`);
    if (r.path === '/dav/report.docx') {
      t.false(collection, `${r.href} is a file`);
      t.is(propOf(r, 'getcontentlength')?.el.text, String(report.length), `getcontentlength of ${r.href}`);
    } else {
      t.true(collection, `${r.href} has <D:resourcetype><D:collection/></D:resourcetype>`);
      // RFC 4918 §5.2: a collection's URL ends in a slash; Windows matches the folder itself by it.
      t.true(r.path.endsWith('/'), `the collection's href ends in /: ${r.href}`);
    }
  }

  const times = { created: new Date(Date.UTC(2026, 0, 5, 9, 30)), accessed: new Date(), modified: new Date(Date.UTC(2026, 0, 6, 14, 0, 7)) };
  const body =
    '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
    `<Z:Win32CreationTime>${times.created.toUTCString()}</Z:Win32CreationTime>` +
    `<Z:Win32LastAccessTime>${times.accessed.toUTCString()}</Z:Win32LastAccessTime>` +
    `<Z:Win32LastModifiedTime>${times.modified.toUTCString()}</Z:Win32LastModifiedTime>` +
    '<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>';
  const patch = await raw(s.url, 'PROPPATCH', '/dav/report.docx', { ...WIN, 'Content-Type': 'text/xml; charset="utf-8"' }, body);
  t.is(patch.status, 207, patch.text);
  const [patched, ...more] = readMultistatus(patch.text);
  t.is(more.length, 0, patch.text);
  t.is(patched?.path, '/dav/report.docx');
  const MS = 'urn:schemas-microsoft-com:';
  for (const name of ['Win32CreationTime', 'Win32LastAccessTime', 'Win32LastModifiedTime', 'Win32FileAttributes']) {
    t.is(propOf(patched, name, MS)?.status, 200, `${name} in a 200 propstat: ${patch.text}`);
  }

  // A property answered 200 is set (RFC 4918 §9.2): it reads back.
  const readBack = await raw(
    s.url,
    'PROPFIND',
    '/dav/report.docx',
    { ...WIN, Depth: '0', 'Content-Type': 'text/xml; charset="utf-8"' },
    `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:" xmlns:Z="${MS}"><D:prop><Z:Win32LastModifiedTime/></D:prop></D:propfind>`,
  );
  t.is(readBack.status, 207, readBack.text);
  const value = propOf(readMultistatus(readBack.text)[0], 'Win32LastModifiedTime', MS);
  t.is(value?.status, 200, readBack.text);
  t.is(value?.el.text, times.modified.toUTCString(), readBack.text);
});

test('davfs2: a new file is locked, its folder listed before the delayed upload (the file is a member), unlocked and PUT', async (t) => {
  const s = await startDavServer(t);
  // Headers and bodies as davfs2 1.6.1 (neon 0.32) sent them for `cp file /mnt/dav/sub/; ls /mnt/dav/sub`.
  const DAVFS = { 'User-Agent': 'davfs2/1.6.1 neon/0.32.5', Connection: 'TE', TE: 'trailers' };
  t.is((await raw(s.url, 'MKCOL', '/dav/sub/', DAVFS)).status, 201);
  const lockinfo = '<?xml version="1.0" encoding="utf-8"?>\n<lockinfo xmlns=\'DAV:\'>\n <lockscope><exclusive/></lockscope>\n<locktype><write/></locktype><owner></owner>\n</lockinfo>\n';
  const lock = await raw(s.url, 'LOCK', '/dav/sub/new.bin', { ...DAVFS, ...XML, Depth: '0', Timeout: 'Second-1800' }, lockinfo);
  t.is(lock.status, 201, lock.text);
  const token = (lock.headers.get('lock-token') ?? '').slice(1, -1);
  t.is((await raw(s.url, 'HEAD', '/dav/sub/new.bin', DAVFS)).status, 404, 'no content yet');

  // The folder is listed while the file waits in davfs2's cache: were it missing here, davfs2
  // would take it for deleted on the server and drop it unsent.
  const propfind =
    '<?xml version="1.0" encoding="utf-8"?>\n<propfind xmlns="DAV:"><prop>\n<resourcetype xmlns="DAV:"/>\n<getcontentlength xmlns="DAV:"/>\n<getetag xmlns="DAV:"/>\n<getlastmodified xmlns="DAV:"/>\n<executable xmlns="http://apache.org/dav/props/"/>\n</prop></propfind>\n';
  const listing = await raw(s.url, 'PROPFIND', '/dav/sub/', { ...DAVFS, ...XML, Depth: '1' }, propfind);
  t.is(listing.status, 207, listing.text);
  const member = readMultistatus(listing.text).find((r) => r.path === '/dav/sub/new.bin');
  t.truthy(member, `the locked new file is a member of its folder: ${listing.text}`);
  t.deepEqual(propOf(member, 'resourcetype')?.el.children, [], 'a file, not a collection');

  t.is((await raw(s.url, 'UNLOCK', '/dav/sub/new.bin', { ...DAVFS, 'Lock-Token': `<${token}>` })).status, 204);
  const body = Buffer.from('the bytes davfs2 kept in its cache');
  t.is((await raw(s.url, 'PUT', '/dav/sub/new.bin', DAVFS, body)).status, 201);
  const got = await request(`${s.url}/files/sub/new.bin`);
  t.is(await sha256(Buffer.from(got.text)), await sha256(body));
});
