/**
 * The side-by-side table: each figure's median for nginx, Nephele and kluis, the kluis/nginx and
 * kluis/Nephele ratios (throughputs: higher is better for kluis; memory and p99: lower), and
 * the target the ratio is held to, marked met or missed.
 */
import { type BenchConfig, sizeName } from './_config.js';
import { num } from './_report.js';
import type { Results } from './_results.js';
import { PEER_NAMES, SIDE_SIZES } from './_side-by-side.js';

interface Target {
  /** kluis / nginx at least this. */
  nginx?: number;
  /** kluis / Nephele above this. */
  nephele?: number;
}

/** The issue's targets: GET rows ahead of Nephele; the nginx ratios named there. */
function target(metric: string): Target | undefined {
  if (!metric.startsWith('get.') || metric.endsWith('.p99')) return undefined;
  const ahead = { nephele: 1 };
  if (metric === 'get.4k.c1' || metric === 'get.first.c1') return { ...ahead, nginx: 0.6 };
  if (metric === 'get.4k.c16' || metric === 'get.first.c16') return { ...ahead, nginx: 0.4 };
  if (metric.startsWith('get.1mib.')) return { ...ahead, nginx: 0.6 };
  if (metric === 'get.big') return { ...ahead, nginx: 0.75 };
  return ahead;
}

function metrics(cfg: BenchConfig): string[] {
  const out: string[] = [];
  for (const c of cfg.concurrencies) out.push(`put.4k.c${c}`, `put.4k.c${c}.p99`);
  for (const c of cfg.concurrencies) out.push(`get.4k.c${c}`, `get.4k.c${c}.p99`);
  for (const c of cfg.concurrencies) out.push(`get.first.c${c}`, `get.first.c${c}.p99`);
  for (const bytes of SIDE_SIZES) {
    const tag = sizeName(bytes).replace(' ', '').toLowerCase();
    for (const c of cfg.concurrencies) out.push(`put.${tag}.c${c}`);
    for (const c of cfg.concurrencies) out.push(`get.${tag}.c${c}`);
  }
  out.push('put.big', 'get.big', 'rss.big');
  return out;
}

export interface SideRow {
  label: string;
  unit: string;
  values: (number | undefined)[];
  vsNginx?: number;
  vsNephele?: number;
  verdict: string;
}

export function sideRows(cfg: BenchConfig, results: Results): SideRow[] {
  const rows: SideRow[] = [];
  const floors: SideRow[] = [];
  // The floors under kluis's small GETs (floors section, same run): bare Node HTTP, and the
  // stack kluis is built on (Koa, its router, a log line per request) with nothing of kluis.
  for (const [key, label] of [
    ['http', 'bare Node HTTP'],
    ['koa', 'Koa + router + one log line'],
  ] as const) {
    for (const c of cfg.concurrencies) {
      const floor = results.median(`floor.${key}.c${c}`);
      const nginx = results.median(`peers.nginx.get.4k.c${c}`);
      if (floor === undefined || nginx === undefined) continue;
      floors.push({ label: `floor: ${label} 4 KiB GET c${c} (one process, from memory)`, unit: 'req/s', values: [undefined, undefined, floor], vsNginx: floor / nginx, verdict: '' });
    }
  }
  // The streaming floor: bare Node reading nginx's copy of the file as kluis streams a blob.
  for (const metric of metrics(cfg)) {
    const floor = results.get(`peers.floor.${metric}`);
    const nginx = results.median(`peers.nginx.${metric}`);
    const value = results.median(`peers.floor.${metric}`);
    if (!floor || nginx === undefined || value === undefined) continue;
    floors.push({ label: `floor: bare Node streaming the file (4 MiB reads) ${floor.label}`, unit: floor.unit, values: [undefined, undefined, value], vsNginx: value / nginx, verdict: '' });
  }
  for (const metric of metrics(cfg)) {
    const keys = PEER_NAMES.map((name) => `peers.${name}.${metric}`);
    const kluis = results.get(keys[2] as string);
    if (!kluis) continue;
    const values = keys.map((k) => results.median(k));
    const ratio = (i: number) => {
      const v = values[i];
      return v ? (values[2] as number) / v : undefined;
    };
    const vsNginx = ratio(0);
    const vsNephele = ratio(1);
    const t = target(metric);
    const misses: string[] = [];
    if (t?.nginx !== undefined && vsNginx !== undefined && vsNginx < t.nginx) misses.push(`< ${t.nginx}× nginx`);
    if (t?.nephele !== undefined && vsNephele !== undefined && vsNephele <= t.nephele) misses.push('not ahead of Nephele');
    const wanted = [t?.nginx !== undefined ? `≥ ${t.nginx}× nginx` : '', t?.nephele !== undefined ? '> Nephele' : ''].filter(Boolean).join(', ');
    rows.push({ label: kluis.label, unit: kluis.unit, values, vsNginx, vsNephele, verdict: t ? `${wanted}: ${misses.length === 0 ? 'met' : `MISSED (${misses.join(', ')})`}` : '' });
  }
  return [...rows, ...floors];
}

