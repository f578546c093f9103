/**
 * CORS in a real browser (headless Chromium): a page served from another local port (another
 * origin) writes to kluis with `fetch` and a Bearer token, reads the answer's headers, takes a
 * check-out and sends a tus PATCH (each preflighted). From a listed origin it all works; from an
 * origin not listed the browser blocks every request at its preflight, and nothing is stored.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { browser } from '../helpers/browser.js';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';
import { ALICE_TOKEN, bearer, makeUsers } from './rest/_support.js';

/** The app's page: its script calls kluis cross-origin, as a web app would. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>app</title><script>
async function tryIt(step) {
  try { return await step(); } catch (err) { return { blocked: String(err) }; }
}
window.app = async (kluis, token, path) => {
  const auth = { Authorization: 'Bearer ' + token };
  const put = await tryIt(async () => {
    const r = await fetch(kluis + '/files/' + path, { method: 'PUT', headers: { ...auth, 'Content-Type': 'text/plain', 'If-None-Match': '*' }, body: 'hello from the app' });
    return { status: r.status, etag: r.headers.get('ETag'), version: r.headers.get('File-Version'), location: r.headers.get('Location') };
  });
  const checkout = await tryIt(async () => {
    const r = await fetch(kluis + '/files/' + path, { method: 'CHECKOUT', headers: { ...auth, Timeout: 'Second-60' } });
    return { status: r.status, token: r.headers.get('Lock-Token') };
  });
  const refused = await tryIt(async () => {
    const r = await fetch(kluis + '/files/' + path, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'no credentials' });
    return { status: r.status, code: (await r.json()).code, challenge: r.headers.get('WWW-Authenticate') };
  });
  const tus = await tryIt(async () => {
    const made = await fetch(kluis + '/uploads/', { method: 'POST', headers: { ...auth, 'Tus-Resumable': '1.0.0', 'Upload-Length': '5', 'Upload-Metadata': 'path ' + btoa(path + '.tus') } });
    const url = new URL(made.headers.get('Location'), kluis).href;
    const r = await fetch(url, { method: 'PATCH', headers: { ...auth, 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'bytes' });
    return { created: made.status, status: r.status, offset: r.headers.get('Upload-Offset'), version: r.headers.get('File-Version') };
  });
  return { put, checkout, refused, tus };
};
</script>`;

test('a page on a listed origin uses /files and /uploads with a Bearer token; a page on another origin is blocked', async (t) => {
  // Two ports of one page server: two origins, one of them listed.
  const pages = [
    http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE)),
    http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE)),
  ];
  const origins: string[] = [];
  for (const server of pages) {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    t.teardown(() => new Promise<void>((done) => server.close(() => done())));
    origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  const [listed, other] = origins as [string, string];
  const s = await startServer({ users: await makeUsers(), corsOrigins: [listed] });
  t.teardown(() => s.close());
  const context = await (await browser(t)).newContext();

  const run = async (origin: string, path: string) => {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    return page.evaluate(([base, token, file]) => (globalThis as unknown as { app: (b: string, t: string, p: string) => Promise<Record<string, Record<string, unknown>>> }).app(base, token, file), [
      s.url,
      ALICE_TOKEN,
      path,
    ] as const);
  };

  const ok = await run(listed, 'web/hello.txt');
  t.like(ok.put, { status: 201, version: '1', location: '/files/web/hello.txt?version=1' });
  t.regex(String(ok.put?.etag), /^"[0-9a-f]{64}"$/);
  t.like(ok.checkout, { status: 200 });
  t.regex(String(ok.checkout?.token), /^<urn:uuid:[0-9a-f-]{36}>$/);
  t.like(ok.refused, { status: 401, code: 'unauthorized' });
  t.truthy(ok.refused?.challenge);
  t.like(ok.tus, { created: 201, status: 204, offset: '5', version: '1' });
  t.is((await request(`${s.url}/files/web/hello.txt.tus`, { headers: bearer(ALICE_TOKEN) })).text, 'bytes');

  const blocked = await run(other, 'web/other.txt');
  for (const step of ['put', 'checkout', 'refused', 'tus']) t.regex(String(blocked[step]?.blocked), /TypeError: Failed to fetch/, step);
  // The preflight failed: the PUT itself was never sent.
  t.is((await request(`${s.url}/files/web/other.txt`, { headers: bearer(ALICE_TOKEN) })).status, 404);
});
