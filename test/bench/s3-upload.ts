/**
 * `npm run bench:s3`: 1 GiB through kluis to a real S3 server (Ceph RGW, started here) with the
 * server's peak RSS growth, the SHA-256 read back, and a direct lib-storage upload of the same
 * bytes to the same server as the reference. Exits non-zero if a check fails. Not part of
 * `npm test`: V8 collects the part buffers lazily, so the peak varies with machine load.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { put } from '../helpers/http.js';
import { startChild, tempDir } from '../helpers/server.js';
import { s3Env, startCeph } from '../s3/ceph.js';

const GIB = 2 ** 30;
const CHUNK = 1 << 20;

/** 1 GiB of distinct generated chunks, never held whole; `hash` sees every byte. */
function* chunks(hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const base = randomBytes(CHUNK);
  for (let i = 0; i < GIB / CHUNK; i++) {
    const c = Buffer.from(base);
    c.writeUInt32BE(i, 0);
    hash.update(c);
    yield c;
  }
}

async function vm(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]) * 1024;
}

const teardowns: (() => Promise<unknown>)[] = [];
const t = {
  teardown: (fn: () => Promise<unknown>) => teardowns.push(fn),
  is: (a: unknown, b: unknown, what = '') => {
    if (a !== b) throw new Error(`${what} expected ${String(b)}, got ${String(a)}`);
  },
  true: (ok: boolean, what: string) => {
    if (!ok) throw new Error(what);
  },
  log: (line: string) => console.log(line),
};

async function main(): Promise<void> {
  const s3 = await startCeph({ memstoreBytes: 4 * GIB });
  const dataDir = await tempDir('kluis-s3-memory-');
  t.teardown(async () => {
    await s3.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const server = await startChild(dataDir, s3Env(s3, 'kluis-big'));
  t.teardown(() => server.stop('SIGKILL').then(() => undefined));
  const pid = server.child.pid as number;
  t.is((await put(server.url, 'warm-up.bin', randomBytes(8 * CHUNK))).status, 201);
  const before = await vm(pid, 'VmRSS');

  const sent = createHash('sha256');
  let started = performance.now();
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${server.url}/files/big.bin`, { method: 'PUT', headers: { 'Content-Length': String(GIB) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    Readable.from(chunks(sent)).pipe(req);
  });
  const kluisSeconds = (performance.now() - started) / 1000;
  const growth = (await vm(pid, 'VmHWM')) - before;
  t.is(answer.status, 201, answer.body);
  const sha = sent.digest('hex');
  t.is(JSON.parse(answer.body).sha256, sha);
  t.true(growth <= 64 * 2 ** 20, `peak RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);

  const back = createHash('sha256');
  let bytes = 0;
  for await (const piece of (await fetch(`${server.url}/files/big.bin`)).body as unknown as AsyncIterable<Uint8Array>) {
    back.update(piece);
    bytes += piece.length;
  }
  t.is(bytes, GIB);
  t.is(back.digest('hex'), sha);

  // The reference: the same bytes straight to the same server with lib-storage.
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  t.teardown(async () => client.destroy());
  started = performance.now();
  await new Upload({ client, params: { Bucket: 'kluis-big', Key: 'direct.bin', Body: Readable.from(chunks(createHash('sha256'))) }, partSize: 16 * CHUNK, queueSize: 4 }).done();
  const directSeconds = (performance.now() - started) / 1000;
  t.log(
    `1 GiB PUT through kluis to S3: ${(GIB / 1e6 / kluisSeconds).toFixed(0)} MB/s (staging upload + server-side copy); ` +
      `direct lib-storage: ${(GIB / 1e6 / directSeconds).toFixed(0)} MB/s; ratio ${(directSeconds / kluisSeconds).toFixed(2)}; ` +
      `server RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB`,
  );
}

try {
  await main();
} finally {
  for (const fn of teardowns.reverse()) await fn().catch(() => {});
}
