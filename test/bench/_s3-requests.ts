/**
 * The S3 requests of each operation beside its time, for `npm run bench:s3`: a kluis process on
 * the S3 backend behind the tests' counting proxy (test/s3/counting-proxy.ts; the proxy adds a
 * hop, so these times are for comparing operations, not for the MB/s rows). Each operation runs
 * ROUNDS times on a file one folder deep; requests are the most of one run, times the median.
 */
import { randomBytes } from 'node:crypto';
import { checkout, put, request } from '../helpers/http.js';
import { startChild, type ChildServer } from '../helpers/server.js';
import type { S3Server } from '../s3/ceph.js';
import { s3Env } from '../s3/ceph.js';
import { countingProxy } from '../s3/counting-proxy.js';
import { median, timed } from './_measure.js';

const ROUNDS = 5;

export async function requestsPerOperation(s3: S3Server, dataDir: string, bucket: string, teardowns: (() => Promise<unknown>)[]): Promise<string> {
  const proxy = await countingProxy(s3);
  teardowns.push(() => proxy.stop());
  const server: ChildServer = await startChild(dataDir, { ...s3Env(proxy.server, bucket), KLUIS_S3_PREFIX: 'requests/', KLUIS_WORKERS: '1' });
  teardowns.push(() => server.stop('SIGKILL'));
  const url = server.url;
  const rows: string[] = ['| operation | S3 requests | ms (median) |', '| --- | --- | --- |'];
  const measure = async (name: string, op: (i: number) => Promise<{ status: number }>) => {
    const counts: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const mark = proxy.mark();
      let status = 0;
      times.push(
        await timed(async () => {
          status = (await op(i)).status;
        }),
      );
      if (status >= 300) throw new Error(`${name}: ${status}`);
      counts.push(proxy.since(mark).length);
    }
    rows.push(`| ${name} | ${Math.max(...counts)} | ${(median(times) * 1000).toFixed(1)} |`);
  };
  await put(url, 'docs/stored.bin', 'content stored once');
  await measure('new 4 KiB file', (i) => put(url, `docs/new-${i}.bin`, randomBytes(4096)));
  await measure('content already stored', (i) => put(url, `docs/again-${i}.bin`, 'content stored once'));
  await measure('new 64 MiB file (multipart staging)', (i) => put(url, `docs/large-${i}.bin`, randomBytes(64 * 2 ** 20)));
  await measure('GET 4 KiB', (i) => request(`${url}/files/docs/new-${i}.bin`));
  await measure('CHECKOUT', (i) => checkout(url, `docs/new-${i}.bin`));
  await request(`${url}/files/docs/`); // the first listing reads every record and writes the summary
  await measure(`listing of ${3 * ROUNDS + 1} files, unchanged since the last`, () => request(`${url}/files/docs/`));
  return rows.join('\n');
}
