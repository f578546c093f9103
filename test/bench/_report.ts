/**
 * The run's table: sections of rows, each the median of its rounds with min..max and, where a
 * reference exists, a ratio. Rendered as text for stdout and as markdown for pasting.
 */
import { sizeName, type BenchConfig } from './_config.js';
import { sizeKey } from './_bysize.js';
import type { Results } from './_results.js';

interface Ratio {
  /** The reference figure's key. */
  ref: string;
  /** What the ratio is called, e.g. "of write+fsync floor". */
  name: string;
  /**
   * `value`: this / ref (a throughput as a share of its floor, or a latency slowdown);
   * `cost`: ref / this (a throughput's slowdown: how many times longer one request takes).
   */
  kind: 'value' | 'cost';
  /** Flag the ratio when its cost exceeds this. */
  target?: number;
}

interface Row {
  key: string;
  ratios?: Ratio[];
}

interface Section {
  title: string;
  rows: Row[];
}

const floorOf = (ref: string, name: string): Ratio => ({ ref, name: `of ${name}`, kind: 'value' });
const costVs = (ref: string, name: string): Ratio => ({ ref, name, kind: 'cost', target: 1.2 });
const slowerVs = (ref: string, name: string): Ratio => ({ ref, name, kind: 'value', target: 1.2 });

export function sections(cfg: BenchConfig): Section[] {
  const small: Row[] = [];
  for (const c of cfg.concurrencies) {
    small.push({ key: `small.put.c${c}`, ratios: [floorOf('floor.fsync4k', 'write+fsync 4 KiB floor')] }, { key: `small.put.c${c}.p50` }, { key: `small.put.c${c}.p99` });
  }
  for (const c of cfg.concurrencies) {
    small.push({ key: `small.get.c${c}`, ratios: [floorOf(`floor.http.c${c}`, `bare HTTP c${c}`)] }, { key: `small.get.c${c}.p50` }, { key: `small.get.c${c}.p99` });
  }
  const v = `${cfg.versions}-version/1-version`;
  const v100 = `${cfg.versions}-version/100-version (same page size)`;
  const s = `${cfg.files}-file/${cfg.smallStoreFiles}-file`;
  return [
    {
      title: 'floors',
      rows: [
        'floor.fsync4k',
        'floor.fsync4k.p50',
        'floor.sha256',
        'floor.write',
        ...['http', 'koa'].flatMap((f) => cfg.concurrencies.flatMap((c) => [`floor.${f}.c${c}`, `floor.${f}.c${c}.p50`, `floor.${f}.c${c}.p99`])),
      ].map((key) => ({ key })),
    },
    {
      title: 'big files',
      rows: [
        { key: 'big.put', ratios: [floorOf('floor.write', 'write+fsync floor'), floorOf('floor.sha256', 'SHA-256 floor')] },
        { key: 'big.get' },
        { key: 'big.put.rss.worker' },
        { key: 'big.put.rss.total' },
      ],
    },
    { title: 'small files', rows: small },
    { title: 'cycle', rows: [{ key: 'cycle', ratios: [floorOf('floor.fsync4k', 'write+fsync 4 KiB floor')] }, { key: 'cycle.p50' }, { key: 'cycle.p99' }] },
    {
      title: 'scaling (ratios: cost of the big case over the small one; target ≤ 1.2×)',
      rows: [
        { key: 'scale.hist.seed' },
        { key: 'scale.hist.put.v1' },
        { key: 'scale.hist.put.vN', ratios: [costVs('scale.hist.put.v1', v)] },
        { key: 'scale.hist.put.v1.p50' },
        { key: 'scale.hist.put.vN.p50', ratios: [slowerVs('scale.hist.put.v1.p50', v)] },
        { key: 'scale.hist.versions.v1' },
        { key: 'scale.hist.versions.v100' },
        { key: 'scale.hist.versions.vN', ratios: [costVs('scale.hist.versions.v1', v), costVs('scale.hist.versions.v100', v100)] },
        { key: 'scale.hist.versions.v1.p50' },
        { key: 'scale.hist.versions.v100.p50' },
        { key: 'scale.hist.versions.vN.p50', ratios: [slowerVs('scale.hist.versions.v1.p50', v), slowerVs('scale.hist.versions.v100.p50', v100)] },
        { key: 'scale.store.small.seed' },
        { key: 'scale.store.big.seed' },
        { key: 'scale.store.small.put' },
        { key: 'scale.store.big.put', ratios: [costVs('scale.store.small.put', s)] },
        { key: 'scale.store.small.put.p50' },
        { key: 'scale.store.big.put.p50', ratios: [slowerVs('scale.store.small.put.p50', s)] },
        { key: 'scale.store.small.versions' },
        { key: 'scale.store.big.versions', ratios: [costVs('scale.store.small.versions', s)] },
        { key: 'scale.store.small.versions.p50' },
        { key: 'scale.store.big.versions.p50', ratios: [slowerVs('scale.store.small.versions.p50', s)] },
      ],
    },
    { title: 'by size (c1)', rows: cfg.sizes.flatMap((b) => [{ key: sizeKey(b, 'put') }, { key: sizeKey(b, 'get') }]) },
  ];
}

