/**
 * Scaling: what an upload and a `?versions` read cost as a file's history and the store grow.
 *
 * - history: one store holding a file of cfg.versions versions, a file of 1 version and one of
 *   100 (a full first page; both read only), and per round cfg.scalingUploads files of 1 version (each uploaded to once, so every
 *   timed upload meets a 1-version file); uploads to the long file keep it at ≥ cfg.versions.
 * - store size: a store of 10 files and one of cfg.files files (cfg.dirs directories), both
 *   `store/d<i % dirs>/f<i>.bin`; uploads go to new paths in those directories.
 *
 * Uploads are 4 KiB PUTs at concurrency 1 from a keep-alive Node client, a counted number per
 * round (req/s and p50); reads are wrk GETs of `?versions` (the first page) at concurrency 1.
 * Seeding goes over HTTP at cfg.seedConcurrency with small bodies. The two stores' servers run
 * at once; within a round the two cases of a pair run one after the other, in alternating order,
 * so drift in the machine's load (and whichever runs first) hits both alike.
 */
import { mkdir, rm } from 'node:fs/promises';
import { tempDir } from '../helpers/server.js';
import { removeOnSignal } from './_cleanup.js';
import { Client, msSince, pool, quantile } from './_client.js';
import type { BenchConfig } from './_config.js';
import { taggedBody } from './_kluis.js';
import type { Results } from './_results.js';
import { startKluis, type Kluis } from './_server.js';
import { runWrk } from './_wrk.js';

const TYPE = { 'Content-Type': 'application/octet-stream' };

/** `count` timed 4 KiB PUTs at c1, the i-th to `target(i)`: req/s and p50 (ms). */
async function timedUploads(client: Client, count: number, bytes: number, target: (i: number) => string, tag: string): Promise<{ rps: number; p50Ms: number; p99Ms: number; count: number }> {
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    await client.ok('PUT', target(i), TYPE, taggedBody(`${tag}-${i}`, bytes));
    latencies.push(msSince(t));
  }
  return { rps: count / (msSince(start) / 1000), p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), count };
}

/** Seed `count` uploads, the i-th to `target(i)`, at `concurrency`; returns the seconds it took. */
async function seed(client: Client, count: number, concurrency: number, target: (i: number) => string, label: string): Promise<number> {
  const start = process.hrtime.bigint();
  await pool(count, concurrency, (i) => client.ok('PUT', target(i), TYPE, taggedBody(`seed-${i}`, 64)).then(() => {}), label);
  const seconds = msSince(start) / 1000;
  console.error(`  ${label}: ${count} in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)}/s)`);
  return seconds;
}

/** How many versions a `?versions` answer lists. */
async function versionsListed(client: Client, file: string): Promise<number> {
  const reply = await client.ok('GET', `${file}?versions`);
  return ((JSON.parse(reply.body.toString()) as { versions?: unknown[] }).versions ?? []).length;
}

/** `a` then `b` in even rounds, `b` then `a` in odd ones, so neither always runs first. */
async function alternate(round: number, a: () => Promise<void>, b: () => Promise<void>): Promise<void> {
  for (const f of round % 2 === 0 ? [a, b] : [b, a]) await f();
}

/** A wrk c1 GET of `?versions` of `file`, recorded under `key` (req/s) and `key`.p50. */
async function versionsRead(server: Kluis, cfg: BenchConfig, results: Results, file: string, key: string, label: string): Promise<void> {
  const r = await runWrk(server.url, { kind: 'get', path: `${file}?versions` }, 1, cfg.seconds);
  results.add(key, `?versions of ${label} c1`, 'req/s', r.rps, r);
  results.add(`${key}.p50`, `?versions of ${label} p50`, 'ms', r.p50Ms);
}

interface Side {
  name: string;
  server: Kluis;
  client: Client;
}

async function startSide(name: string, dirs: string[], cfg: BenchConfig): Promise<Side> {
  const dir = await tempDir(`kluis-bench-${name}-`);
  dirs.push(dir);
  removeOnSignal(dir);
  await mkdir(dir, { recursive: true });
  const server = await startKluis(dir);
  return { name, server, client: new Client(server.url, cfg.seedConcurrency) };
}

