/**
 * `npm run bench:s3`: 1 GiB uploads to a real S3 server (a Ceph RGW started here, memstore),
 * several rounds, medians with min..max, every figure also as a ratio to a direct lib-storage
 * upload measured in the same round:
 *
 * - kluis: PUT through a kluis process on the S3 backend, with its peak RSS growth and the
 *   SHA-256 read back;
 * - the two ways of staging a body whose hash is known only at its end, as raw S3 work with no
 *   HTTP in front: (store) multipart to a staging key, then a server-side copy to the blob key;
 *   (disk) write + fsync to a local file, then a multipart upload of that file to the blob key;
 * - direct: one multipart upload to the final key (what an upload costs when the key is known);
 * - then the S3 requests of each operation beside its time (test/bench/_s3-requests.ts).
 *
 * Not part of `npm test` (V8 collects part buffers lazily, so the peak varies with load).
 * Exits non-zero if a check fails. `KLUIS_BENCH_ROUNDS` sets the rounds (default 3).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CopyObjectCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startChild, tempDir } from '../helpers/server.js';
import { s3Env, startCeph } from '../s3/ceph.js';
import { CHUNK, GIB, memory, mbps, putStream, row, source, timed } from './_measure.js';
import { requestsPerOperation } from './_s3-requests.js';

const ROUNDS = Number(process.env.KLUIS_BENCH_ROUNDS ?? 3);
const BUCKET = 'kluis-bench';
/** kluis's defaults (KLUIS_S3_PART_SIZE, KLUIS_S3_QUEUE_SIZE), used by every path measured. */
const PART = { partSize: 5 * CHUNK, queueSize: 1 };

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

async function main(teardowns: (() => Promise<unknown>)[]): Promise<void> {
  const s3 = await startCeph({ memstoreBytes: 6 * GIB });
  teardowns.push(() => s3.stop());
  const dataDir = await tempDir('kluis-bench-s3-');
  teardowns.push(() => rm(dataDir, { recursive: true, force: true }));
  const server = await startChild(dataDir, s3Env(s3, BUCKET));
  teardowns.push(() => server.stop('SIGKILL'));
  const pid = server.child.pid as number;
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  teardowns.push(async () => client.destroy());
  const upload = (Key: string, Body: Readable) => new Upload({ client, params: { Bucket: BUCKET, Key, Body }, ...PART }).done();
  const remove = (Key: string) => client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
  /** Frees the memstore between runs: every object in the bucket goes (RGW's GC frees them within seconds). */
  const empty = async () => {
    const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    for (const item of out.Contents ?? []) if (item.Key) await remove(item.Key);
    await sleep(3000);
  };
  check((await putStream(`${server.url}/files/warm-up.bin`, source(0, 8 * CHUNK), 8 * CHUNK)).status === 201, 'warm-up PUT');

  const r: Record<'kluis' | 'store' | 'disk' | 'direct' | 'rss', number[]> = { kluis: [], store: [], disk: [], direct: [], rss: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const sent = createHash('sha256');
    const before = await memory(pid, 'VmRSS');
    let answer = { status: 0, text: '' };
    r.kluis.push(
      mbps(
        GIB,
        await timed(async () => {
          const body = source(round);
          body.on('data', (c: Buffer) => sent.update(c)); // same tick as the pipe: no chunk is missed
          answer = await putStream(`${server.url}/files/big-${round}.bin`, body, GIB);
        }),
      ),
    );
    r.rss.push(Math.max(0, (await memory(pid, 'VmHWM')) - before) / 2 ** 20);
    check(answer.status === 201, `kluis PUT: ${answer.status} ${answer.text}`);
    const sha = sent.digest('hex');
    check(JSON.parse(answer.text).sha256 === sha, 'kluis answered another SHA-256');
    const back = createHash('sha256');
    let bytes = 0;
    for await (const piece of (await fetch(`${server.url}/files/big-${round}.bin`)).body as unknown as AsyncIterable<Uint8Array>) {
      back.update(piece);
      bytes += piece.length;
    }
    check(bytes === GIB && back.digest('hex') === sha, 'the read-back differs from what was sent');
    await empty();

    r.store.push(
      mbps(
        GIB,
        await timed(async () => {
          await upload('staging/s', source(round + 100));
          await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'blobs/s', CopySource: `${BUCKET}/staging/s` }));
          await remove('staging/s');
        }),
      ),
    );
    await empty();
    const file = path.join(dataDir, 'staged');
    r.disk.push(
      mbps(
        GIB,
        await timed(async () => {
          await pipeline(source(round + 200), createWriteStream(file, { flush: true, highWaterMark: CHUNK }));
          await upload('blobs/d', createReadStream(file, { highWaterMark: CHUNK }));
          await rm(file);
        }),
      ),
    );
    await empty();
    r.direct.push(mbps(GIB, await timed(() => upload('blobs/direct', source(round + 300)))));
    await empty();
    console.log(
      `round ${round}: kluis ${r.kluis.at(-1)?.toFixed(0)}, store-staging ${r.store.at(-1)?.toFixed(0)}, disk-staging ${r.disk.at(-1)?.toFixed(0)}, direct ${r.direct.at(-1)?.toFixed(0)} MB/s`,
    );
  }
  const direct = { xs: r.direct, name: 'direct' };
  console.log(`\nkluis bench:s3, 1 GiB to Ceph RGW (memstore) on loopback, parts ${PART.partSize / CHUNK} MiB × ${PART.queueSize}; median of ${ROUNDS} rounds (min..max)`);
  console.log(row('direct lib-storage upload (reference)', r.direct, 'MB/s'));
  console.log(row('stage on the store + server-side copy', r.store, 'MB/s', direct));
  console.log(row('stage on local disk (fsync) + upload', r.disk, 'MB/s', direct));
  console.log(row('kluis PUT (HTTP, SHA-256, store staging)', r.kluis, 'MB/s', direct));
  console.log(row('kluis peak RSS growth during the PUT', r.rss, 'MiB'));
  check(Math.max(...r.rss) <= 64, `peak RSS grew by ${Math.max(...r.rss).toFixed(1)} MiB (limit 64)`);
  console.log(`\nS3 requests per operation (through a counting proxy):\n${await requestsPerOperation(s3, dataDir, BUCKET, teardowns)}`);
}

const teardowns: (() => Promise<unknown>)[] = [];
try {
  await main(teardowns);
} finally {
  for (const fn of teardowns.reverse()) await fn().catch(() => {});
}
