import { rm } from 'node:fs/promises';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { put, request } from '../helpers/http.js';
import { startChild, tempDir, type ChildServer } from '../helpers/server.js';

/** kluis with KLUIS_WORKERS=2: a primary and two worker processes on one port. */
async function cluster(t: ExecutionContext): Promise<ChildServer> {
  const dataDir = await tempDir('kluis-cluster-');
  const server = await startChild(dataDir, { KLUIS_WORKERS: '2' });
  t.teardown(async () => {
    await server.stop('SIGKILL');
    for (const pid of workerPids(server)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await rm(dataDir, { recursive: true, force: true });
  });
  // Both workers listen before the test starts (each compiles the TypeScript: slow on a busy machine).
  await until(() => workerPids(server).size >= 2, 'two workers listening', server);
  return server;
}

/** Wait up to a minute for `condition`; fails naming `what`, with the server's last log lines. */
async function until(condition: () => boolean, what: string, server: ChildServer): Promise<void> {
  for (const deadline = Date.now() + 60_000; !condition(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`no ${what} after 60 s; the server's log ends:\n${server.output().split('\n').slice(-20).join('\n')}`);
  }
}

/** Pids of the processes that logged "listening". */
function workerPids(server: ChildServer): Set<number> {
  const pids = new Set<number>();
  for (const line of server.output().split('\n')) {
    if (line.includes('kluis listening')) pids.add(Number(/"pid":(\d+)/.exec(line)?.[1]));
  }
  return pids;
}

/** A GET on a new connection (no keep-alive), so the primary hands each one to the next worker. */
function freshGet(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('two workers share the port and the store: both serve, a race has one winner, /metrics counts every worker', async (t) => {
  const server = await cluster(t);
  t.is(workerPids(server).size, 2);
  t.is((await put(server.url, 'race.txt', 'v1')).status, 201);
  for (let i = 0; i < 40; i++) t.is(await freshGet(server.url, '/files/race.txt'), 200);
  const served = new Set<number>();
  for (const line of server.output().split('\n')) {
    if (line.includes('"path":"/files/race.txt"') && line.includes('"method":"GET"')) served.add(Number(/"pid":(\d+)/.exec(line)?.[1]));
  }
  t.is(served.size, 2, 'requests on new connections reach both workers');

  const etag = (await request(`${server.url}/files/race.txt`)).headers.get('etag') as string;
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => put(server.url, 'race.txt', `writer ${i}`, { 'If-Match': etag })));
  t.is(answers.filter((a) => a.status === 200).length, 1);
  t.is(answers.filter((a) => a.status === 412).length, 29);

  const metrics = (await request(`${server.url}/metrics`)).text;
  const gets = Number(/kluis_http_requests_total\{method="GET",route="\/files\/\{path\}",status="200"\} (\d+)/.exec(metrics)?.[1]);
  t.true(gets >= 41, `the counter sums both workers: ${gets}`);
});

test('a worker that dies is replaced; SIGTERM to the primary drains every worker and exits 0', async (t) => {
  const server = await cluster(t);
  const [victim] = [...workerPids(server)];
  process.kill(victim as number, 'SIGKILL');
  await until(() => workerPids(server).size >= 3, 'third worker', server);
  t.is(workerPids(server).size, 3, 'a third worker was started');
  t.regex(server.output(), /worker died; starting another/);
  for (let i = 0; i < 10; i++) t.is((await put(server.url, `after-${i}.txt`, 'x')).status, 201, `PUT after-${i}.txt`);

  const workers = [...workerPids(server)].filter((pid) => pid !== victim);
  t.is(await server.stop('SIGTERM'), 0, 'the primary exits 0 after SIGTERM');
  for (let i = 0; i < 200 && workers.some(alive); i++) await sleep(50);
  t.deepEqual(workers.filter(alive), [], 'no worker outlives the primary');
  t.regex(server.output(), /every worker stopped/, 'the primary says every worker stopped');
});
