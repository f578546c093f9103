import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { AS, assertProblem, makeUsers, sha256hex } from './_support.js';

const DAY = 86_400_000;

async function pinned(s: TestServer, file: string, headers: Record<string, string> = {}): Promise<number[]> {
  const h = await request(`${s.url}/files/${file}?versions`, { headers });
  return h.json.versions.filter((v: { pinned?: boolean }) => v.pinned).map((v: { version: number }) => v.version);
}

function runRetention(s: TestServer, headers: Record<string, string> = {}) {
  return request(`${s.url}/admin/retention`, { method: 'POST', headers });
}

test('POST ?pin=N marks version N pinned (200, idempotent), ?unpin=N clears it; no new version', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'p.txt', 'one');
  await put(s.url, 'p.txt', 'two');
  const pin = await request(`${s.url}/files/p.txt?pin=1`, { method: 'POST' });
  t.is(pin.status, 200);
  t.like(pin.json, { version: 1, pinned: true, sha256: sha256hex('one') });
  t.is((await request(`${s.url}/files/p.txt?pin=1`, { method: 'POST' })).status, 200);
  t.deepEqual(await pinned(s, 'p.txt'), [1]);
  t.is((await request(`${s.url}/files/p.txt?versions`)).json.versions.length, 2, 'no version was added');
  const unpin = await request(`${s.url}/files/p.txt?unpin=1`, { method: 'POST' });
  t.is(unpin.status, 200);
  t.is(unpin.json.pinned, undefined);
  t.deepEqual(await pinned(s, 'p.txt'), []);
  // Pinning changes no content: it needs no lock, and it leaves someone's check-out in place.
  const lock = await checkout(s.url, 'p.txt');
  t.is(lock.status, 200);
  t.is((await request(`${s.url}/files/p.txt?pin=2`, { method: 'POST' })).status, 200);
  t.deepEqual(await pinned(s, 'p.txt'), [2]);
  t.is((await request(`${s.url}/files/p.txt?lock`)).json?.baseVersion, 2, 'the check-out stays');
});

test('pin refusals: missing version 404, delete marker 400, both or neither of pin/unpin 400, read-only 403', async (t) => {
  const s = await startServer({ users: await makeUsers() });
  t.teardown(() => s.close());
  await put(s.url, 'q.txt', 'one', AS.alice);
  await request(`${s.url}/files/q.txt`, { method: 'DELETE', headers: AS.alice });
  assertProblem(t, await request(`${s.url}/files/q.txt?pin=9`, { method: 'POST', headers: AS.alice }), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/q.txt?pin=2`, { method: 'POST', headers: AS.alice }), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/files/q.txt?pin=1&unpin=1`, { method: 'POST', headers: AS.alice }), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/files/q.txt?pin=x`, { method: 'POST', headers: AS.alice }), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/files/q.txt?pin=1`, { method: 'POST', headers: AS.reader }), 403, 'forbidden');
  t.deepEqual(await pinned(s, 'q.txt', AS.alice), []);
});

test('retention keeps the last N, pinned and current versions; pruned ones answer 410 and cannot be restored', async (t) => {
  const s = await startServer({ retention: [{ prefix: 'logs/', keepLast: 2 }] });
  t.teardown(() => s.close());
  for (const text of ['v1', 'v2', 'v3', 'v4', 'v5']) await put(s.url, 'logs/app.log', text);
  await put(s.url, 'other/a.txt', 'a1');
  await put(s.url, 'other/a.txt', 'a2');
  t.is((await request(`${s.url}/files/logs/app.log?pin=2`, { method: 'POST' })).status, 200);

  const pass = await runRetention(s);
  t.is(pass.status, 200, pass.text);
  t.like(pass.json, { files: 1, versions: 2, bytes: 4 });
  const history = (await request(`${s.url}/files/logs/app.log?versions`)).json.versions;
  t.deepEqual(
    history.map((v: { version: number; pruned?: boolean; pinned?: boolean }) => [v.version, v.pruned === true, v.pinned === true]),
    [
      [5, false, false],
      [4, false, false],
      [3, true, false],
      [2, false, true],
      [1, true, false],
    ],
  );
  assertProblem(t, await request(`${s.url}/files/logs/app.log?version=1`), 410, 'version-pruned');
  assertProblem(t, await request(`${s.url}/files/logs/app.log?restore=3`, { method: 'POST' }), 410, 'version-pruned');
  assertProblem(t, await request(`${s.url}/files/logs/app.log?pin=3`, { method: 'POST' }), 410, 'version-pruned');
  t.is((await request(`${s.url}/files/logs/app.log?version=2`)).text, 'v2', 'the pinned version still reads');
  t.is((await request(`${s.url}/files/logs/app.log`)).text, 'v5');
  t.is((await request(`${s.url}/files/other/a.txt?versions`)).json.versions.length, 2, 'no rule, nothing pruned');
  t.like((await runRetention(s)).json, { versions: 0 }, 'a second pass finds nothing more');
});

test('retention by age: versions older than keepDays go, the current one stays however old', async (t) => {
  const s = await startServer({ retention: [{ prefix: '', keepDays: 7 }] });
  t.teardown(() => s.close());
  await put(s.url, 'old.txt', 'o1');
  await put(s.url, 'old.txt', 'o2');
  s.advance(10 * DAY);
  await put(s.url, 'young.txt', 'y1');
  await put(s.url, 'young.txt', 'y2');
  t.like((await runRetention(s)).json, { files: 1, versions: 1 });
  assertProblem(t, await request(`${s.url}/files/old.txt?version=1`), 410, 'version-pruned');
  t.is((await request(`${s.url}/files/old.txt`)).text, 'o2');
  t.is((await request(`${s.url}/files/young.txt?version=1`)).text, 'y1');
});

test('running retention on demand needs an admin when users are configured', async (t) => {
  const s = await startServer({ users: await makeUsers(), retention: [{ prefix: '', keepLast: 1 }] });
  t.teardown(() => s.close());
  assertProblem(t, await runRetention(s), 401, 'unauthorized');
  assertProblem(t, await runRetention(s, AS.alice), 403, 'forbidden');
  t.is((await runRetention(s, AS.root)).status, 200);
});