const fmt = (n: number | undefined) => (n === undefined ? '-' : num(n));
const times = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(2)}×`);

export function sideTextTable(cfg: BenchConfig, results: Results): string {
  const rows = sideRows(cfg, results);
  if (rows.length === 0) return '';
  const lines = [
    '',
    '== side by side (medians; ratios are kluis / peer)',
    `  ${'figure'.padEnd(44)} ${'nginx'.padStart(9)} ${'Nephele'.padStart(9)} ${'kluis'.padStart(9)} unit      ${'/nginx'.padStart(7)} ${'/Nephele'.padStart(8)}  target`,
  ];
  for (const r of rows) {
    lines.push(`  ${r.label.padEnd(44)} ${r.values.map((v) => fmt(v).padStart(9)).join(' ')} ${r.unit.padEnd(9)} ${times(r.vsNginx).padStart(7)} ${times(r.vsNephele).padStart(8)}  ${r.verdict}`);
  }
  return lines.join('\n');
}

export function sideMarkdownTable(cfg: BenchConfig, results: Results): string {
  const rows = sideRows(cfg, results);
  if (rows.length === 0) return '';
  const lines = [
    '**side by side** (medians; ratios are kluis / peer)',
    '',
    '| figure | nginx | Nephele | kluis | unit | kluis/nginx | kluis/Nephele | target |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |',
  ];
  for (const r of rows) lines.push(`| ${r.label} | ${r.values.map(fmt).join(' | ')} | ${r.unit} | ${times(r.vsNginx)} | ${times(r.vsNephele)} | ${r.verdict} |`);
  return `${lines.join('\n')}\n`;
}

/** The plot's series: GET MB/s by size at `c`, one line per server (4 KiB from req/s). */
export function sideSeries(cfg: BenchConfig, results: Results, c: number): { name: string; color: string; points: { x: number; y: number; min: number; max: number }[] }[] {
  const colors = { nginx: '#2ca02c', Nephele: '#ff7f0e', kluis: '#1f77b4' };
  return PEER_NAMES.map((name) => {
    const at = (metric: string, x: number, scale: number) => {
      const f = results.get(`peers.${name}.${metric}`);
      if (!f) return [];
      return [{ x, y: (results.median(`peers.${name}.${metric}`) as number) * scale, min: Math.min(...f.values) * scale, max: Math.max(...f.values) * scale }];
    };
    return {
      name,
      color: colors[name],
      points: [
        ...at(`get.4k.c${c}`, cfg.smallBytes, cfg.smallBytes / 1e6),
        ...SIDE_SIZES.flatMap((bytes) => at(`get.${sizeName(bytes).replace(' ', '').toLowerCase()}.c${c}`, bytes, 1)),
        ...(c === 1 ? at('get.big', cfg.bigBytes, 1) : []),
      ],
    };
  });
}
