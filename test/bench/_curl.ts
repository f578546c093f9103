/**
 * Large transfers driven by curl (C, one process per transfer), not by a Node client: on 2
 * cores a Node client reading or generating a gigabyte competes with the server for the CPU
 * and became the bottleneck (GET 1 GiB: 588 MB/s through the Node client, about 1,200 MB/s
 * through curl on the same server). The PUT body comes from a shell pipe: a 16-byte prefix
 * that makes each body distinct (`seed`), then zeros from /dev/zero.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FORMAT = '%{http_code} %{size_download} %{size_upload} %{time_total}';

export interface Transfer {
  status: number;
  bytes: number;
  seconds: number;
}

function parse(stdout: string, what: string): Transfer {
  const [status, down, up, seconds] = stdout.trim().split(' ').map(Number);
  if (!status || seconds === undefined || !Number.isFinite(seconds)) throw new Error(`curl ${what}: unexpected output ${JSON.stringify(stdout)}`);
  return { status, bytes: Math.max(down ?? 0, up ?? 0), seconds };
}

/** PUT `bytes` (at least 16) to `url`; fails unless the answer is 2xx. */
export async function curlPut(url: string, bytes: number, seed: number): Promise<Transfer> {
  // From a pipe curl sends the body chunked (a Content-Length as well would be refused as ambiguous).
  const pipe = `{ printf '%016d' ${seed}; head -c ${bytes - 16} /dev/zero; } | curl -sS -o /dev/null -w '${FORMAT}' -T - '${url}'`;
  const t = parse((await run('sh', ['-c', pipe], { maxBuffer: 1 << 20 })).stdout, `PUT ${url}`);
  if (t.status < 200 || t.status > 299 || t.bytes < bytes) throw new Error(`curl PUT ${url}: ${t.status}, ${t.bytes} of ${bytes} bytes sent`);
  return t;
}

/** GET `url` into /dev/null; fails unless the answer is 200 with `bytes` bytes. */
export async function curlGet(url: string, bytes: number): Promise<Transfer> {
  const t = parse((await run('curl', ['-sS', '-o', '/dev/null', '-w', FORMAT, url], { maxBuffer: 1 << 20 })).stdout, `GET ${url}`);
  if (t.status !== 200 || t.bytes !== bytes) throw new Error(`curl GET ${url}: ${t.status}, ${t.bytes} of ${bytes} bytes`);
  return t;
}
