/** Uploaded content never runs as the web UI: the headers every download carries (the browser proof is test/ui/sandbox.test.ts). */
import test from 'ava';
import { request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';

const SANDBOX = /^sandbox; default-src 'none'/;

test('active types (HTML, SVG, XML, scripts, unknown) are attachments in a CSP sandbox, never sniffed; /dav too', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const cases: [string, string][] = [
    ['page.html', 'text/html'],
    ['icon.svg', 'image/svg+xml'],
    ['feed.xml', 'application/xml'],
    ['app.js', 'text/javascript'],
    ['blob.bin', 'application/octet-stream'],
    ['Grüße "x".html', 'text/html; charset=utf-8'],
  ];
  for (const [name, type] of cases) {
    const url = `/files/c/${encodeURIComponent(name)}`;
    t.is((await request(`${s.url}${url}`, { method: 'PUT', headers: { 'Content-Type': type }, body: '<script>alert(1)</script>' })).status, 201);
    for (const mount of ['/files', '/dav']) {
      const answer = await request(`${s.url}${url.replace('/files', mount)}`);
      t.is(answer.headers.get('content-type'), type, 'the type stays as uploaded');
      t.is(answer.headers.get('x-content-type-options'), 'nosniff');
      t.regex(answer.headers.get('content-security-policy') ?? '', SANDBOX);
      t.regex(answer.headers.get('content-disposition') ?? '', /^attachment; filename="/, `${mount} ${name}`);
    }
  }
  // A type that is not exactly one media type is never trusted: a browser reads the last of
  // comma-separated types, so this "PDF" would render as HTML without its sandbox.
  for (const type of ['application/pdf;x=,text/html', 'image/png, text/html', 'text/plain;charset="a,b"']) {
    await request(`${s.url}/files/c/disguised`, { method: 'PUT', headers: { 'Content-Type': type }, body: '<script>alert(1)</script>' });
    const answer = await request(`${s.url}/files/c/disguised`);
    t.regex(answer.headers.get('content-security-policy') ?? '', SANDBOX, type);
    t.regex(answer.headers.get('content-disposition') ?? '', /^attachment; /, type);
  }
  const odd = await request(`${s.url}/files/c/${encodeURIComponent('Grüße "x".html')}`);
  t.is(odd.headers.get('content-disposition'), `attachment; filename="Gr__e _x_.html"; filename*=UTF-8''${encodeURIComponent('Grüße "x".html')}`);
});

test('images, text, audio, video and PDF are shown inline; ?download makes any of them an attachment; PDF has no sandbox', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  for (const [name, type] of [
    ['a.png', 'image/png'],
    ['a.txt', 'text/plain'],
    ['a.mp4', 'video/mp4'],
    ['a.pdf', 'application/pdf'],
  ]) {
    await request(`${s.url}/files/${name}`, { method: 'PUT', headers: { 'Content-Type': type as string }, body: 'x' });
    const shown = await request(`${s.url}/files/${name}`);
    t.is(shown.headers.get('content-disposition'), `inline; filename="${name}"; filename*=UTF-8''${name}`);
    t.is(shown.headers.get('x-content-type-options'), 'nosniff');
    if (type === 'application/pdf') t.is(shown.headers.get('content-security-policy'), null);
    else t.regex(shown.headers.get('content-security-policy') ?? '', SANDBOX);
    const saved = await request(`${s.url}/files/${name}?download`);
    t.regex(saved.headers.get('content-disposition') ?? '', /^attachment; /);
    t.is((await request(`${s.url}/files/${name}?version=1&download`)).headers.get('content-disposition')?.startsWith('attachment'), true);
  }
});
