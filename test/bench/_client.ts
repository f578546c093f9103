/**
 * A Node HTTP client on a keep-alive agent, for what wrk cannot do: requests that depend on
 * an earlier answer (check-out then check-in), counted runs, streamed big bodies, seeding.
 */
import http from 'node:http';
import type { Readable } from 'node:stream';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class Client {
  readonly agent: http.Agent;

  constructor(
    readonly base: string,
    sockets = 16,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** One request with an optional in-memory body; resolves with the whole answer. */
  send(method: string, target: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.base + target, { method, agent: this.agent, headers: { ...headers, 'Content-Length': String(body?.length ?? 0) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** `send`, failing unless the status is 2xx. */
  async ok(method: string, target: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Reply> {
    const reply = await this.send(method, target, headers, body);
    if (reply.status < 200 || reply.status > 299) throw new Error(`${method} ${target}: ${reply.status} ${reply.body.toString().slice(0, 500)}`);
    return reply;
  }

  /** PUT a streamed body of `length` bytes; fails unless 2xx. */
  putStream(target: string, body: Readable, length: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.base + target, { method: 'PUT', agent: this.agent, headers: { 'Content-Length': String(length), 'Content-Type': 'application/octet-stream' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const reply = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
          if (reply.status < 200 || reply.status > 299) reject(new Error(`PUT ${target}: ${reply.status} ${reply.body.toString().slice(0, 500)}`));
          else resolve(reply);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      body.on('error', reject);
      body.pipe(req);
    });
  }

  /** GET `target`, counting the body's bytes without keeping them; fails unless 200. */
  getCount(target: string): Promise<number> {
    return new Promise((resolve, reject) => {
      http
        .get(this.base + target, { agent: this.agent }, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${target}: ${res.statusCode}`))));
          res.on('error', reject);
        })
        .on('error', reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Run `task(i)` for i in [0, count) with `concurrency` in flight; reports progress to stderr. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>, label?: string): Promise<void> {
  let next = 0;
  let done = 0;
  const started = Date.now();
  let reported = started;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
      done++;
      if (label && Date.now() - reported > 10_000) {
        reported = Date.now();
        process.stderr.write(`  ${label}: ${done}/${count} (${((done / (reported - started)) * 1000).toFixed(0)}/s)\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Milliseconds since `start` (from process.hrtime.bigint()). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** The q-quantile (0..1) of `xs` (nearest rank). */
export function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
