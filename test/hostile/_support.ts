/**
 * Helpers of the hostile-input tests (not a test file): send one attack exactly as written,
 * seed a server, and take a snapshot of everything an attack must not change.
 */
import type { Answer } from '../helpers/http.js';
import { checkout, put, request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { AS, makeUsers, raw, rawSocket } from '../http/rest/_support.js';

/** A request sent with raw() (node:http, no URL normalisation). */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Bytes written as they are on a fresh TCP connection (the body may be left out on purpose). */
export interface SocketRequest {
  socket: string;
}

export type Sent = RawRequest | SocketRequest;

/** An answer; `status` 0 when the server closed the connection without one. */
export interface Reply extends Answer {
  /** Everything received, for socket requests (status line and headers included). */
  wire: string;
  ms: number;
}

const TIMEOUT_MS = 10_000;

function timeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms: ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Parse what a server wrote on a socket (one answer; chunked bodies are joined). */
export function parseWire(wire: string): Omit<Reply, 'ms'> {
  const headers = new Headers();
  const at = wire.indexOf('\r\n\r\n');
  const head = at < 0 ? wire : wire.slice(0, at);
  let text = at < 0 ? '' : wire.slice(at + 4);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
    let out = '';
    for (let rest = text; ; ) {
      const nl = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, nl), 16);
      if (nl < 0 || !(size > 0)) break;
      out += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 4 + size);
    }
    text = out;
  }
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, text, json, wire };
}

/** Send one request; a connection reset or a hang of 10 s is reported as status 0. */
export async function send(base: string, sent: Sent): Promise<Reply> {
  const started = Date.now();
  try {
    if ('socket' in sent) {
      const wire = await timeout(rawSocket(base, sent.socket), sent.socket.slice(0, 80));
      return { ...parseWire(wire), ms: Date.now() - started };
    }
    const answer = await timeout(raw(base, sent.method, sent.path, sent.headers, sent.body), `${sent.method} ${sent.path.slice(0, 80)}`);
    return { ...answer, wire: '', ms: Date.now() - started };
  } catch (err) {
    return { status: 0, headers: new Headers(), text: (err as Error).message, json: undefined, wire: '', ms: Date.now() - started };
  }
}

/** The files seeded by {@link seed}, and their contents. */
export const SEEDED = {
  top: 'top.txt',
  report: 'docs/report.txt',
  cafe: 'caf\u00e9.txt', // NFC
  angstrom: '\u00c5.txt', // NFC of U+212B
  held: 'docs/held.txt', // checked out by alice
} as const;

export const CONTENT = {
  top1: 'top version one',
  top2: 'top version two',
  report: 'quarterly report',
  cafe: 'caf\u00e9 by alice',
  angstrom: 'angstrom by alice',
  held: 'held by alice',
} as const;

/** What attacks may need to know about the seeded server. */
export interface Seeded {
  /** Alice's lock token on docs/held.txt, without angle brackets. */
  token: string;
}

/** Limit of the attacked servers: small, so that oversized bodies are cheap to send. */
export const MAX_UPLOAD = 128 * 1024;

/**
 * A real server with users, a few files (top.txt has two versions) and a lock owned by alice.
 * `open`: no users (everyone is anonymous), so a request's body is parsed as soon as it arrives.
 */
export async function seededServer(open = false): Promise<{ s: TestServer; seeded: Seeded }> {
  const s = await startServer({ ...(open ? {} : { users: await makeUsers() }), maxUploadBytes: MAX_UPLOAD });
  const writes: [string, string][] = [
    [SEEDED.top, CONTENT.top1],
    [SEEDED.top, CONTENT.top2],
    [SEEDED.report, CONTENT.report],
    [SEEDED.cafe, CONTENT.cafe],
    [SEEDED.angstrom, CONTENT.angstrom],
    [SEEDED.held, CONTENT.held],
  ];
  for (const [file, body] of writes) {
    const answer = await put(s.url, encodePath(file), body, { ...AS.alice, 'Content-Type': 'text/plain' });
    if (answer.status >= 300) throw new Error(`seeding ${file}: ${answer.status} ${answer.text}`);
  }
  const lock = await checkout(s.url, SEEDED.held, AS.alice);
  if (lock.status !== 200) throw new Error(`seeding the lock: ${lock.status} ${lock.text}`);
  return { s, seeded: { token: lock.token } };
}

export function encodePath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Everything an attack must leave as it was. */
export interface Snapshot {
  blobs: string[];
  staged: string[];
  records: string[];
  /** `?versions` of every seeded file (versions and lock) and the two listings. */
  answers: Record<string, { status: number; json: unknown }>;
}

export async function snapshot(s: TestServer): Promise<Snapshot> {
  const answers: Snapshot['answers'] = {};
  const urls = [...Object.values(SEEDED).map((f) => `/files/${encodePath(f)}?versions`), '/files/', '/files/docs/'];
  for (const url of urls) {
    const answer = await request(`${s.url}${url}`, { headers: AS.alice });
    answers[url] = { status: answer.status, json: answer.json };
  }
  return { blobs: await s.store.blobs(), staged: await s.store.staged(), records: await s.store.records(), answers };
}

/** Staged bytes may be removed just after a refusal is answered: wait up to `ms` for them to be as `before`. */
export async function settledSnapshot(s: TestServer, before: Snapshot, ms = 2000): Promise<Snapshot> {
  const deadline = Date.now() + ms;
  for (;;) {
    const snap = await snapshot(s);
    if (snap.staged.length <= before.staged.length || Date.now() > deadline) return snap;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** GET /healthz: 200 while the process serves. */
export async function healthy(base: string): Promise<boolean> {
  return (await request(`${base}/healthz`).catch(() => ({ status: 0 }))).status === 200;
}

// Request builders of the corpus (corpus.ts). Requests go as bob unless their headers say otherwise.

export const r = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Sent => ({
  method,
  path,
  headers: { ...AS.bob, ...headers },
  ...(body === undefined ? {} : { body }),
});
/** Raw bytes; `Connection: close` makes the server end the connection once it has answered. */
export const sock = (lines: string, body = ''): Sent => ({ socket: `${lines}\r\nConnection: close\r\n\r\n${body}` });
export const AUTH = `Authorization: ${AS.bob.Authorization}`;
export const ALICE_AUTH = `Authorization: ${AS.alice.Authorization}`;

/** Multipart bodies written byte by byte, so that names and structure go out exactly as given. */
export const B = 'hostile-boundary';
export const MP = { 'Content-Type': `multipart/form-data; boundary=${B}` };
export const part = (disposition: string, data = 'x', extra = ''): string => `--${B}\r\nContent-Disposition: form-data; ${disposition}\r\n${extra}\r\n${data}\r\n`;
export const file = (name: string, data = 'evil'): string => part(`name="f"; filename="${name}"`, data, 'Content-Type: text/plain\r\n');
export const END = `--${B}--\r\n`;
export const form = (path: string, body: string, headers: Record<string, string> = {}): Sent => r('POST', path, { ...MP, ...headers }, body);
