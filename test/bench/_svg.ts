/**
 * A hand-written SVG line plot: log-scale x axis (bytes, one tick per measured size), linear y
 * axis (MB/s), one line per series with min..max whiskers at each point, axis labels, legend.
 */
import { sizeName } from './_config.js';

export interface Point {
  x: number;
  y: number;
  min: number;
  max: number;
}

export interface Series {
  name: string;
  color: string;
  points: Point[];
}

const W = 760;
const H = 460;
const M = { left: 80, right: 150, top: 50, bottom: 70 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (n: number) => n.toFixed(1);

/** A "nice" step (1, 2 or 5 × 10^k) giving about `ticks` ticks up to `max`. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function plotSvg(title: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error('nothing to plot');
  const xs = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  const lx0 = Math.log2(xs[0] as number);
  const lx1 = Math.log2(xs.at(-1) as number);
  const step = niceStep(Math.max(...all.map((p) => p.max), 1), 6);
  const yMax = Math.ceil(Math.max(...all.map((p) => p.max), 1) / step) * step;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + (lx1 === lx0 ? pw / 2 : ((Math.log2(x) - lx0) / (lx1 - lx0)) * pw);
  const sy = (y: number) => M.top + ph - (y / yMax) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${M.top - 22}" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // y grid and labels
  for (let y = 0; y <= yMax + 1e-9; y += step) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${f(sy(y))}" y2="${f(sy(y))}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 8}" y="${f(sy(y) + 4)}" text-anchor="end">${Number(y.toPrecision(6))}</text>`);
  }
  // x ticks (log scale): one per measured size
  for (const x of xs) {
    out.push(`<line x1="${f(sx(x))}" x2="${f(sx(x))}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(sx(x))}" y="${M.top + ph + 18}" text-anchor="middle">${esc(sizeName(x))}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 22}" text-anchor="middle">file size (log scale)</text>`);
  out.push(`<text transform="translate(22 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">throughput, MB/s (median; whiskers min..max)</text>`);
  // series
  for (const s of series) {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${pts.map((p) => `${f(sx(p.x))},${f(sy(p.y))}`).join(' ')}"/>`);
    for (const p of pts) {
      const x = f(sx(p.x));
      out.push(`<line x1="${x}" x2="${x}" y1="${f(sy(p.min))}" y2="${f(sy(p.max))}" stroke="${s.color}" stroke-width="1.2"/>`);
      out.push(
        `<circle cx="${x}" cy="${f(sy(p.y))}" r="4" fill="${s.color}"><title>${esc(`${s.name} ${sizeName(p.x)}: ${p.y.toFixed(1)} MB/s (${p.min.toFixed(1)}..${p.max.toFixed(1)})`)}</title></circle>`,
      );
    }
  }
  // legend
  series.forEach((s, i) => {
    const y = M.top + 20 + i * 22;
    const x = M.left + pw + 20;
    out.push(`<line x1="${x}" x2="${x + 28}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2.5"/>`);
    out.push(`<circle cx="${x + 14}" cy="${y}" r="4" fill="${s.color}"/>`);
    out.push(`<text x="${x + 36}" y="${y + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