async function stopSides(sides: Side[], dirs: string[]): Promise<void> {
  for (const side of sides) {
    side.client.close();
    await side.server.stop().catch((err: unknown) => console.error(`stopping ${side.name}: ${(err as Error).message}`));
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}

/** Upload and ?versions cost for a 1-version file versus a cfg.versions-version file. */
export async function measureHistory(cfg: BenchConfig, results: Results): Promise<void> {
  const dirs: string[] = [];
  const sides: Side[] = [];
  try {
    const side = await startSide('history', dirs, cfg);
    sides.push(side);
    const { client, server } = side;
    const long = '/files/hist/long.bin';
    const single = '/files/hist/single.bin';
    // A full first page (100 versions): tells the cost of a longer answer from that of a longer history.
    const hundred = '/files/hist/hundred.bin';
    const one = (round: number) => (i: number) => `/files/hist/one/r${round}/f${i}.bin`;
    await client.ok('PUT', single, TYPE, taggedBody('single', cfg.smallBytes));
    // Versions of one file: every write of the file takes its record lock, so concurrency
    // mostly queues; seeded at the configured concurrency anyway, as the brief asks.
    const seedVersions = await seed(client, cfg.versions, cfg.seedConcurrency, () => long, `seeding ${cfg.versions} versions of one file`);
    for (let round = 0; round < cfg.rounds; round++) await seed(client, cfg.scalingUploads, cfg.seedConcurrency, one(round), `seeding ${cfg.scalingUploads} 1-version files`);
    await seed(client, 100, cfg.seedConcurrency, () => hundred, 'seeding 100 versions of one file');
    const listed = { single: await versionsListed(client, single), hundred: await versionsListed(client, hundred), long: await versionsListed(client, long) };
    results.add('scale.hist.seed', `seeding ${cfg.versions} versions of one file`, 's', seedVersions, { listed });
    if (listed.long > 100) results.note(`?versions of a ${cfg.versions}-version file listed ${listed.long} versions (not paginated to 100 yet)`);
    for (let round = 0; round < cfg.rounds; round++) {
      const short = async () => {
        const u = await timedUploads(client, cfg.scalingUploads, cfg.smallBytes, one(round), `r${round}`);
        results.add('scale.hist.put.v1', 'PUT 4 KiB to a 1-version file c1', 'req/s', u.rps, u);
        results.add('scale.hist.put.v1.p50', 'PUT to a 1-version file p50', 'ms', u.p50Ms);
        await versionsRead(server, cfg, results, single, 'scale.hist.versions.v1', 'a 1-version file');
        await versionsRead(server, cfg, results, hundred, 'scale.hist.versions.v100', 'a 100-version file');
      };
      const longer = async () => {
        const u = await timedUploads(client, cfg.scalingUploads, cfg.smallBytes, () => long, `r${round}`);
        results.add('scale.hist.put.vN', `PUT 4 KiB to a ${cfg.versions}-version file c1`, 'req/s', u.rps, u);
        results.add('scale.hist.put.vN.p50', `PUT to a ${cfg.versions}-version file p50`, 'ms', u.p50Ms);
        await versionsRead(server, cfg, results, long, 'scale.hist.versions.vN', `a ${cfg.versions}-version file`);
      };
      await alternate(round, short, longer);
    }
  } finally {
    await stopSides(sides, dirs);
  }
}

/** Upload (to new paths) and ?versions cost in a store of 10 files versus one of cfg.files files. */
export async function measureStore(cfg: BenchConfig, results: Results): Promise<void> {
  const dirs: string[] = [];
  const sides: Side[] = [];
  try {
    const stores = [
      { key: 'small', files: cfg.smallStoreFiles },
      { key: 'big', files: cfg.files },
    ];
    for (const store of stores) {
      const side = await startSide(`store-${store.key}`, dirs, cfg);
      sides.push(side);
      const spread = Math.min(cfg.dirs, store.files);
      const seconds = await seed(side.client, store.files, cfg.seedConcurrency, (i) => `/files/store/d${i % spread}/f${i}.bin`, `seeding a store of ${store.files} files`);
      results.add(`scale.store.${store.key}.seed`, `seeding ${store.files} files`, 's', seconds);
    }
    for (let round = 0; round < cfg.rounds; round++) {
      const measure = (n: number) => async () => {
        const store = stores[n] as (typeof stores)[number];
        const side = sides[n] as Side;
        const spread = Math.min(cfg.dirs, store.files);
        const u = await timedUploads(side.client, cfg.scalingUploads, cfg.smallBytes, (i) => `/files/store/d${i % spread}/new-r${round}-${i}.bin`, `r${round}`);
        const label = `${store.files}-file store`;
        results.add(`scale.store.${store.key}.put`, `PUT 4 KiB new path, ${label} c1`, 'req/s', u.rps, u);
        results.add(`scale.store.${store.key}.put.p50`, `PUT new path, ${label} p50`, 'ms', u.p50Ms);
        const r = await runWrk(side.server.url, { kind: 'get', path: '/files/store/d0/f0.bin?versions' }, 1, cfg.seconds);
        results.add(`scale.store.${store.key}.versions`, `?versions, ${label} c1`, 'req/s', r.rps, r);
        results.add(`scale.store.${store.key}.versions.p50`, `?versions, ${label} p50`, 'ms', r.p50Ms);
      };
      await alternate(round, measure(0), measure(1));
    }
  } finally {
    await stopSides(sides, dirs);
  }
}
