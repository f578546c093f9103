/**
 * `npm run bench`: 1 GiB PUT and GET through a real kluis process over loopback, 3 rounds
 * each, against the machine's floors measured in the same run (SHA-256 in memory, raw write +
 * fsync on the same disk). Prints medians with min..max and ratios; writes JSON to the OS temp dir.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startChild, tempDir } from '../helpers/server.js';
import { CHUNK, GIB, memory, mbps, median, putStream, row, source, timed } from './_measure.js';

const ROUNDS = 3;

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
        const before = await memory(pid, 'VmRSS');
        const seconds = await timed(async () => {
          const answer = await putStream(`${server.url}/files/bench/big-${round}.bin`, source(round), GIB);
          if (answer.status !== 201) throw new Error(`PUT ${answer.status}: ${answer.text}`);
        });
        results.put?.push(mbps(GIB, seconds));
        results.putRssGrowthMiB?.push(Math.max(0, (await memory(pid, 'VmHWM')) - before) / 2 ** 20);
        let bytes = 0;
        const getSeconds = await timed(async () => {
          bytes = await getAll(`${server.url}/files/bench/big-${round}.bin`);
        });
        if (bytes !== GIB) throw new Error(`GET returned ${bytes} bytes`);
        results.get?.push(mbps(GIB, getSeconds));
      }
    } finally {
      await server.stop('SIGTERM');
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  const r = results as Record<'sha256' | 'rawWrite' | 'put' | 'get' | 'putRssGrowthMiB', number[]>;
  console.log(`kluis bench: median of ${ROUNDS} rounds (min..max), node ${process.version}, ${os.cpus().length} cores`);
  console.log(row('floor: SHA-256 of 1 GiB in memory', r.sha256, 'MB/s'));
  console.log(row('floor: write 1 GiB + fsync', r.rawWrite, 'MB/s'));
  console.log(row('kluis PUT 1 GiB', r.put, 'MB/s', { xs: r.rawWrite, name: 'write+fsync floor' }));
  console.log(`${''.padEnd(44)}        ${(median(r.put) / median(r.sha256)).toFixed(2)}× SHA-256 floor`);
  console.log(row('kluis GET 1 GiB', r.get, 'MB/s'));
  console.log(row('server peak RSS growth during PUT', r.putRssGrowthMiB, 'MiB'));
  const out = path.join(os.tmpdir(), 'kluis-bench.json');
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, results }, null, 2));
  console.log(`results: ${out}`);
}

await main();
