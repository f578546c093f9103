import test from 'ava';
import { request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { create, head, patch, TUS } from './_tus.js';

test('an upload untouched past its expiry is reclaimed by the sweep (404 after, bytes gone, counted); one touched in time is kept', async (t) => {
  const server = await startServer({ uploadExpirySeconds: 3600 });
  t.teardown(() => server.close());
  const idle = await create(server.url, 'life/idle.bin', 10);
  const busy = await create(server.url, 'life/busy.bin', 10);
  t.is((await patch(idle.url, 0, 'abc')).status, 204);
  const expires = Date.parse(String((await head(idle.url)).headers.get('upload-expires')));
  t.true(Math.abs(expires - (Date.now() + 3600_000)) < 5_000, 'Upload-Expires is an hour after the last append');
  server.advance(3000_000);
  t.is((await patch(busy.url, 0, 'abc')).status, 204, 'an append moves the expiry on');
  server.advance(1000_000);
  t.is((await head(idle.url)).status, 404, 'expired: gone at once for clients, before any sweep');
  const sweep = await request(`${server.url}/admin/uploads`, { method: 'POST' });
  t.is(sweep.status, 200);
  t.deepEqual(sweep.json, { expired: 1, orphans: 0 });
  t.deepEqual((await request(`${server.url}/admin/uploads`, { method: 'POST' })).json, { expired: 0, orphans: 0 }, 'once');
  t.is((await head(busy.url)).status, 200);
  const metrics = await request(`${server.url}/metrics`);
  t.regex(metrics.text, /kluis_uploads_total\{event="expired"\} 1/);
  t.regex(metrics.text, /kluis_uploads_total\{event="created"\} 2/);
});

test('open uploads per user are capped (403 upload-quota); a finished or terminated one frees its place', async (t) => {
  const server = await startServer({ uploadsPerUser: 2 });
  t.teardown(() => server.close());
  const one = await create(server.url, 'quota/1.txt', 1);
  const two = await create(server.url, 'quota/2.txt', 1);
  t.is(two.status, 201);
  const third = await create(server.url, 'quota/3.txt', 1);
  t.is(third.status, 403);
  t.is(third.json.code, 'upload-quota');
  t.is((await request(one.url, { method: 'DELETE', headers: TUS })).status, 204);
  t.is((await create(server.url, 'quota/3.txt', 1)).status, 201);
  t.is((await patch(two.url, 0, 'x')).status, 204);
  t.is((await create(server.url, 'quota/4.txt', 1)).status, 201, 'the committed upload no longer counts');
});

test('the upload id never reaches the log: its route template stands in for the path', async (t) => {
  const lines: string[] = [];
  const { default: pino } = await import('pino');
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const server = await startServer({ logger });
  t.teardown(() => server.close());
  const made = await create(server.url, 'log/secret.txt', 3);
  t.is((await patch(made.url, 1, 'abc')).status, 409, 'a conflict, logged');
  await patch(made.url, 0, 'abc');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const id = made.url.split('/').pop() as string;
  t.true(lines.some((l) => l.includes('"route":"/uploads/{id}"')));
  t.true(lines.some((l) => l.includes('"msg":"conflict"') && l.includes('"path":"/uploads/{id}"')));
  t.false(
    lines.some((l) => l.includes(id)),
    'no log line holds the id',
  );
});
