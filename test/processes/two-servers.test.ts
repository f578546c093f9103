import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import test from 'ava';
import { checkout, put, request } from '../helpers/http.js';
import { startChild, tempDir, type ChildServer } from '../helpers/server.js';

/** Two server processes on one data directory: as safe as one. */
async function twoServers(t: { teardown(fn: () => Promise<void>): void }): Promise<[ChildServer, ChildServer]> {
  const dataDir = await tempDir('kluis-two-');
  const a = await startChild(dataDir);
  const b = await startChild(dataDir);
  t.teardown(async () => {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await rm(dataDir, { recursive: true, force: true });
  });
  return [a, b];
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('50 PUTs with the same If-Match across two processes: exactly one 2xx, the rest 412', async (t) => {
  const servers = await twoServers(t);
  const first = await put(servers[0].url, 'race/if-match.txt', 'v1');
  t.is(first.status, 201);
  const etag = first.headers.get('etag') as string;
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => put(servers[i % 2 === 0 ? 0 : 1].url, 'race/if-match.txt', `writer ${i}`, { 'If-Match': etag })));
  const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
  t.is(ok.length, 1);
  t.is(answers.filter((a) => a.status === 412).length, 49);
  for (const server of servers) {
    const history = (await request(`${server.url}/files/race/if-match.txt?versions`)).json;
    t.deepEqual(
      history.versions.map((v: { version: number }) => v.version),
      [2, 1],
    );
    t.is(history.versions[0].sha256, ok[0]?.json.sha256);
  }
});

test('20 CHECKOUTs across two processes: exactly one 200, the rest 409 locked', async (t) => {
  const servers = await twoServers(t);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => checkout(servers[i % 2 === 0 ? 0 : 1].url, 'race/lock.txt')));
  const winners = answers.filter((a) => a.status === 200);
  t.is(winners.length, 1);
  t.true(answers.filter((a) => a.status !== 200).every((a) => a.status === 409 && a.json.code === 'locked'));
  const lock = (await request(`${servers[1].url}/files/race/lock.txt?lock`)).json;
  t.is(lock.expiresAt, winners[0]?.json.expiresAt);
});

test('40 unconditional PUTs across two processes: all acknowledged, versions gapless, each exactly once', async (t) => {
  const servers = await twoServers(t);
  t.is((await put(servers[0].url, 'race/all.txt', 'seed')).status, 201);
  const bodies = Array.from({ length: 40 }, (_, i) => `body ${i} ${'x'.repeat(i * 100)}`);
  const answers = await Promise.all(bodies.map((body, i) => put(servers[i % 2 === 0 ? 0 : 1].url, 'race/all.txt', body)));
  t.true(answers.every((a) => a.status === 200));
  const history = (await request(`${servers[0].url}/files/race/all.txt?versions`)).json;
  const numbers = history.versions.map((v: { version: number }) => v.version).reverse();
  t.deepEqual(
    numbers,
    Array.from({ length: 41 }, (_, i) => i + 1),
  );
  const listed = history.versions.map((v: { sha256: string }) => v.sha256);
  for (const [i, answer] of answers.entries()) {
    t.is(answer.json.sha256, sha(bodies[i] as string));
    t.is(listed.filter((s: string) => s === answer.json.sha256).length, 1);
    const back = await request(`${servers[i % 2 === 0 ? 1 : 0].url}/files/race/all.txt?version=${answer.json.version}`);
    t.is(sha(back.text), answer.json.sha256);
  }
});
