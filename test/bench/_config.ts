/**
 * The bench's settings, all from the environment:
 *
 * - `KLUIS_BENCH_ROUNDS` rounds per figure (default 3); every figure is printed as the median
 *   of its rounds with min..max.
 * - `KLUIS_BENCH_QUICK=1` small sizes and short runs, for working on the harness itself.
 * - `KLUIS_BENCH_OUT` the JSON file of raw figures (default test/bench/results/latest.json);
 *   the SVG plot and the markdown table go next to it.
 * - everything else (`KLUIS_WORKERS`, `KLUIS_LOG_LEVEL`, …) reaches the server unchanged.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIB } from './_measure.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface BenchConfig {
  quick: boolean;
  rounds: number;
  /** Seconds of each wrk run. */
  seconds: number;
  /** Seconds of each wrk run of the by-size section. */
  sizeSeconds: number;
  /** Seconds of each wrk run of the side-by-side section, per server. */
  peerSeconds: number;
  /** Files uploaded per first-read run of the side-by-side section. */
  freshFiles: number;
  /** The "big file" size (1 GiB; 64 MiB in quick mode). */
  bigBytes: number;
  /** Small-request body size (4 KiB). */
  smallBytes: number;
  /** Concurrencies of the small-request runs. */
  concurrencies: number[];
  /** Seconds of each check-out/check-in cycle run. */
  cycleSeconds: number;
  /** Versions of the long-history file and files of the big store (with their directories). */
  versions: number;
  files: number;
  dirs: number;
  /** Files of the small store. */
  smallStoreFiles: number;
  /** Uploads timed per round in the scaling runs (each to a file of known history). */
  scalingUploads: number;
  /** Concurrency of seeding. */
  seedConcurrency: number;
  /** The throughput-by-size sizes; sizes up to `wrkMaxBytes` are driven by wrk. */
  sizes: number[];
  wrkMaxBytes: number;
  /** Bytes moved per round at least, for sizes driven by a Node client. */
  minBytesPerRound: number;
  /** Output files. */
  out: string;
  svg: string;
  md: string;
  /** `KLUIS_WORKERS` as set, or "default". */
  workers: string;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function benchConfig(): BenchConfig {
  const quick = process.env.KLUIS_BENCH_QUICK === '1';
  const out = path.resolve(process.env.KLUIS_BENCH_OUT ?? path.join(HERE, 'results', 'latest.json'));
  const dir = path.dirname(out);
  return {
    quick,
    rounds: positiveInt('KLUIS_BENCH_ROUNDS', 3),
    seconds: quick ? 1 : 5,
    sizeSeconds: quick ? 1 : 3,
    peerSeconds: quick ? 1 : 2,
    freshFiles: quick ? 200 : 2000,
    bigBytes: quick ? 64 * MIB : GIB,
    smallBytes: 4 * KIB,
    concurrencies: [1, 16],
    cycleSeconds: quick ? 1 : 5,
    versions: quick ? 500 : 10_000,
    files: quick ? 2_000 : 100_000,
    dirs: quick ? 20 : 100,
    smallStoreFiles: 10,
    scalingUploads: quick ? 30 : 200,
    seedConcurrency: 16,
    sizes: quick ? [4 * KIB, 64 * KIB, MIB, 16 * MIB, 64 * MIB] : [4 * KIB, 64 * KIB, MIB, 16 * MIB, 256 * MIB, GIB],
    wrkMaxBytes: MIB,
    minBytesPerRound: quick ? 16 * MIB : 64 * MIB,
    out,
    svg: path.join(dir, 'throughput.svg'),
    md: path.join(dir, `${path.basename(out, '.json')}.md`),
    workers: process.env.KLUIS_WORKERS || 'default',
  };
}

/** "4 KiB", "1 MiB", "1 GiB". */
export function sizeName(bytes: number): string {
  if (bytes >= GIB && bytes % GIB === 0) return `${bytes / GIB} GiB`;
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB} MiB`;
  if (bytes >= KIB && bytes % KIB === 0) return `${bytes / KIB} KiB`;
  return `${bytes} B`;
}

/** What the header line says about the machine. */
export function machine(): { node: string; cores: number; cpu: string; platform: string } {
  return { node: process.version, cores: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.release()}` };
}