/** 3 significant figures, without exponent. */
export function num(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

interface Cells {
  label: string;
  median: string;
  unit: string;
  range: string;
  ratios: string;
}

function cells(results: Results, row: Row): Cells | undefined {
  const f = results.get(row.key);
  if (!f || f.values.length === 0) return undefined;
  const ratios = (row.ratios ?? []).flatMap((r) => {
    const x = results.ratio(row.key, r.ref);
    if (x === undefined) return [];
    const value = r.kind === 'cost' ? 1 / x : x;
    const flag = r.target !== undefined && value > r.target ? ' (over target)' : '';
    return [`${value.toFixed(2)}× ${r.name}${flag}`];
  });
  return {
    label: f.label,
    median: num(results.median(row.key) as number),
    unit: f.unit,
    range: `${num(Math.min(...f.values))}..${num(Math.max(...f.values))}`,
    ratios: ratios.join('; '),
  };
}

export function textTable(cfg: BenchConfig, results: Results): string {
  const lines: string[] = [];
  for (const section of sections(cfg)) {
    const rows = section.rows.flatMap((r) => cells(results, r) ?? []);
    if (rows.length === 0) continue;
    lines.push('', `== ${section.title}`);
    for (const c of rows) lines.push(`  ${c.label.padEnd(52)} ${c.median.padStart(9)} ${c.unit.padEnd(9)} (${c.range})${c.ratios ? `  ${c.ratios}` : ''}`);
  }
  return lines.join('\n');
}

export function markdownTable(cfg: BenchConfig, results: Results, header: string): string {
  const lines = [`${header}`, ''];
  for (const section of sections(cfg)) {
    const rows = section.rows.flatMap((r) => cells(results, r) ?? []);
    if (rows.length === 0) continue;
    lines.push(`**${section.title}**`, '', '| figure | median | unit | min..max | ratio |', '| --- | ---: | --- | --- | --- |');
    for (const c of rows) lines.push(`| ${c.label} | ${c.median} | ${c.unit} | ${c.range} | ${c.ratios} |`);
    lines.push('');
  }
  if (results.notes.length > 0) lines.push('Notes:', '', ...results.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** The SVG's series from the by-size figures. */
export function sizeSeries(cfg: BenchConfig, results: Results): { name: string; color: string; points: { x: number; y: number; min: number; max: number }[] }[] {
  return (['put', 'get'] as const).map((op) => ({
    name: op.toUpperCase(),
    color: op === 'put' ? '#d62728' : '#1f77b4',
    points: cfg.sizes.flatMap((x) => {
      const f = results.get(sizeKey(x, op));
      if (!f) return [];
      return [{ x, y: results.median(sizeKey(x, op)) as number, min: Math.min(...f.values), max: Math.max(...f.values) }];
    }),
  }));
}

export const sizesLabel = (cfg: BenchConfig): string => cfg.sizes.map(sizeName).join(', ');
