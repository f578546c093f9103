/**
 * What the benchmarks share: generated bodies that are never held whole, timing, process
 * memory from /proc, and a table row of median (min..max) with an optional ratio.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { Readable } from 'node:stream';

export const GIB = 2 ** 30;
export const CHUNK = 1 << 20;

/** `bytes` (whole chunks) of distinct content for `seed`, generated as it is read; from chunk `first` on (a slice of a longer body). */
export function source(seed: number, bytes = GIB, first = 0): Readable {
  const chunk = Buffer.alloc(CHUNK, seed);
  let sent = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= bytes) return void this.push(null);
      const c = Buffer.from(chunk);
      c.writeUInt32BE(first + sent / CHUNK, 0);
      c.writeUInt32BE(seed, 4);
      sent += CHUNK;
      this.push(c);
    },
  });
}

/** Seconds `fn` took. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;
/** The median (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A process's resident set (VmRSS) or its peak so far (VmHWM), in bytes. */
export async function memory(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]) * 1024;
}

/** PUT `body` of `length` bytes to `url`; resolves with the answer's status and text. */
export function putStream(url: string, body: Readable, length: number): Promise<{ status: number; text: string }> {
  return send(url, 'PUT', body, { 'Content-Length': String(length) });
}

/** `method` with `body` to `url`; resolves with the answer's status, text and headers. */
export function send(url: string, method: string, body: Readable, headers: Record<string, string>): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    body.pipe(req);
  });
}

/** `name  median unit  (min..max)  ratio× reference` */
export function row(name: string, xs: number[], unit: string, reference?: { xs: number[]; name: string }): string {
  const ratio = reference ? `  ${(median(xs) / median(reference.xs)).toFixed(2)}× ${reference.name}` : '';
  return `${name.padEnd(44)} ${median(xs).toFixed(0).padStart(6)} ${unit}  (${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)})${ratio}`;
}
