/**
 * Lost updates and lock exclusion, Jepsen-style: two kluis processes share one store (a data
 * directory, or an S3 bucket), N clients hit 3 files at once through a random process per
 * request, and every acknowledged write is then looked for in the full stored history.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import test from 'ava';
import { put, request } from '../helpers/http.js';
import { startChild, tempDir } from '../helpers/server.js';
import { s3Env, s3Server } from '../s3/ceph.js';
import { checkFile, checkHolds, History, runClients, sha, type Ack, type FileReport, type Hold, type Listed } from './_history.js';

const SOAK = process.env.KLUIS_SOAK === '1';
/** Rounds of [clients, operations per client], each on fresh files. */
const ROUNDS: Array<[number, number]> = SOAK
  ? [
      [8, 60],
      [32, 20],
      [64, 12],
    ]
  : [
      [8, 10],
      [32, 2],
    ];
const FILES = 3;
/** Replay a run's choices with KLUIS_CONCURRENCY_SEED=<seed from its figures line>. */
const SEED = Number(process.env.KLUIS_CONCURRENCY_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** No background scans competing with the clients. */
const QUIET = { KLUIS_STATS_INTERVAL_SECONDS: '0', KLUIS_RETENTION_INTERVAL_SECONDS: '0' };

interface Pair {
  urls: string[];
  stop(): Promise<void>;
}

/** Two processes started at once on one store; if one fails to start, the other is stopped. */
async function startPair(dataDir: string, env: Record<string, string>, cleanup: () => Promise<void>): Promise<Pair> {
  const started = await Promise.allSettled([startChild(dataDir, env), startChild(dataDir, env)]);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await cleanup();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { urls: servers.map((s) => s.url), stop };
}

const BACKENDS: Array<{ name: string; start(): Promise<Pair> }> = [
  {
    name: 'fs',
    async start() {
      const dir = await tempDir('kluis-concurrency-');
      return startPair(dir, QUIET, () => rm(dir, { recursive: true, force: true }));
    },
  },
  {
    name: 's3',
    async start() {
      const s3 = await s3Server();
      const env = { ...s3Env(s3, 'kluis-concurrency'), KLUIS_S3_PREFIX: `run-${randomUUID()}/`, ...QUIET };
      const unused = await tempDir('kluis-concurrency-s3-');
      return startPair(unused, env, async () => {
        await rm(unused, { recursive: true, force: true });
        await s3.stop();
      });
    },
  },
];

const seedOf = (file: string): string => `seed of ${file}\n`;

/** A file's history from every server (they must agree) and every version's bytes, read 8 at a time. */
async function collect(servers: string[], file: string): Promise<{ listed: Listed[]; bytes: Map<number, string>; problems: string[] }> {
  const problems: string[] = [];
  // limit=1000: the whole history in one answer (a run writes far fewer versions per file).
  const histories = await Promise.all(servers.map((s) => request(`${s}/files/${file}?versions&limit=1000`)));
  const listed: Listed[] = histories[0]?.json?.versions ?? [];
  for (const [i, h] of histories.entries()) {
    if (h.status !== 200) problems.push(`?versions from server ${i}: ${h.status}`);
    if (h.json?.next) problems.push(`${file} has more than 1000 versions: this check reads one page`);
    if (JSON.stringify(h.json?.versions) !== JSON.stringify(listed)) problems.push(`server ${i} lists another history of ${file}`);
    if (h.json?.lock) problems.push(`${file} is still checked out after the run (server ${i})`);
  }
  const bytes = new Map<number, string>();
  const queue = listed.map((v) => v.version);
  const reader = async (worker: number) => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      const answer = await request(`${servers[(n + worker) % servers.length]}/files/${file}?version=${n}`);
      if (answer.status === 200) bytes.set(n, answer.text);
      else problems.push(`${file}?version=${n}: ${answer.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, worker) => reader(worker)));
  return { listed, bytes, problems };
}

for (const backend of BACKENDS) {
  const title = ROUNDS.map(([c]) => c).join(' then ');
  test.serial(`${backend.name}: ${title} clients on two processes: no lost, duplicated, corrupted or stale write, no double lock`, async (t) => {
    t.timeout(SOAK ? 60 * 60_000 : 150_000);
    const started = Date.now();
    const pair = await backend.start();
    t.teardown(() => pair.stop());
    const h = new History();
    const files: FileReport[] = [];
    for (const [round, [clients, opsPerClient]] of ROUNDS.entries()) {
      const names = Array.from({ length: FILES }, (_, f) => `concurrency/round-${round}/file-${f}.txt`);
      for (const [f, name] of names.entries()) t.is((await put(pair.urls[f % 2] as string, name, seedOf(name))).status, 201);
      await runClients({ servers: pair.urls, files: names, clients, opsPerClient, seed: SEED + round * 1000 }, h);
      for (const name of names) {
        const { listed, bytes, problems } = await collect(pair.urls, name);
        t.deepEqual(problems, [], `${backend.name} round ${round} ${name}`);
        const ambiguous = new Set(h.ambiguous.filter((a) => a.file === name).map((a) => a.token));
        const report = checkFile(
          seedOf(name),
          listed,
          bytes,
          h.acks.filter((a) => a.file === name),
          ambiguous,
        );
        t.deepEqual(report.problems.slice(0, 10), [], `${backend.name} round ${round} ${name} (seed ${SEED})`);
        files.push(report);
      }
    }
    const held = checkHolds(h.holds);
    t.deepEqual(held.problems.slice(0, 10), [], `${backend.name} (seed ${SEED})`);
    t.is(h.stats.serverErrors, 0);
    t.deepEqual(h.unexpected.slice(0, 10), []);
    t.is(h.acks.length, h.stats.ops - h.stats.gaveUp);
    const s = h.stats;
    const count = (key: Exclude<keyof FileReport, 'problems'>) => files.reduce((n, f) => n + f[key], 0);
    t.log(
      `${backend.name}: seed ${SEED}, 2 processes, rounds of ${ROUNDS.map(([c, o]) => `${c} clients × ${o} ops`).join(' + ')} on ${FILES} files each;`,
      `${s.ops} ops (${s.ifMatchOps} If-Match, ${s.checkoutOps} check-out), ${h.acks.length} acknowledged writes, ${s.gaveUp} gave up;`,
      `conflicts ${s.precondition412 + s.locked409} (412: ${s.precondition412}, 409 locked: ${s.locked409}), ${s.retries} retries,`,
      `${s.serverErrors} 5xx, ${s.networkErrors} network errors; versions checked ${count('versions')}: ${count('lost')} lost,`,
      `${count('duplicated')} duplicated, ${count('corrupted')} corrupted, ${count('phantom')} phantom, ${count('stale')} stale, ${count('gaps')} gaps;`,
      `${held.holds} holds: ${held.overlaps} overlapping, ${held.serverOverlaps} by server clock, ${held.intruded} intruded`,
      `(${held.outerOverlaps} benign outer overlaps); ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
}

test('the checkers catch a lost, duplicated, corrupted, phantom or stale write and a double hold', (t) => {
  const seed = 'seed\n';
  const v2 = `${seed}a\n`;
  const v3 = `${v2}b\n`;
  const listed = [3, 2, 1].map((n) => ({ version: n, sha256: sha([seed, v2, v3][n - 1] as string), size: [seed, v2, v3][n - 1]?.length ?? 0 }));
  const bytes = new Map([
    [1, seed],
    [2, v2],
    [3, v3],
  ]);
  const ack = (token: string, version: number, body: string): Ack => ({ file: 'f', kind: 'if-match', token, based: version - 1, version, sha256: sha(body) });
  const acks = [ack('a', 2, v2), ack('b', 3, v3)];
  const clean = checkFile(seed, listed, bytes, acks, new Set());
  t.deepEqual(clean.problems, []);
  t.is(checkFile(seed, listed, bytes, [...acks, ack('c', 4, `${v3}c\n`)], new Set()).lost, 1);
  t.is(checkFile(seed, listed, bytes, acks.slice(0, 1), new Set()).phantom, 1);
  t.is(checkFile(seed, listed, bytes, acks.slice(0, 1), new Set(['b'])).phantom, 0);
  t.is(checkFile(seed, listed, new Map([...bytes, [2, `${seed}A\n`]]), acks, new Set()).corrupted, 1);
  const stale = `${seed}b\n`;
  const staleListed = listed.map((v) => (v.version === 3 ? { ...v, sha256: sha(stale), size: stale.length } : v));
  const overwritten = checkFile(seed, staleListed, new Map([...bytes, [3, stale]]), [acks[0] as Ack, ack('b', 3, stale)], new Set());
  t.is(overwritten.stale, 1);
  t.is(overwritten.lost, 1);
  const dup = `${v3}a\n`;
  t.is(checkFile(seed, [{ version: 4, sha256: sha(dup), size: dup.length }, ...listed], new Map([...bytes, [4, dup]]), acks, new Set()).duplicated, 1);
  t.is(
    checkFile(
      seed,
      listed.filter((v) => v.version !== 2),
      bytes,
      acks.slice(1),
      new Set(),
    ).gaps,
    1,
  );
  const hold = (token: string, inner: [number, number], server: [number, number], v: number): Hold => ({
    file: 'f',
    token,
    inner,
    outer: [inner[0] - 1, inner[1] + 1],
    server,
    baseVersion: v - 1,
    readVersion: v - 1,
    version: v,
  });
  const sound = [hold('x', [0, 10], [100, 110], 2), hold('y', [11, 20], [110, 120], 3), hold('z', [20.5, 21], [120, 120], 4)];
  t.deepEqual(checkHolds(sound).problems, []);
  t.is(checkHolds(sound).outerOverlaps, 2);
  t.is(checkHolds([...sound.slice(0, 2), hold('z', [15, 30], [121, 130], 4)]).overlaps, 1);
  t.is(checkHolds([...sound.slice(0, 2), hold('z', [21, 30], [115, 130], 4)]).serverOverlaps, 1);
  t.is(checkHolds([...sound.slice(0, 2), { ...hold('z', [21, 30], [121, 130], 4), readVersion: 2 }]).intruded, 1);
});
