import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import * as tus from 'tus-js-client';
import type { Backend } from '../helpers/backend.js';
import { request } from '../helpers/http.js';
import { type ChildServer, startChild, tempDir } from '../helpers/server.js';
import { cutProxy } from '../http/tus/_proxy.js';
import { s3Env, s3Server, startCeph } from '../s3/ceph.js';

const SOAK = process.env.KLUIS_SOAK === '1';
const MIB = 2 ** 20;
const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
const portOf = (url: string) => Number(new URL(url).port);

/** tus-js-client (Node) uploading `body` to `path` through `endpoint`; resolves with the upload URL. */
/** tus-js-client 4.3's `protocol` option, which its type declarations leave out. */
type Options = Partial<tus.UploadOptions> & { protocol?: 'tus-v1' | 'ietf-draft-03' | 'ietf-draft-05' };

function upload(endpoint: string, path: string, body: Buffer, options: Options = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new tus.Upload(body, <tus.UploadOptions>{
      endpoint,
      metadata: { path, filetype: 'application/octet-stream' },
      chunkSize: 4 * MIB,
      retryDelays: [100, 500, 1000, 2000, 3000, 5000, 5000, 5000, 5000],
      ...options,
      onError: reject,
      onSuccess: () => resolve(client.url as string),
    });
    client.start();
  });
}

/** The environment of a kluis process on `backend` (S3: a prefix of its own in the test bucket). */
async function backendEnv(t: ExecutionContext, backend: Backend): Promise<Record<string, string>> {
  if (backend === 'fs') return {};
  // 1 GiB (the soak size) takes about 2 GiB of the gateway's memstore (the parts, then the blob): a gateway of its own.
  const s3 = SOAK ? await startCeph({ memstoreBytes: 4 * 2 ** 30 }) : await s3Server();
  t.teardown(() => s3.stop());
  return { ...s3Env(s3, 'kluis-tus'), KLUIS_S3_PREFIX: `tus-${randomUUID()}/` };
}

/** Each protocol tus-js-client speaks, each on one backend or both (the 1 GiB soak runs tus on both). */
const CASES = [
  { protocol: 'tus-v1', backend: 'fs' },
  { protocol: 'tus-v1', backend: 's3' },
  { protocol: 'ietf-draft-05', backend: 'fs' },
  { protocol: 'ietf-draft-03', backend: 's3' },
] as const;

for (const { protocol, backend } of CASES)
  test(`tus-js-client ${protocol} on ${backend}: an upload cut three times mid-PATCH and across a kill -9 and restart ends as one version with the right SHA-256`, async (t) => {
    t.timeout(600_000);
    const size = SOAK ? 1024 * MIB : 64 * MIB;
    const dataDir = await tempDir('kluis-tus-client-');
    const env = await backendEnv(t, backend);
    let server: ChildServer = await startChild(dataDir, env);
    const proxy = await cutProxy(portOf(server.url));
    t.teardown(async () => {
      await proxy.close();
      await server.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    });
    const body = randomBytes(size);
    let restarted = false;
    const cutsAt = [0.15, 0.3, 0.45].map((f) => Math.floor(f * size));
    // tus creates at /uploads/ (the path in its metadata); the draft at the file's own URL.
    const endpoint = protocol === 'tus-v1' ? `${proxy.url}/uploads/` : `${proxy.url}/files/resumed/big.bin`;
    const done = upload(endpoint, 'resumed/big.bin', body, {
      protocol,
      chunkSize: 8 * MIB,
      onProgress: (sent) => {
        if (cutsAt.length > 0 && sent >= (cutsAt[0] as number)) {
          cutsAt.shift();
          proxy.cutAfter(256 * 1024); // mid-way through the PATCH in flight
        }
        if (!restarted && sent >= 0.6 * size) {
          restarted = true;
          void (async () => {
            await server.stop('SIGKILL');
            server = await startChild(dataDir, env);
            proxy.target(portOf(server.url));
          })();
        }
      },
    });
    const url = await done;
    t.true(proxy.cuts >= 3, `cut ${proxy.cuts} times`);
    t.true(restarted);
    const versions = await request(`${server.url}/files/resumed/big.bin?versions`);
    t.is(versions.json.versions.length, 1, 'exactly one version');
    const file = Buffer.from(await (await fetch(`${server.url}/files/resumed/big.bin`)).arrayBuffer());
    t.is(file.length, size);
    t.is(sha(file), sha(body));
    t.is(versions.json.versions[0].sha256, sha(body));
    const state = await request(url.replace(proxy.url, server.url));
    t.is(state.json.phase, 'committed');
  });
