/**
 * `npm run bench`: kluis as a child process on local disk against the machine's floors, every
 * figure the median of several rounds with min..max. See test/bench/README.md for what each
 * figure means and how it is measured.
 *
 * Env: KLUIS_BENCH_ROUNDS (3), KLUIS_BENCH_QUICK=1 (small sizes, 1 s runs),
 * KLUIS_BENCH_OUT (test/bench/results/latest.json), KLUIS_BENCH_ONLY (comma list of sections:
 * floors, peers, big, small, cycle, size, history, store); anything else, such as KLUIS_WORKERS,
 * reaches the server unchanged.
 *
 * Progress goes to stderr, the table to stdout; the JSON, the markdown table and the SVG plot
 * are written next to KLUIS_BENCH_OUT. Exits non-zero when any measurement fails (a non-2xx
 * answer, a wrong byte count), after writing what was measured.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/server.js';
import { removeOnSignal } from './_cleanup.js';
import { measureBySize } from './_bysize.js';
import { benchConfig, machine } from './_config.js';
import { measureFloors } from './_floors.js';
import { measureBig, measureCycle, measureSmall } from './_kluis.js';
import { markdownTable, sizeSeries, textTable } from './_report.js';
import { Results } from './_results.js';
import { sideMarkdownTable, sideSeries, sideTextTable } from './_side-by-side-report.js';
import { measureSideBySide } from './_side-by-side.js';
import { measureHistory, measureStore } from './_scaling.js';
import { startKluis, workerCount, type Kluis } from './_server.js';
import { plotSvg } from './_svg.js';
import { ensureWrk } from './_wrk.js';

const SECTIONS = ['floors', 'peers', 'big', 'small', 'cycle', 'size', 'history', 'store'] as const;
type SectionName = (typeof SECTIONS)[number];

function selected(): Set<SectionName> {
  const only = process.env.KLUIS_BENCH_ONLY;
  if (!only) return new Set(SECTIONS);
  const names = only.split(',').map((s) => s.trim());
  for (const n of names) if (!(SECTIONS as readonly string[]).includes(n)) throw new Error(`KLUIS_BENCH_ONLY: unknown section ${n} (known: ${SECTIONS.join(', ')})`);
  return new Set(names as SectionName[]);
}

async function main(): Promise<number> {
  const cfg = benchConfig();
  const only = selected();
  const wrk = ensureWrk();
  const results = new Results();
  const started = Date.now();
  const m = machine();
  let workersSeen: number | undefined;
  let failure: Error | undefined;
  const step = async (name: SectionName, what: string, fn: () => Promise<void>) => {
    if (failure || !only.has(name)) return;
    const t = Date.now();
    console.error(`[${((t - started) / 1000).toFixed(0)} s] ${what}`);
    try {
      await fn();
    } catch (err) {
      failure = err as Error;
      console.error(`FAILED in ${name}: ${failure.stack ?? failure.message}`);
    }
    results.raw.sectionSeconds ??= [];
    results.raw.sectionSeconds.push({ [name]: (Date.now() - t) / 1000 });
  };

  const dataDir = await tempDir('kluis-bench-');
  removeOnSignal(dataDir);
  let server: Kluis | undefined;
  try {
    await step('floors', 'floors: 4 KiB write+fsync, SHA-256, write+fsync, bare HTTP server', () => measureFloors(cfg, dataDir, results));
    await step('peers', 'side by side: kluis, nginx and Nephele, interleaved rounds', () => measureSideBySide(cfg, path.join(dataDir, 'peers'), results));
    if (!failure && (['big', 'small', 'cycle', 'size'] as const).some((s) => only.has(s))) {
      server = await startKluis(path.join(dataDir, 'store')).catch((err: unknown) => {
        failure = err as Error;
        console.error(`FAILED to start kluis: ${failure.message}`);
        return undefined;
      });
    }
    if (server) {
      const s = server;
      await step('big', 'big files: PUT and GET with memory', () => measureBig(cfg, s, results));
      workersSeen = await workerCount(s).catch(() => undefined);
      await step('small', 'small files: 4 KiB PUT and GET with wrk', () => measureSmall(cfg, s, results));
      await step('cycle', 'check-out → check-in cycle', () => measureCycle(cfg, s, results));
      await step('size', 'throughput by size', () => measureBySize(cfg, s, results));
      workersSeen ??= await workerCount(s).catch(() => undefined);
      if (failure) console.error(`server output (tail):\n${s.tail().slice(-4000)}`);
      await s.stop();
      server = undefined;
    }
    await step('history', `history scaling: 1 version vs ${cfg.versions}`, () => measureHistory(cfg, results));
    await step('store', `store scaling: ${cfg.smallStoreFiles} files vs ${cfg.files}`, () => measureStore(cfg, results));
  } finally {
    await server?.stop().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }

  const seconds = (Date.now() - started) / 1000;
  const header = [
    `kluis bench ${new Date().toISOString()}: node ${m.node}, ${m.cores} cores (${m.cpu}), ${m.platform}`,
    `median of ${cfg.rounds} rounds (min..max)${cfg.quick ? ', QUICK mode (small sizes, short runs)' : ''}; KLUIS_WORKERS=${cfg.workers}` +
      `${workersSeen === undefined ? '' : `, worker processes seen: ${workersSeen === 0 ? 'none (serves in one process)' : workersSeen}`}; load generator ${path.basename(wrk)}; ${seconds.toFixed(0)} s`,
  ].join('\n');
  console.log(header);
  console.log(sideTextTable(cfg, results));
  console.log(textTable(cfg, results));
  for (const n of results.notes) console.log(`note: ${n}`);

  await mkdir(path.dirname(cfg.out), { recursive: true });
  // The results speak of the project only: output files relative to the working directory.
  const files = { out: path.relative(process.cwd(), cfg.out), svg: path.relative(process.cwd(), cfg.svg), md: path.relative(process.cwd(), cfg.md) };
  const json = { date: new Date().toISOString(), machine: m, config: { ...cfg, ...files }, workersEnv: cfg.workers, workersSeen, seconds, error: failure?.message, ...results.toJSON() };
  await writeFile(cfg.out, `${JSON.stringify(json, null, 2)}\n`);
  const mdHeader = header
    .split('\n')
    .map((l) => `${l}  `)
    .join('\n');
  await writeFile(cfg.md, `${markdownTable(cfg, results, mdHeader)}\n${sideMarkdownTable(cfg, results)}`);
  const side = sideSeries(cfg, results, 1);
  const sideSvg = cfg.svg.replace(/\.svg$/, '-side-by-side.svg');
  if (side.some((s) => s.points.length > 0)) {
    await writeFile(sideSvg, plotSvg(`GET throughput by file size, c1: kluis, nginx, Nephele (${m.cores} cores)`, side));
    console.log(`side-by-side plot: ${path.relative(process.cwd(), sideSvg)}`);
  }
  const series = sizeSeries(cfg, results);
  if (series.some((s) => s.points.length > 0)) {
    await writeFile(cfg.svg, plotSvg(`kluis: PUT and GET throughput by file size (c1, ${m.cores} cores)`, series));
  }
  console.log(`\nresults: ${cfg.out}\ntable:   ${cfg.md}${series.some((s) => s.points.length > 0) ? `\nplot:    ${cfg.svg}` : ''}`);
  if (failure) console.log(`\nFAILED: ${failure.message}`);
  return failure ? 1 : 0;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  return 1;
});
