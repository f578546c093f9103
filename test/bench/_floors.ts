/**
 * The machine's floors, measured in the same run and data dir as kluis, so every kluis figure
 * can be read as a fraction of what the hardware allows:
 *
 * - write + fsync + rename of a 4 KiB file + fsync of its directory, sequential (what one
 *   durable small write costs at least);
 * - SHA-256 of 1 GiB in memory (a PUT hashes every byte);
 * - write 1 GiB + fsync, streamed in 1 MiB chunks as kluis streams a body;
 * - a bare Node HTTP server answering 4 KiB from memory, under the same wrk runs as kluis;
 * - the same answer through Koa, @koa/router and one pino line per request (kluis's stack, nothing of kluis).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { killOnExit } from './_cleanup.js';
import { msSince, quantile } from './_client.js';
import { sizeName, type BenchConfig } from './_config.js';
import { CHUNK, mbps, source, timed } from './_measure.js';
import type { Results } from './_results.js';
import { runWrk } from './_wrk.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Sequential durable 4 KiB writes for `seconds`: ops/s and the p50 of one. */
export async function fsyncFloor(dir: string, bytes: number, seconds: number): Promise<{ ops: number; opsPerSecond: number; p50Ms: number }> {
  await mkdir(dir, { recursive: true });
  const data = Buffer.alloc(bytes, 'f');
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; msSince(start) < seconds * 1000; i++) {
    const t = process.hrtime.bigint();
    data.writeUInt32BE(i, 0);
    const temp = path.join(dir, `tmp-${i}`);
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path.join(dir, `f-${i}`));
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    latencies.push(msSince(t));
  }
  const elapsed = msSince(start) / 1000;
  await rm(dir, { recursive: true, force: true });
  return { ops: latencies.length, opsPerSecond: latencies.length / elapsed, p50Ms: quantile(latencies, 0.5) };
}

/** SHA-256 of `bytes` in memory (one 1 MiB buffer hashed over and over): MB/s. */
export async function shaFloor(bytes: number): Promise<number> {
  const chunk = Buffer.alloc(CHUNK, 7);
  return mbps(
    bytes,
    await timed(async () => {
      const hash = createHash('sha256');
      for (let sent = 0; sent < bytes; sent += CHUNK) hash.update(chunk);
      hash.digest();
    }),
  );
}

/** Stream `bytes` to a new file in `dir` and fsync it: MB/s. */
export async function writeFloor(dir: string, bytes: number, seed: number): Promise<number> {
  const file = path.join(dir, `raw-${seed}`);
  try {
    return mbps(bytes, await timed(() => pipeline(source(seed, bytes), createWriteStream(file, { flush: true, highWaterMark: CHUNK }))));
  } finally {
    await rm(file, { force: true });
  }
}

/** Start the bare HTTP server (a child process); resolves with its URL and a stop function. */
export async function startBare(bytes: number, stack: 'node' | 'koa' | 'file' = 'node', dir = ''): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, '_bare-server.ts')], {
    env: { ...process.env, BARE_BYTES: String(bytes), BARE_STACK: stack, BARE_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const forget = killOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve())).finally(forget);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const listening = (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (!m) return;
      resolve(Number(m[1]));
      // What follows (the Koa floor's log lines) is read and dropped, never kept.
      child.stdout.off('data', listening);
      child.stdout.resume();
    };
    child.stdout.on('data', listening);
    void exited.then(() => reject(new Error(`the bare HTTP server exited before listening: ${out}`)));
    setTimeout(() => reject(new Error('the bare HTTP server did not listen within 30 s')), 30_000).unref();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** All floors, `cfg.rounds` rounds each, into `results` (keys `floor.*`). */
export async function measureFloors(cfg: BenchConfig, dataDir: string, results: Results): Promise<void> {
  for (let round = 0; round < cfg.rounds; round++) {
    const f = await fsyncFloor(path.join(dataDir, `floor-fsync-${round}`), cfg.smallBytes, cfg.seconds);
    results.add('floor.fsync4k', 'write+fsync+rename 4 KiB (+dir fsync)', 'ops/s', f.opsPerSecond, f);
    results.add('floor.fsync4k.p50', 'write+fsync+rename 4 KiB p50', 'ms', f.p50Ms);
    results.add('floor.sha256', `SHA-256 of ${sizeName(cfg.bigBytes)} in memory`, 'MB/s', await shaFloor(cfg.bigBytes));
    results.add('floor.write', `write ${sizeName(cfg.bigBytes)} + fsync`, 'MB/s', await writeFloor(dataDir, cfg.bigBytes, 200 + round));
  }
  const stacks = [
    { stack: 'node', key: 'floor.http', label: 'bare Node HTTP', path: '/' },
    { stack: 'koa', key: 'floor.koa', label: 'Koa + router + log line', path: '/files/x.bin' },
  ] as const;
  for (const { stack, key, label, path: target } of stacks) {
    const bare = await startBare(cfg.smallBytes, stack);
    try {
      for (let round = 0; round < cfg.rounds; round++) {
        for (const c of cfg.concurrencies) {
          const r = await runWrk(bare.url, { kind: 'get', path: target }, c, cfg.seconds);
          results.add(`${key}.c${c}`, `${label} 4 KiB GET c${c}`, 'req/s', r.rps, r);
          results.add(`${key}.c${c}.p50`, `${label} 4 KiB GET c${c} p50`, 'ms', r.p50Ms);
          results.add(`${key}.c${c}.p99`, `${label} 4 KiB GET c${c} p99`, 'ms', r.p99Ms);
        }
      }
    } finally {
      await bare.stop();
    }
  }
}
