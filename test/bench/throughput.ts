/**
 * `npm run bench`: 1 GiB PUT and GET through a real kluis process over loopback, 3 rounds
 * each, against the machine's floors measured in the same run (SHA-256 in memory, raw write +
 * fsync on the same disk). Prints medians with min..max and ratios; writes JSON to the OS temp dir.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { startChild, tempDir } from '../helpers/server.js';

const GIB = 2 ** 30;
const CHUNK = 1 << 20;
const ROUNDS = 3;

/** 1 GiB of distinct chunks for round `seed`, generated as it is read. */
function source(seed: number): Readable {
  const chunk = Buffer.alloc(CHUNK, seed);
  let sent = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= GIB) return void this.push(null);
      const c = Buffer.from(chunk);
      c.writeUInt32BE(sent / CHUNK, 0);
      c.writeUInt32BE(seed, 4);
      sent += CHUNK;
      this.push(c);
    },
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const mbps = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1]) * 1024;
}
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]) * 1024;
}

function putGiB(url: string, seed: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { 'Content-Length': String(GIB) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 || res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${res.statusCode}`))));
    });
    req.on('error', reject);
    source(seed).pipe(req);
  });
}

function getAll(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    });
  });
}

async function main(): Promise<void> {
  const dataDir = await tempDir('kluis-bench-');
  const results: Record<string, number[]> = { sha256: [], rawWrite: [], put: [], get: [], putRssGrowthMiB: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      results.sha256?.push(
        mbps(GIB, await timed(async () => {
          const hash = createHash('sha256');
          for await (const c of source(100 + round)) hash.update(c as Buffer);
          hash.digest();
        })),
      );
      const raw = path.join(dataDir, `raw-${round}`);
      results.rawWrite?.push(mbps(GIB, await timed(() => pipeline(source(200 + round), createWriteStream(raw, { flush: true, highWaterMark: CHUNK })))));
      await rm(raw);
    }
    const server = await startChild(dataDir);
    const pid = server.child.pid as number;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const before = await rss(pid);
        results.put?.push(mbps(GIB, await timed(() => putGiB(`${server.url}/files/bench/big-${round}.bin`, round))));
        results.putRssGrowthMiB?.push((Math.max(0, (await peakRss(pid)) - before)) / 2 ** 20);
        let bytes = 0;
        const seconds = await timed(async () => {
          bytes = await getAll(`${server.url}/files/bench/big-${round}.bin`);
        });
        if (bytes !== GIB) throw new Error(`GET returned ${bytes} bytes`);
        results.get?.push(mbps(GIB, seconds));
      }
    } finally {
      await server.stop('SIGTERM');
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  const row = (name: string, xs: number[], unit: string, floor?: number[]) => {
    const ratio = floor ? `  ${(median(xs) / median(floor)).toFixed(2)}× floor` : '';
    return `${name.padEnd(34)} ${median(xs).toFixed(0).padStart(6)} ${unit}  (${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)})${ratio}`;
  };
  const r = results as Record<'sha256' | 'rawWrite' | 'put' | 'get' | 'putRssGrowthMiB', number[]>;
  console.log(`kluis bench: median of ${ROUNDS} rounds (min..max), node ${process.version}, ${os.cpus().length} cores`);
  console.log(row('floor: SHA-256 of 1 GiB in memory', r.sha256, 'MB/s'));
  console.log(row('floor: write 1 GiB + fsync', r.rawWrite, 'MB/s'));
  console.log(row('kluis PUT 1 GiB', r.put, 'MB/s', r.rawWrite));
  console.log(`${''.padEnd(34)}        ${(median(r.put) / median(r.sha256)).toFixed(2)}× SHA-256 floor`);
  console.log(row('kluis GET 1 GiB', r.get, 'MB/s'));
  console.log(row('server peak RSS growth during PUT', r.putRssGrowthMiB, 'MiB'));
  const out = path.join(os.tmpdir(), 'kluis-bench.json');
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, results }, null, 2));
  console.log(`results: ${out}`);
}

await main();
