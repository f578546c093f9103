/**
 * The kill -9 loop's parts (not a test file): a fast-starting server process, one-connection
 * HTTP calls that tell "no answer" apart, and clients that write the {@link Ledger} of what the
 * server acknowledged. The checks after each restart are in _crash-check.ts.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build, type Plugin } from 'esbuild';
import { ROOT, waitForListening } from '../helpers/server.js';
import { tracked } from '../helpers/children.js';

export const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** What a version holds, as `<sha256>:<size>`. */
export const id = (sha256: string, size: number): string => `${sha256}:${size}`;
const idOf = (data: Buffer): string => id(sha(data), data.length);

/** A CHECKOUT asks for `Second-(LOCK_BASE + seq)`: expiresAt − createdAt then names the request that made a lock. */
export const LOCK_BASE = 100_000;
const DIR = 'crash';
const SLOTS = 12;
const MAX_BODY = 4 << 20;

/**
 * src/main.ts bundled into one ES module by esbuild (the transform tsx applies on the fly),
 * without the S3 backend, which this local-disk loop never opens: it starts in about 0.17 s
 * instead of 0.42 s under tsx (0.25 s with S3), which is what lets the loop kill 200 times.
 */
export async function bundleServer(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'main.mjs');
  const noS3: Plugin = {
    name: 'no-s3',
    setup(b) {
      b.onResolve({ filter: /storage\/s3\/index\.js$/ }, () => ({ path: 's3', namespace: 'no-s3' }));
      b.onLoad({ filter: /.*/, namespace: 'no-s3' }, () => ({ contents: 'export function openS3Storage() { throw new Error("S3 is not in this bundle"); }', loader: 'js' }));
    },
  };
  await build({
    entryPoints: [path.join(ROOT, 'src/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    plugins: [noS3],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}

export interface Proc {
  url: string;
  /** Its staging directory name under tmp/. */
  session: string;
  startMs: number;
  /** SIGKILL, resolved once the process is gone: with what it said last if it had ended on its own. */
  kill(): Promise<string | undefined>;
}

/** The bundled server on `dataDir`; its session is the tmp/ entry that appeared while it started. */
export async function launch(entry: string, dataDir: string, env: Record<string, string>): Promise<Proc> {
  const before = new Set(await readdir(path.join(dataDir, 'tmp')).catch(() => []));
  const started = performance.now();
  const child = tracked(
    spawn(process.execPath, [entry], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KLUIS_DATA_DIR: dataDir, KLUIS_LOG_FORMAT: 'json', KLUIS_WORKERS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const { port, exited, output } = await waitForListening(child);
  const startMs = performance.now() - started;
  const fresh = (await readdir(path.join(dataDir, 'tmp'))).filter((e) => !e.endsWith('.lock') && !before.has(e));
  if (fresh.length !== 1) throw new Error(`cannot tell the new session apart: ${fresh.join(', ')}`);
  const kill = async () => {
    child.kill('SIGKILL'); // nothing if it is gone already
    await exited;
    if (child.signalCode === 'SIGKILL') return undefined;
    return `exited on its own (code ${child.exitCode}, signal ${child.signalCode}) saying …${output().slice(-3000)}`;
  };
  return { url: `http://127.0.0.1:${port}`, session: fresh[0] as string, startMs, kill };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: any;
}

/**
 * One request on its own connection. Resolves null when the connection dies without a whole
 * answer (the server was killed). `half`: send half the body, then wait for the kill.
 */
export function call(base: string, method: string, target: string, headers: Record<string, string> = {}, body?: Buffer, half = false): Promise<Reply | null> {
  return new Promise((resolve) => {
    const sized = body ? { 'Content-Length': String(body.length) } : {};
    const req = http.request(`${base}${target}`, { method, agent: false, headers: { ...sized, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        let json: unknown;
        try {
          if (/json/.test(res.headers['content-type'] ?? '')) json = JSON.parse(data.toString('utf8'));
        } catch {} // left undefined: the checks then report the answer
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json });
      });
      res.on('error', () => resolve(null));
      res.on('close', () => resolve(null)); // no-op once 'end' resolved
    });
    req.on('error', () => resolve(null));
    if (!body) req.end();
    else if (half) req.write(body.subarray(0, body.length >> 1));
    else req.end(body);
  });
}

/** A version answered 2xx; content is `<sha256>:<size>`, null for a delete marker. */
export type Ack = { path: string; version: number; content: string | null };

export interface Checkout {
  seq: number;
  path: string;
  /** sent: no answer yet (or never: the server died). */
  state: 'sent' | 'acked' | 'refused';
  token?: string;
  expiresAt?: string;
}

export type OpKind = 'put' | 'multipart' | 'checkout' | 'checkin' | 'delete' | 'restore' | 'unlock';

/** What the clients were told, and what the checks learned since. */
export class Ledger {
  readonly slots = Array.from({ length: SLOTS }, (_, i) => `${DIR}/s${i}-g0.bin`);
  private generation = 0;
  seq = 0;
  /** Paths a request was sent for since the last check: no other path can have changed. */
  readonly touched = new Set<string>();
  /** Acknowledged since the last check. */
  pending: Ack[] = [];
  readonly acks: Ack[] = [];
  readonly checkouts = new Map<number, Checkout>();
  /** Per path: the acknowledged lock that no acknowledged release ended. */
  readonly open = new Map<string, Checkout>();
  /** Tokens of releases (check-in, unlock) sent and not answered. */
  readonly releasing = new Set<string>();
  /** Bodies that were only half sent: never a version. */
  readonly never = new Set<string>();
  /** Per path, version → `<sha256>:<size>` (null: marker), as read back once; history never changes. */
  readonly history = new Map<string, Map<number, string | null>>();
  /** CHECKOUTs whose lock was made but whose answer the kill cut off (nobody has the token). */
  readonly orphaned = new Set<number>();
  readonly problems: string[] = [];
  readonly statuses = new Map<number, number>();
  /** Requests without an answer (in flight at a kill), by kind. */
  readonly unanswered = new Map<OpKind, number>();
  ops = 0;
  maxMs = 0;
  slowOps = 0;

  pick(): string {
    const p = this.slots[randomInt(this.slots.length)] as string;
    this.touched.add(p);
    return p;
  }

  /** Replace a path that holds a lock nobody has the token of. */
  retire(p: string): void {
    const i = this.slots.indexOf(p);
    if (i >= 0) this.slots[i] = `${DIR}/s${i}-g${++this.generation}.bin`;
  }

  /** Count an answer (or its absence) and its latency. */
  note(kind: OpKind, reply: Reply | null, ms: number): void {
    this.ops++;
    if (!reply) this.unanswered.set(kind, (this.unanswered.get(kind) ?? 0) + 1);
    else this.statuses.set(reply.status, (this.statuses.get(reply.status) ?? 0) + 1);
    this.maxMs = Math.max(this.maxMs, ms);
    if (ms >= 1000) this.slowOps++;
  }

  ack(p: string, version: number, content: string | null, sent: string | null, what: string): void {
    if (content !== sent) this.problems.push(`${what} ${p} v${version} acknowledged ${content}, sent ${sent}`);
    const a = { path: p, version, content };
    this.pending.push(a);
    this.acks.push(a);
  }
}

const POOL = Array.from({ length: 6 }, () => randomBytes(randomInt(1, 256 * 1024)));

/** 1 B to 4 MiB, log-uniform; some bodies repeat (the dedup path of commit). */
export function content(): Buffer {
  if (randomInt(100) < 15) return POOL[randomInt(POOL.length)] as Buffer;
  return randomBytes(Math.max(1, Math.floor(Math.exp(Math.random() * Math.log(MAX_BODY)))));
}

export function multipartBody(files: { name: string; data: Buffer }[]): { body: Buffer; type: string } {
  const boundary = `----kluis-crash-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`), f.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

const url = (p: string) => `/files/${p}`;
const timed = async (led: Ledger, kind: OpKind, run: Promise<Reply | null>): Promise<Reply | null> => {
  const t0 = performance.now();
  const reply = await run;
  led.note(kind, reply, performance.now() - t0);
  return reply;
};
const ok = (r: Reply | null): r is Reply => r !== null && r.status >= 200 && r.status < 300;

/** Take a lock; its Timeout names the request. Resolves the checkout, or null without an answer. */
export async function takeLock(base: string, led: Ledger, p: string): Promise<Checkout | null> {
  const c: Checkout = { seq: ++led.seq, path: p, state: 'sent' };
  led.checkouts.set(c.seq, c);
  const r = await timed(led, 'checkout', call(base, 'CHECKOUT', url(p), { Timeout: `Second-${LOCK_BASE + c.seq}` }));
  if (!r) return null;
  if (r.status !== 200) c.state = 'refused';
  else Object.assign(c, { state: 'acked', token: r.json.token, expiresAt: r.json.expiresAt });
  if (c.state === 'acked') led.open.set(p, c);
  return c;
}

/** Release by check-in with `body`; false without an answer. */
async function checkin(base: string, led: Ledger, c: Checkout, body: Buffer): Promise<boolean> {
  const token = c.token as string;
  led.releasing.add(token);
  const r = await timed(led, 'checkin', call(base, 'PUT', `${url(c.path)}?checkin`, { 'Lock-Token': `<${token}>` }, body));
  if (!r) return false;
  led.releasing.delete(token);
  if (ok(r)) {
    led.open.delete(c.path);
    led.ack(c.path, r.json.version.version, id(r.json.version.sha256, r.json.version.size), idOf(body), 'check-in');
    return true;
  }
  led.releasing.add(token);
  const u = await timed(led, 'unlock', call(base, 'UNLOCK', url(c.path), { 'Lock-Token': `<${token}>` }));
  if (!u) return false;
  led.releasing.delete(token);
  if (u.status === 204) led.open.delete(c.path);
  return true;
}

/** One random operation; false when the server did not answer (it was killed). */
export async function operation(base: string, led: Ledger): Promise<boolean> {
  const p = led.pick();
  const dice = randomInt(100);
  if (dice < 35) {
    const body = content();
    const r = await timed(led, 'put', call(base, 'PUT', url(p), {}, body));
    if (ok(r)) led.ack(p, r.json.version, id(r.json.sha256, r.json.size), idOf(body), 'PUT');
    return r !== null;
  }
  if (dice < 55) {
    const names = [...new Set([p, led.pick()])];
    const files = names.map((name) => ({ name: path.posix.basename(name), data: content() }));
    const form = multipartBody(files);
    const r = await timed(led, 'multipart', call(base, 'POST', `${url(DIR)}/`, { 'Content-Type': form.type }, form.body));
    // A batch refused part-way lists the files it did store: those are acknowledged too.
    const stored: { path: string; version: number; sha256: string; size: number }[] = r === null ? [] : r.status < 300 ? r.json : (r.json?.stored ?? []);
    for (const v of stored) led.ack(v.path, v.version, id(v.sha256, v.size), idOf(files.find((f) => `${DIR}/${f.name}` === v.path)?.data ?? Buffer.alloc(0)), 'POST');
    return r !== null;
  }
  if (dice < 82) {
    const c = await takeLock(base, led, p);
    if (!c) return false;
    return c.state !== 'acked' || checkin(base, led, c, content());
  }
  if (dice < 91) {
    const r = await timed(led, 'delete', call(base, 'DELETE', url(p)));
    if (r?.status === 204) led.ack(p, Number(r.headers['file-version']), null, null, 'DELETE');
    return r !== null;
  }
  const known = [...(led.history.get(p) ?? new Map<number, string | null>())].filter(([, s]) => s !== null);
  if (known.length === 0) return true;
  const [n, expected] = known[randomInt(known.length)] as [number, string];
  const r = await timed(led, 'restore', call(base, 'POST', `${url(p)}?restore=${n}`));
  if (ok(r)) led.ack(p, r.json.version, id(r.json.sha256, r.json.size), expected, 'restore');
  return r !== null;
}

/**
 * A body cut in half on purpose: a multipart POST, or a check-in after a CHECKOUT. `sent`
 * resolves once the half is on the wire (false when nothing was sent); `done` when the
 * request ends, which it can only do when the server dies.
 */
export function halfBody(base: string, led: Ledger, kind: 'multipart' | 'checkin'): { sent: Promise<boolean>; done: Promise<Reply | null> } {
  const body = randomBytes(randomInt(1 << 20, 3 << 20));
  led.never.add(sha(body));
  const p = led.pick();
  if (kind === 'multipart') {
    const form = multipartBody([{ name: path.posix.basename(p), data: body }]);
    const done = timed(led, 'multipart', call(base, 'POST', `${url(DIR)}/`, { 'Content-Type': form.type }, form.body, true));
    return { sent: Promise.resolve(true), done };
  }
  const lock = takeLock(base, led, p);
  const done = lock.then((c) => (c?.state === 'acked' ? timed(led, 'checkin', call(base, 'PUT', `${url(p)}?checkin`, { 'Lock-Token': `<${c.token}>` }, body, true)) : null));
  return { sent: lock.then((c) => c?.state === 'acked'), done };
}
