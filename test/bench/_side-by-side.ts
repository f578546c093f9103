/**
 * kluis beside nginx and Nephele (_peers.ts): the same workloads against all three, in
 * interleaved rounds (each round runs every server once, in an order rotated per round), so
 * that the machine's drift hits all of them alike. Figures are `peers.<server>.<metric>`;
 * _side-by-side-report.ts prints them with the kluis/nginx and kluis/Nephele ratios.
 *
 * Per server and round: 4 KiB PUT to new paths (c1, c16), 4 KiB GET re-reads of one file and
 * first reads of freshly uploaded files (each once), PUT to new paths and GET re-reads at
 * 64 KiB, 1 MiB and 16 MiB (c1, c16), with wrk (16 MiB PUTs with curl); 1 GiB PUT and GET with curl, and the
 * servers' peak RSS (all their processes) during the 1 GiB GET.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type BenchConfig, sizeName } from './_config.js';
import { curlGet, curlPut } from './_curl.js';
import { startBare } from './_floors.js';
import { mbps } from './_measure.js';
import { type Peer, startKluisPeer, startNephele, startNginx } from './_peers.js';
import type { Results } from './_results.js';
import { runWrk } from './_wrk.js';

const KIB = 1024;
const MIB = 1024 * KIB;
export const PEER_NAMES = ['nginx', 'Nephele', 'kluis'] as const;
export const SIDE_SIZES = [64 * KIB, MIB, 16 * MIB];

/** Upload `count` files `<folder>f<i>.bin` of `bytes` each, 8 at a time (not measured). */
async function uploadFresh(peer: Peer, folder: string, count: number, bytes: number): Promise<void> {
  await peer.folder(folder);
  let next = 0;
  const one = async () => {
    for (let i = next++; i < count; i = next++) {
      const body = Buffer.alloc(bytes, i % 251);
      body.write(`${folder}${i}\n`);
      const answer = await fetch(`${peer.base}${peer.prefix}${folder}f${i}.bin`, { method: 'PUT', body });
      await answer.arrayBuffer();
      if (answer.status < 200 || answer.status > 299) throw new Error(`${peer.name}: PUT ${folder}f${i}.bin: ${answer.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
}

async function put(peer: Peer, relative: string, bytes: number): Promise<void> {
  const answer = await fetch(`${peer.base}${peer.prefix}${relative}`, { method: 'PUT', body: Buffer.alloc(bytes, 7) });
  await answer.arrayBuffer();
  if (answer.status < 200 || answer.status > 299) throw new Error(`${peer.name}: PUT ${relative}: ${answer.status}`);
}

/** The peak RSS (sum of VmHWM over `pids`, reset first) while `work` runs, in MiB. */
async function peakRss(pids: number[], work: () => Promise<void>): Promise<number> {
  for (const pid of pids) await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {});
  await work();
  let total = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    total += Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  }
  return total / MIB;
}

/**
 * MB/s of PUTs of `bytes` to new paths under `prefix` at concurrency `c`: wrk up to 1 MiB; curl
 * beyond (wrk builds each body as a Lua string, which made it the bottleneck at 16 MiB), each of
 * `c` curl processes uploading in turn for about `seconds`.
 */
async function putRate(peer: Peer, prefix: string, bytes: number, c: number, seconds: number, r: number): Promise<number> {
  if (bytes <= MIB) {
    const w = await runWrk(peer.base, { kind: 'put-new', prefix, bytes, run: `r${r}` }, c, seconds);
    return mbps(w.requests * bytes, w.seconds);
  }
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: c }, async (_, lane) => {
      for (let n = 0; n === 0 || performance.now() - started < seconds * 1000; n++) {
        await curlPut(`${peer.base}${prefix}c${lane}-${n}.bin`, bytes, r * 100_000 + lane * 1000 + n);
        sent += bytes;
      }
    }),
  );
  return mbps(sent, (performance.now() - started) / 1000);
}

async function round(cfg: BenchConfig, peer: Peer, r: number, results: Results): Promise<void> {
  const key = (metric: string) => `peers.${peer.name}.${metric}`;
  const add = (metric: string, label: string, unit: string, value: number) => results.add(key(metric), label, unit, value);
  const base = `sbs/r${r}/`;
  const seconds = cfg.peerSeconds;
  for (const c of cfg.concurrencies) {
    const folder = `${base}put4k-c${c}/`;
    await peer.folder(folder);
    const w = await runWrk(peer.base, { kind: 'put-new', prefix: `${peer.prefix}${folder}`, bytes: cfg.smallBytes, run: `r${r}` }, c, seconds);
    add(`put.4k.c${c}`, `PUT 4 KiB new path c${c}`, 'req/s', w.rps);
    add(`put.4k.c${c}.p99`, `PUT 4 KiB new path c${c} p99`, 'ms', w.p99Ms);
  }
  await peer.folder(base);
  await put(peer, `${base}get4k.bin`, cfg.smallBytes);
  for (const c of cfg.concurrencies) {
    const w = await runWrk(peer.base, { kind: 'get', path: `${peer.prefix}${base}get4k.bin` }, c, seconds);
    add(`get.4k.c${c}`, `GET 4 KiB re-read c${c}`, 'req/s', w.rps);
    add(`get.4k.c${c}.p99`, `GET 4 KiB re-read c${c} p99`, 'ms', w.p99Ms);
  }
  for (const c of cfg.concurrencies) {
    const folder = `${base}fresh-c${c}/`;
    await uploadFresh(peer, folder, cfg.freshFiles, cfg.smallBytes);
    const w = await runWrk(peer.base, { kind: 'get-each', prefix: `${peer.prefix}${folder}`, count: cfg.freshFiles }, c, seconds);
    // Little's law: the threads stop when their files are read, so requests / duration would undercount.
    add(`get.first.c${c}`, `GET 4 KiB first read c${c}`, 'req/s', c / (w.meanMs / 1000));
    add(`get.first.c${c}.p99`, `GET 4 KiB first read c${c} p99`, 'ms', w.p99Ms);
  }
  for (const bytes of SIDE_SIZES) {
    const size = sizeName(bytes);
    const tag = size.replace(' ', '').toLowerCase();

    for (const c of cfg.concurrencies) {
      const folder = `${base}put${tag}-c${c}/`;
      await peer.folder(folder);
      add(`put.${tag}.c${c}`, `PUT ${size} new path c${c}`, 'MB/s', await putRate(peer, `${peer.prefix}${folder}`, bytes, c, seconds, r));
    }
    await put(peer, `${base}get${tag}.bin`, bytes);
    for (const c of cfg.concurrencies) {
      const w = await runWrk(peer.base, { kind: 'get', path: `${peer.prefix}${base}get${tag}.bin` }, c, seconds);
      add(`get.${tag}.c${c}`, `GET ${size} re-read c${c}`, 'MB/s', mbps(w.bytes, w.seconds));
    }
  }
  const big = cfg.bigBytes;
  const bigUrl = `${peer.base}${peer.prefix}${base}big.bin`;
  const up = await curlPut(bigUrl, big, 1000 + r);
  add('put.big', `PUT ${sizeName(big)} (curl)`, 'MB/s', mbps(big, up.seconds));
  let down = up;
  const rss = await peakRss(await peer.pids(), async () => {
    down = await curlGet(bigUrl, big);
  });
  add('get.big', `GET ${sizeName(big)} (curl)`, 'MB/s', mbps(big, down.seconds));
  add('rss.big', `peak RSS during the ${sizeName(big)} GET (all processes)`, 'MiB', rss);
}

/**
 * The streaming floor: a bare Node server reading the files nginx just served (same disk, same
 * page cache) as kluis streams a large blob, under the same GET runs. Figures `peers.floor.<metric>`.
 */
async function streamingFloor(cfg: BenchConfig, url: string, r: number, results: Results): Promise<void> {
  const base = `/sbs/r${r}/`;
  const seconds = cfg.peerSeconds;
  for (const bytes of SIDE_SIZES) {
    const size = sizeName(bytes);
    const tag = size.replace(' ', '').toLowerCase();
    for (const c of cfg.concurrencies) {
      const w = await runWrk(url, { kind: 'get', path: `${base}get${tag}.bin` }, c, seconds);
      results.add(`peers.floor.get.${tag}.c${c}`, `GET ${size} re-read c${c}`, 'MB/s', mbps(w.bytes, w.seconds));
    }
  }
  const down = await curlGet(`${url}${base}big.bin`, cfg.bigBytes);
  results.add('peers.floor.get.big', `GET ${sizeName(cfg.bigBytes)} (curl)`, 'MB/s', mbps(cfg.bigBytes, down.seconds));
}

/** Start the three servers under `dir`, run `cfg.rounds` interleaved rounds, stop them. */
export async function measureSideBySide(cfg: BenchConfig, dir: string, results: Results): Promise<void> {
  const peers: Peer[] = [];
  let floor: Awaited<ReturnType<typeof startBare>> | undefined;
  try {
    peers.push(await startNginx(path.join(dir, 'nginx')));
    floor = await startBare(0, 'file', path.join(dir, 'nginx', 'root'));
    peers.push(await startNephele(path.join(dir, 'nephele')));
    peers.push(await startKluisPeer(path.join(dir, 'kluis')));
    for (let r = 0; r < cfg.rounds; r++) {
      for (let i = 0; i < peers.length; i++) {
        const peer = peers[(i + r) % peers.length] as Peer;
        console.error(`  side by side: round ${r + 1} of ${cfg.rounds}, ${peer.name}`);
        await round(cfg, peer, r, results);
        if (peer.name === 'nginx') await streamingFloor(cfg, floor.url, r, results);
        // What nginx and Nephele wrote goes (kluis keeps its versions: its folder goes at the end).
        if (peer.name === 'nginx') await rm(path.join(dir, 'nginx', 'root', 'sbs', `r${r}`), { recursive: true, force: true });
        if (peer.name === 'Nephele') await rm(path.join(dir, 'nephele', 'sbs', `r${r}`), { recursive: true, force: true });
      }
    }
  } finally {
    for (const peer of peers) await peer.stop().catch(() => {});
    await floor?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
