/**
 * `npm run bench:uploads`: a resumable (tus) upload of 1 GiB in 8 MiB PATCHes beside a plain
 * PUT of 1 GiB, through one kluis process, on local disk and on S3 (a Ceph RGW started here,
 * memstore), in alternating rounds; medians with min..max and the tus/PUT ratio, with the peak
 * RSS growth of each (the kernel's peak is reset before each upload). Every upload's SHA-256
 * is checked against what was sent. `KLUIS_BENCH_ROUNDS` (default 3); `KLUIS_BENCH_ONLY=fs`
 * or `s3` for one backend. Exits non-zero if a check fails.
 */
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { startChild, tempDir } from '../helpers/server.js';
import { s3Env, startCeph } from '../s3/ceph.js';
import { CHUNK, GIB, mbps, memory, putStream, row, send, source, timed } from './_measure.js';

const ROUNDS = Number(process.env.KLUIS_BENCH_ROUNDS ?? 3);
const PATCH = 8 * CHUNK;
const TUS = { 'Tus-Resumable': '1.0.0' };

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** Peak RSS growth of `pid` while `fn` runs (MiB), and fn's seconds. */
async function watched(pid: number, fn: () => Promise<void>): Promise<{ seconds: number; mib: number }> {
  await writeFile(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
  const before = await memory(pid, 'VmRSS');
  const seconds = await timed(fn);
  return { seconds, mib: Math.max(0, (await memory(pid, 'VmHWM')) - before) / 2 ** 20 };
}

/** The SHA-256 of what `source(seed)` sends. */
async function expected(seed: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source(seed)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function tus(base: string, path: string, seed: number): Promise<string> {
  const meta = `path ${Buffer.from(path).toString('base64')}`;
  const made = await send(`${base}/uploads/`, 'POST', source(seed, 0), { ...TUS, 'Upload-Length': String(GIB), 'Upload-Metadata': meta, 'Content-Length': '0' });
  check(made.status === 201, `tus creation: ${made.status} ${made.text}`);
  const url = `${base}${made.headers.location}`;
  let version = '';
  for (let offset = 0; offset < GIB; offset += PATCH) {
    const body = source(seed, PATCH, offset / CHUNK);
    const answer = await send(url, 'PATCH', body, { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(PATCH) });
    check(answer.status === 204, `PATCH at ${offset}: ${answer.status} ${answer.text}`);
    version = String(answer.headers['file-version'] ?? '');
  }
  return version;
}

async function shaOf(base: string, path: string): Promise<string> {
  const answer = await fetch(`${base}/files/${path}?versions`);
  return ((await answer.json()) as { versions: { sha256: string }[] }).versions[0]?.sha256 ?? '';
}

async function run(backend: 'fs' | 's3', teardowns: (() => Promise<unknown>)[]): Promise<void> {
  const dataDir = await tempDir('kluis-bench-uploads-');
  teardowns.push(() => rm(dataDir, { recursive: true, force: true }));
  let env: Record<string, string> = {};
  if (backend === 's3') {
    const s3 = await startCeph({ memstoreBytes: 8 * GIB });
    teardowns.push(() => s3.stop());
    env = s3Env(s3, 'kluis-bench-uploads');
  }
  const server = await startChild(dataDir, env);
  teardowns.push(() => server.stop('SIGKILL'));
  const pid = server.child.pid as number;
  check((await putStream(`${server.url}/files/warm-up.bin`, source(0, 8 * CHUNK), 8 * CHUNK)).status === 201, 'warm-up PUT');
  const r: Record<'put' | 'tus' | 'putMib' | 'tusMib', number[]> = { put: [], tus: [], putMib: [], tusMib: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which goes first, so neither always meets a warmer (or fuller) store.
    const order = round % 2 === 1 ? (['put', 'tus'] as const) : (['tus', 'put'] as const);
    for (const kind of order) {
      const seed = round * 10 + (kind === 'put' ? 1 : 2);
      const path = `${kind}-${round}.bin`;
      const out = await watched(pid, async () => {
        if (kind === 'put') check((await putStream(`${server.url}/files/${path}`, source(seed), GIB)).status === 201, 'PUT');
        else check((await tus(server.url, path, seed)) === '1', 'the last PATCH made version 1');
      });
      check((await shaOf(server.url, path)) === (await expected(seed)), `${kind}: the stored SHA-256 is not what was sent`);
      r[kind].push(mbps(GIB, out.seconds));
      r[kind === 'put' ? 'putMib' : 'tusMib'].push(out.mib);
      await fetch(`${server.url}/files/${path}`, { method: 'DELETE' });
    }
    console.log(`${backend} round ${round}: PUT ${r.put.at(-1)?.toFixed(0)} MB/s, tus ${r.tus.at(-1)?.toFixed(0)} MB/s`);
  }
  const put = { xs: r.put, name: 'PUT' };
  console.log(`\nkluis bench:uploads on ${backend}, 1 GiB, tus in ${PATCH / CHUNK} MiB PATCHes; median of ${ROUNDS} rounds (min..max)`);
  console.log(row('plain PUT', r.put, 'MB/s'));
  console.log(row('tus upload (create + 128 PATCHes + commit)', r.tus, 'MB/s', put));
  console.log(row('peak RSS growth, PUT', r.putMib, 'MiB'));
  console.log(row('peak RSS growth, tus', r.tusMib, 'MiB'));
  console.log('');
}

const teardowns: (() => Promise<unknown>)[] = [];
try {
  const only = process.env.KLUIS_BENCH_ONLY;
  for (const backend of ['fs', 's3'] as const) if (!only || only === backend) await run(backend, teardowns);
} finally {
  for (const fn of teardowns.reverse()) await fn().catch(() => {});
}
