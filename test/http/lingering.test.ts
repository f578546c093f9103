/**
 * Every refusal reaches the client, even when it is answered before a large body was read
 * (src/http/linger.ts): a 409 for a checked-out file, a 413 over the limit. Without a lingering
 * close, the server closed the socket with the body still arriving, the kernel answered RST,
 * and clients saw EPIPE or ECONNRESET instead of the answer (fetch: 2 to 10 of 10 lost). Here,
 * 10 tries each for Node's fetch (raw and FormData), curl without `Expect` (-T and -F) and
 * headless Chromium's fetch, with 50 MB bodies, against a server in its own process with two
 * workers, as `npm start` runs it. Not one answer may be lost.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { browser } from '../helpers/browser.js';
import { checkout, put, request } from '../helpers/http.js';
import { type ChildServer, startChild, startServer, tempDir } from '../helpers/server.js';

const run = promisify(execFile);
const TRIES = 10;
const MB = 1024 * 1024;
const BODY = Buffer.alloc(50 * MB, 0x6b);

async function server(t: ExecutionContext): Promise<ChildServer> {
  const s = await startChild(await tempDir('kluis-linger-'), { KLUIS_MAX_UPLOAD_BYTES: '10M', KLUIS_WORKERS: '2' });
  t.teardown(() => s.stop());
  await put(s.url, 'held.txt', Buffer.from('held'));
  const held = await checkout(s.url, 'held.txt');
  if (held.status !== 200) throw new Error(`setup: CHECKOUT ${held.status}`);
  return s;
}

/** The outcome of a try: its status, or the error that lost the answer. */
async function outcome(attempt: () => Promise<number>): Promise<string> {
  try {
    return String(await attempt());
  } catch (err) {
    const e = err as { cause?: { code?: string }; code?: string; message?: string };
    return `lost (${e.cause?.code ?? e.code ?? e.message})`;
  }
}

async function tries(attempt: () => Promise<number>): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < TRIES; i++) outcomes.push(await outcome(attempt));
  return outcomes;
}

const all = (status: number) => Array<string>(TRIES).fill(String(status));

async function fetchStatus(url: string, init: RequestInit): Promise<number> {
  const res = await fetch(url, init);
  await res.text();
  return res.status;
}

test('Node fetch: 50 MB raw PUTs and FormData POSTs to a checked-out file, and raw PUTs over the limit on /files and /dav, all get their answer', async (t) => {
  const s = await server(t);
  t.deepEqual(await tries(() => fetchStatus(`${s.url}/files/held.txt`, { method: 'PUT', body: BODY })), all(409), 'raw PUT, locked');
  t.deepEqual(
    await tries(() => {
      const form = new FormData();
      form.append('file', new Blob([BODY]), 'held.txt');
      return fetchStatus(`${s.url}/files/held.txt`, { method: 'POST', body: form });
    }),
    all(409),
    'FormData POST, locked',
  );
  t.deepEqual(await tries(() => fetchStatus(`${s.url}/files/big.bin`, { method: 'PUT', body: BODY })), all(413), 'raw PUT over the limit, /files');
  t.deepEqual(await tries(() => fetchStatus(`${s.url}/dav/big.bin`, { method: 'PUT', body: BODY })), all(413), 'raw PUT over the limit, /dav');
  t.deepEqual(await tries(() => fetchStatus(`${s.url}/dav/`, { method: 'PROPFIND', headers: { Depth: '0' }, body: BODY.subarray(0, 10 * MB) })), all(413), '10 MB PROPFIND body');
  const metrics = (await request(`${s.url}/metrics`)).text;
  const drained = Number(/^kluis_http_lingering_bytes_total (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(metrics)?.[1] ?? 0);
  t.true(drained > 0, `drained bytes are counted: ${drained}`);
  t.regex(metrics, /kluis_http_lingering_closes_total\{end="[a-z-]+"\} \d+/);
});

test('curl without Expect: 50 MB -T and -F uploads to a checked-out file get their 409', async (t) => {
  const s = await server(t);
  const dir = await tempDir('kluis-linger-curl-');
  const file = path.join(dir, 'body.bin');
  await writeFile(file, BODY);
  const curl = async (...args: string[]) => {
    const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Expect:', ...args]);
    const status = Number(stdout);
    if (status === 0) throw new Error('no answer');
    return status;
  };
  t.deepEqual(await tries(() => curl('-T', file, `${s.url}/files/held.txt`)), all(409), 'curl -T');
  t.deepEqual(await tries(() => curl('-F', `file=@${file};filename=held.txt`, `${s.url}/files/held.txt`)), all(409), 'curl -F');
});

test('headless Chromium fetch: 50 MB raw PUTs and FormData POSTs to a checked-out file get their 409', async (t) => {
  const s = await server(t);
  const page = await (await browser(t)).newPage();
  await page.goto(`${s.url}/healthz`);
  // One 50 MB blob, made once in the page and sent by every try.
  await page.evaluate((size) => {
    (globalThis as { body?: Blob }).body = new Blob([new Uint8Array(size).fill(0x6b)]);
  }, BODY.length);
  const inPage = (form: boolean) =>
    page.evaluate(async (form) => {
      const blob = (globalThis as { body?: Blob }).body as Blob;
      let body: Blob | FormData = blob;
      if (form) {
        body = new FormData();
        body.append('file', blob, 'held.txt');
      }
      const res = await fetch('/files/held.txt', { method: form ? 'POST' : 'PUT', body });
      await res.text();
      return res.status;
    }, form);
  t.deepEqual(await tries(() => inPage(false)), all(409), 'raw PUT');
  t.deepEqual(await tries(() => inPage(true)), all(409), 'FormData POST');
});

test('a request pipelined behind a refusal that closes its connection is not served (RFC 9112 §9.6)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'held.txt', Buffer.from('held'));
  await put(s.url, 'keep.txt', Buffer.from('keep'));
  t.is((await checkout(s.url, 'held.txt')).status, 200);
  // The refusal comes before the body (Connection: close); the body and a DELETE follow on the same connection.
  const { port } = new URL(s.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let wire = '';
  socket.on('data', (c: Buffer) => {
    wire += c.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const body = 'x'.repeat(1000);
  socket.write(`PUT /files/held.txt HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
  while (!wire.includes('\r\n\r\n')) await sleep(20);
  socket.write(`${body}DELETE /files/keep.txt HTTP/1.1\r\nHost: x\r\n\r\n`);
  await closed;
  t.regex(wire, /^HTTP\/1\.1 409 [\s\S]*connection: close/i);
  t.notRegex(wire, /HTTP\/1\.1 204/);
  t.is((await request(`${s.url}/files/keep.txt`)).text, 'keep', 'the pipelined DELETE was not run');
});
