import test from 'ava';
import { checkout, put, request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { AS, makeUsers } from './rest/_support.js';

/** The value of one sample in the Prometheus text, or 0 when absent. */
async function sample(s: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await request(`${s.url}/metrics`)).text;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

test('requests are counted by method, route template and status; no raw path becomes a label', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'secret-project/plan.txt', 'x');
  await request(`${s.url}/files/secret-project/plan.txt`);
  await request(`${s.url}/files/secret-project/`);
  await new Promise((r) => setTimeout(r, 50));
  t.is(await sample(s, 'kluis_http_requests_total', { method: 'PUT', route: '/files/{path}', status: '201' }), 1);
  t.is(await sample(s, 'kluis_http_requests_total', { method: 'GET', route: '/files/{path}', status: '200' }), 1);
  t.is(await sample(s, 'kluis_http_requests_total', { method: 'GET', route: '/files/{dir}/', status: '200' }), 1);
  t.is(await sample(s, 'kluis_http_request_duration_seconds_count', { method: 'PUT', route: '/files/{path}' }), 1);
  t.is(await sample(s, 'kluis_http_received_bytes_total', { route: '/files/{path}' }), 1);
  t.true((await sample(s, 'kluis_http_sent_bytes_total', { route: '/files/{path}' })) > 1);
  t.false((await request(`${s.url}/metrics`)).text.includes('secret-project'));
});

test('WebDAV requests are counted under /dav/ route templates, and a 423 counts as a locked conflict', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await request(`${s.url}/dav/secret-plans/`, { method: 'MKCOL' });
  await request(`${s.url}/dav/secret-plans/`, { method: 'PROPFIND', headers: { Depth: '1' } });
  const lock = await request(`${s.url}/dav/secret-plans/a.txt`, {
    method: 'LOCK',
    body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
  });
  t.is(lock.status, 201);
  t.is((await request(`${s.url}/dav/secret-plans/a.txt`, { method: 'PUT', body: 'x' })).status, 423);
  await new Promise((r) => setTimeout(r, 50));
  t.is(await sample(s, 'kluis_http_requests_total', { method: 'MKCOL', route: '/dav/{dir}/', status: '201' }), 1);
  t.is(await sample(s, 'kluis_http_requests_total', { method: 'PROPFIND', route: '/dav/{dir}/', status: '207' }), 1);
  t.is(await sample(s, 'kluis_http_requests_total', { method: 'PUT', route: '/dav/{path}', status: '423' }), 1);
  t.is(await sample(s, 'kluis_conflicts_total', { code: 'locked' }), 1);
  t.false((await request(`${s.url}/metrics`)).text.includes('secret-plans'));
});

test('conflicts by code move with real 409s and 412s, and are present at zero from the start', async (t) => {
  const s = await startServer({ users: await makeUsers() });
  t.teardown(() => s.close());
  for (const code of ['locked', 'modified', 'not-checked-out', 'precondition-failed']) t.is(await sample(s, 'kluis_conflicts_total', { code }), 0, code);
  await put(s.url, 'c.txt', '1', AS.alice);
  await checkout(s.url, 'c.txt', AS.alice);
  t.is((await put(s.url, 'c.txt', '2', AS.bob)).status, 409);
  t.is((await put(s.url, 'c.txt', '2', AS.bob)).status, 409);
  t.is((await put(s.url, 'd.txt', '1', AS.bob, '?base=3')).status, 409);
  t.is((await put(s.url, 'e.txt', '1', { ...AS.bob, 'If-Match': '"abc"' })).status, 412);
  t.is((await request(`${s.url}/files/e.txt?uncheckout`, { method: 'POST', headers: { ...AS.bob, 'Lock-Token': '<urn:uuid:0>' } })).status, 409);
  t.is(await sample(s, 'kluis_conflicts_total', { code: 'locked' }), 2);
  t.is(await sample(s, 'kluis_conflicts_total', { code: 'modified' }), 1);
  t.is(await sample(s, 'kluis_conflicts_total', { code: 'precondition-failed' }), 1);
  t.is(await sample(s, 'kluis_conflicts_total', { code: 'not-checked-out' }), 1);
});

test('lock events: taken, refreshed, released, expired (replaced after expiry) and forced by an admin', async (t) => {
  const s = await startServer({ users: await makeUsers(), lockDefaultSeconds: 60 });
  t.teardown(() => s.close());
  const a = await checkout(s.url, 'l.txt', AS.alice);
  await checkout(s.url, 'l.txt', { ...AS.alice, 'Lock-Token': `<${a.token}>` });
  t.is((await request(`${s.url}/files/l.txt?uncheckout`, { method: 'POST', headers: { ...AS.alice, 'Lock-Token': `<${a.token}>` } })).status, 204);
  await checkout(s.url, 'l.txt', AS.alice);
  s.advance(61_000);
  t.is((await checkout(s.url, 'l.txt', AS.bob)).status, 200, 'the expired lock is replaced');
  t.is((await request(`${s.url}/files/l.txt?uncheckout&force`, { method: 'POST', headers: AS.root })).status, 204);
  const event = (name: string) => sample(s, 'kluis_domain_events_total', { event: name });
  t.is(await event('lock-taken'), 3);
  t.is(await event('lock-refreshed'), 1);
  t.is(await event('lock-released'), 1);
  t.is(await event('lock-expired'), 1);
  t.is(await event('lock-forced'), 1);
});

test('storage operation latency is recorded by backend and operation', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'x.txt', 'x');
  t.is(await sample(s, 'kluis_storage_operation_seconds_count', { backend: s.backend, op: 'blobs.stage', outcome: 'ok' }), 1);
  t.is(await sample(s, 'kluis_storage_operation_seconds_count', { backend: s.backend, op: 'records.put', outcome: 'ok' }), 1);
  t.true((await sample(s, 'kluis_storage_operation_seconds_count', { backend: s.backend, op: 'records.get', outcome: 'ok' })) >= 1);
});

test('content events: bytes stored once (blob-new), then found stored for another path (dedup-hit)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'a.txt', 'shared bytes');
  await put(s.url, 'b.txt', 'shared bytes');
  await put(s.url, 'b.txt', 'shared bytes'); // same as the current version: no new version, no commit
  t.is(await sample(s, 'kluis_domain_events_total', { event: 'blob-new' }), 1);
  t.is(await sample(s, 'kluis_domain_events_total', { event: 'dedup-hit' }), 1);
});
