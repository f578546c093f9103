/**
 * kluis figures on one server: big files (PUT and GET of 1 GiB, with the server tree's peak
 * memory growth during the PUT), small files (4 KiB PUT to new paths and GET of one file, with
 * wrk at each concurrency), and the check-out → check-in cycle.
 */
import { Client, msSince, quantile } from './_client.js';
import { sizeName, type BenchConfig } from './_config.js';
import { curlGet, curlPut } from './_curl.js';
import { mbps } from './_measure.js';
import { treeGrowthDuring } from './_procs.js';
import type { Results } from './_results.js';
import type { Kluis } from './_server.js';
import { runWrk } from './_wrk.js';

/** 1 GiB (cfg.bigBytes) PUT and GET per round, and the server's peak RSS growth during the PUT. */
export async function measureBig(cfg: BenchConfig, server: Kluis, results: Results): Promise<void> {
  const size = sizeName(cfg.bigBytes);
  for (let round = 0; round < cfg.rounds; round++) {
    const target = `/files/big/r${round}.bin`;
    let seconds = 0;
    const memory = await treeGrowthDuring(server.pid, async () => {
      seconds = (await curlPut(`${server.url}${target}`, cfg.bigBytes, round)).seconds;
    });
    results.add('big.put', `PUT ${size}`, 'MB/s', mbps(cfg.bigBytes, seconds));
    results.add('big.put.rss.worker', `server peak RSS growth during PUT, per worker (max)`, 'MiB', memory.maxPerWorkerMiB, memory);
    results.add('big.put.rss.total', `server peak RSS growth during PUT, process tree (sum)`, 'MiB', memory.totalMiB);
    const getSeconds = (await curlGet(`${server.url}${target}`, cfg.bigBytes)).seconds;
    results.add('big.get', `GET ${size}`, 'MB/s', mbps(cfg.bigBytes, getSeconds));
  }
  const growth = results.get('big.put.rss.worker')?.values ?? [];
  if (growth.length > 1 && (growth[0] as number) > 2 * Math.max(...growth.slice(1)) + 8) {
    results.note(
      `the first ${size} PUT grew its worker by ${(growth[0] as number).toFixed(0)} MiB, later ones by at most ${Math.max(...growth.slice(1)).toFixed(0)} MiB (each curl transfer is a new connection, so with several workers the rounds alternate between them): a fresh process's heap grows to a plateau on its first big uploads`,
    );
  }
}

/**
 * The harness's own check that a wrk PUT run wrote a new file per request: the directory lists
 * at least the answered requests, and at most those plus the ones in flight when wrk stopped.
 */
async function checkCreated(server: Kluis, dir: string, answered: number, connections: number): Promise<void> {
  const client = new Client(server.url, 1);
  try {
    const listing = JSON.parse((await client.ok('GET', dir)).body.toString()) as { entries?: unknown[] };
    const n = listing.entries?.length ?? 0;
    if (n < answered || n > answered + connections) throw new Error(`${dir} lists ${n} files after ${answered} answered PUTs (c${connections}): paths were not unique`);
  } finally {
    client.close();
  }
}

/** 4 KiB durable PUT (each to a new path) and GET of one file, at each concurrency, with wrk. */
export async function measureSmall(cfg: BenchConfig, server: Kluis, results: Results): Promise<void> {
  const client = new Client(server.url, 1);
  try {
    await client.ok('PUT', '/files/small/get.bin', { 'Content-Type': 'application/octet-stream' }, Buffer.alloc(cfg.smallBytes, 'g'));
  } finally {
    client.close();
  }
  for (let round = 0; round < cfg.rounds; round++) {
    for (const c of cfg.concurrencies) {
      const put = await runWrk(server.url, { kind: 'put-new', prefix: `/files/small/r${round}c${c}/`, bytes: cfg.smallBytes, run: `r${round}` }, c, cfg.seconds);
      if (round === 0) await checkCreated(server, `/files/small/r${round}c${c}/`, put.requests, c);
      results.add(`small.put.c${c}`, `PUT 4 KiB new path c${c}`, 'req/s', put.rps, put);
      results.add(`small.put.c${c}.p50`, `PUT 4 KiB new path c${c} p50`, 'ms', put.p50Ms);
      results.add(`small.put.c${c}.p99`, `PUT 4 KiB new path c${c} p99`, 'ms', put.p99Ms);
      const get = await runWrk(server.url, { kind: 'get', path: '/files/small/get.bin' }, c, cfg.seconds);
      results.add(`small.get.c${c}`, `GET 4 KiB c${c}`, 'req/s', get.rps, get);
      results.add(`small.get.c${c}.p50`, `GET 4 KiB c${c} p50`, 'ms', get.p50Ms);
      results.add(`small.get.c${c}.p99`, `GET 4 KiB c${c} p99`, 'ms', get.p99Ms);
    }
  }
}

/** Body of `bytes` bytes starting with `tag` (so every upload is new content). */
export function taggedBody(tag: string, bytes: number): Buffer {
  const body = Buffer.alloc(bytes, 'x');
  body.write(`${tag}\n`);
  return body;
}

/**
 * Check-out → upload → check-in at concurrency 1 for cfg.cycleSeconds: `CHECKOUT` (the JSON
 * answer carries the token), then `PUT ?checkin` with `Lock-Token: <token>` and a new 4 KiB
 * body. Cycles go round 16 existing files so that no history grows long.
 */
export async function measureCycle(cfg: BenchConfig, server: Kluis, results: Results): Promise<void> {
  const client = new Client(server.url, 1);
  const FILES = 16;
  try {
    for (let round = 0; round < cfg.rounds; round++) {
      const file = (i: number) => `/files/cycle/r${round}/f${i % FILES}.bin`;
      for (let i = 0; i < FILES; i++) await client.ok('PUT', file(i), { 'Content-Type': 'application/octet-stream' }, taggedBody(`seed-${i}`, cfg.smallBytes));
      const latencies: number[] = [];
      const start = process.hrtime.bigint();
      for (let i = 0; msSince(start) < cfg.cycleSeconds * 1000; i++) {
        const t = process.hrtime.bigint();
        const out = await client.ok('CHECKOUT', file(i));
        const token = String((JSON.parse(out.body.toString()) as { token?: unknown }).token ?? '').replace(/^<|>$/g, '');
        if (!token) throw new Error(`CHECKOUT ${file(i)} answered no token: ${out.body.toString()}`);
        const body = taggedBody(`cycle-${round}-${i}`, cfg.smallBytes);
        const checkin = await client.ok('PUT', `${file(i)}?checkin`, { 'Lock-Token': `<${token}>`, 'Content-Type': 'application/octet-stream' }, body);
        const answer = JSON.parse(checkin.body.toString()) as { released?: unknown };
        if (answer.released !== true) throw new Error(`PUT ${file(i)}?checkin did not release the lock: ${checkin.body.toString()}`);
        latencies.push(msSince(t));
      }
      const seconds = msSince(start) / 1000;
      const p50 = quantile(latencies, 0.5);
      const p99 = quantile(latencies, 0.99);
      results.add('cycle', 'check-out → PUT ?checkin, c1', 'cycles/s', latencies.length / seconds, { cycles: latencies.length, seconds, p50Ms: p50, p99Ms: p99 });
      results.add('cycle.p50', 'cycle p50', 'ms', p50);
      results.add('cycle.p99', 'cycle p99', 'ms', p99);
    }
  } finally {
    client.close();
  }
}
