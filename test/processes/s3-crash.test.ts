import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { createClient } from '../../src/storage/s3/client.js';
import { s3View } from '../helpers/backend.js';
import { put, request } from '../helpers/http.js';
import { type ChildServer, startChild, tempDir } from '../helpers/server.js';
import { s3Env, s3Options, s3Server } from '../s3/ceph.js';

const SOAK = process.env.KLUIS_SOAK === '1';
const KILLS = SOAK ? 100 : 12;
const BUCKET = 'kluis-crash';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test("kill -9 of kluis on S3 while uploads run: every acknowledged version survives, and the dead processes' staging is reclaimed", async (t) => {
  t.timeout(600_000);
  const s3 = await s3Server();
  t.teardown(() => s3.stop());
  const prefix = `crash-${randomUUID()}/`;
  const env = { ...s3Env(s3, BUCKET), KLUIS_S3_PREFIX: prefix, KLUIS_S3_HEARTBEAT_SECONDS: '1' };
  const dataDir = await tempDir('kluis-s3-crash-');
  let server: ChildServer | undefined;
  t.teardown(async () => {
    await server?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  const acked = new Map<string, string>(); // `${path}@${version}` -> sha256
  let requests = 0;
  let refused500 = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    server = await startChild(dataDir, env);
    const url = server.url;
    let running = true;
    let roundAcks = 0;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        // Some bodies span several 5 MiB parts, so multipart uploads are open when the kill lands.
        const body = randomBytes(i % 3 === 0 ? 6 * 2 ** 20 + w : 1000 + w);
        const path = `f${w}-${i % 4}.bin`;
        const answer = await put(url, path, body).catch(() => undefined);
        requests++;
        if (!answer) return;
        if (answer.status >= 500) refused500++;
        if (answer.status === 200 || answer.status === 201) {
          acked.set(`${path}@${answer.json.version}`, sha(body));
          roundAcks++;
        }
      }
    };
    const workers = [0, 1, 2].map(worker);
    await sleep(400 + Math.random() * 1200);
    // Under load the gateway can stall for seconds: each kill lands after at least one
    // acknowledged write of its round, so the check below always has versions to verify.
    for (let waited = 0; roundAcks === 0 && waited < 30_000; waited += 50) await sleep(50);
    await server.stop('SIGKILL');
    running = false;
    await Promise.all(workers);
  }
  t.true(acked.size >= KILLS, `only ${acked.size} acknowledged versions to verify after ${KILLS} kills`);
  server = await startChild(dataDir, env);
  for (const [key, expected] of acked) {
    const [path, version] = key.split('@') as [string, string];
    const answer = await request(`${server.url}/files/${path}?version=${version}`);
    t.is(answer.status, 200, `${key} lost`);
    t.is(sha(Buffer.from(await (await fetch(`${server.url}/files/${path}?version=${version}`)).arrayBuffer())), expected, `${key} corrupted`);
  }
  // The dead sessions go stale after three 1 s heartbeats; the live process sweeps every 6 s.
  const client = createClient(s3Options(s3, prefix, BUCKET));
  t.teardown(async () => client.destroy());
  const view = s3View(client, BUCKET, prefix);
  let staged = await view.staged();
  for (let i = 0; i < 60 && staged.length > 0; i++) {
    await sleep(500);
    staged = await view.staged();
  }
  t.deepEqual(staged, [], 'staging objects and multipart uploads of killed processes are reclaimed');
  t.is(refused500, 0);
  t.log(`s3 crash: ${KILLS} kills, ${requests} requests, ${acked.size} acknowledged versions verified; lost 0, corrupted 0, 500s ${refused500}`);
});
