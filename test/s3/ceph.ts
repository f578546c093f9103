/**
 * A real S3 server for the tests: a single-node Ceph cluster (mon + one memstore OSD) with the
 * RADOS Gateway on loopback, from Debian's packages, installed when missing. Or, with
 * `KLUIS_TEST_S3_ENDPOINT` (+ `KLUIS_TEST_S3_ACCESS_KEY`, `KLUIS_TEST_S3_SECRET_KEY`), any
 * S3-compatible server the developer runs (e.g. the compose MinIO).
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';
import type { S3Options } from '../../src/storage/s3/options.js';
import { tempDir } from '../helpers/server.js';

const run = promisify(execFile);

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
  /** Ceph only: kill the gateway (the store becomes unreachable) and start it again. */
  gateway?: { kill(): Promise<void>; start(): Promise<void> };
  /** The removal window of stores opened on it by s3Options (default REMOVAL_WAIT_SECONDS). */
  removalWaitSeconds?: number;
}

const TOOLS = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph'];
const HOW =
  'install them with `apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd`, or point KLUIS_TEST_S3_ENDPOINT, KLUIS_TEST_S3_ACCESS_KEY and KLUIS_TEST_S3_SECRET_KEY at an S3-compatible server';

function missingTools(): string[] {
  return TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

/**
 * Install Ceph's packages when they are missing (root only), or fail saying how. Test files run
 * in parallel processes, so the install is serialised by a lock file and re-checked under it.
 */
async function ensureCeph(): Promise<void> {
  if (missingTools().length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`the S3 tests need ${missingTools().join(', ')}: ${HOW}`);
  const marker = path.join(os.tmpdir(), 'kluis-ceph-install');
  await writeFile(marker, '', { flag: 'a' });
  const release = await lockfile.lock(marker, { stale: 30_000, retries: { retries: 600, minTimeout: 1000, maxTimeout: 1000 } });
  try {
    if (missingTools().length === 0) return;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-qq'],
      ['install', '-y', '-qq', '--no-install-recommends', 'radosgw', 'ceph-mon', 'ceph-osd'],
    ]) {
      const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.stderr.trim().slice(-500)}): ${HOW}`);
    }
    if (missingTools().length > 0) throw new Error(`still missing ${missingTools().join(', ')} after apt-get: ${HOW}`);
  } finally {
    await release();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function conf(base: string, fsid: string, monPort: number, rgwPort: number, portMin: number, memstoreBytes: number): string {
  return `[global]
fsid = ${fsid}
mon_host = v2:127.0.0.1:${monPort}
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_bind_msgr1 = false
ms_bind_port_min = ${portMin}
ms_bind_port_max = ${portMin + 60}
run_dir = ${base}/run
admin_socket = ${base}/run/$name.asok
pid_file = ${base}/run/$name.pid
log_file = ${base}/$name.log
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
# short monitor and client ticks: a test cluster's map updates land in ms, not seconds
objecter_tick_interval = 0.25
[mon]
mon_data = ${base}/mon
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
[osd]
osd_data = ${base}/osd
osd_objectstore = memstore
memstore_device_bytes = ${memstoreBytes}
osd_memory_target = ${1024 * 2 ** 20}
[client.rgw.gw]
# deleted objects are freed within seconds, not hours (the memstore is the machine's RAM)
rgw_gc_obj_min_wait = 1
rgw_gc_processor_period = 2
rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}
ms_mon_client_mode = crc
rgw_data = ${base}/rgw
`;
}

/** Start a fresh single-node Ceph with the RADOS Gateway; stop() ends the daemons and removes their data. */
export async function startCeph(options: { memstoreBytes?: number } = {}): Promise<S3Server> {
  await ensureCeph();
  const base = await tempDir('kluis-ceph-');
  for (const dir of ['mon', 'osd', 'rgw', 'run']) await mkdir(path.join(base, dir));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const portMin = 20000 + Math.floor(Math.random() * 40000);
  const fsid = randomUUID();
  const cfg = path.join(base, 'ceph.conf');
  await writeFile(cfg, conf(base, fsid, monPort, rgwPort, portMin, options.memstoreBytes ?? 1536 * 2 ** 20));
  const stop = async () => {
    for (const name of ['client.rgw.gw', 'osd.0', 'mon.a']) {
      const pid = Number(await readFile(path.join(base, 'run', `${name}.pid`), 'utf8').catch(() => ''));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    await rm(base, { recursive: true, force: true });
  };
  const ceph = (cmd: string, args: string[], timeout = 60_000) => run(cmd, ['-c', cfg, ...args], { cwd: base, timeout });
  try {
    await run('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, path.join(base, 'monmap')], { cwd: base });
    await ceph('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', path.join(base, 'monmap')]);
    await ceph('ceph-mon', ['-i', 'a']);
    const osdUuid = randomUUID();
    await ceph('ceph', ['osd', 'create', osdUuid]);
    await ceph('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    await ceph('ceph-osd', ['-i', '0']);
    const accessKeyId = `KLUIS${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    await ceph('radosgw-admin', ['user', 'create', '--uid=kluis', '--display-name=kluis', `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`]);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const gateway = {
      async start() {
        await ceph('radosgw', ['-n', 'client.rgw.gw']);
        for (let i = 0; ; i++) {
          const status = await fetch(endpoint).then(
            (r) => r.status,
            () => 0,
          );
          if (status === 200 || status === 403) break;
          if (i > 180) throw new Error(`radosgw did not answer on ${endpoint} within 180 s`);
          await sleep(1000);
        }
      },
      async kill() {
        const pidFile = path.join(base, 'run', 'client.rgw.gw.pid');
        const pid = Number(await readFile(pidFile, 'utf8'));
        process.kill(pid, 'SIGKILL');
        for (
          let i = 0;
          i < 100 &&
          (await fetch(endpoint).then(
            () => true,
            () => false,
          ));
          i++
        )
          await sleep(100);
        await rm(pidFile, { force: true });
      },
    };
    await gateway.start();
    process.once('exit', () => {
      const pids = ['client.rgw.gw', 'osd.0', 'mon.a'].map((name) => `$(cat '${base}/run/${name}.pid' 2>/dev/null)`).join(' ');
      spawnSync('sh', ['-c', `kill -9 ${pids} 2>/dev/null; rm -rf '${base}'`]);
    });
    return { endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, stop, gateway };
  } catch (err) {
    const logs = await readFile(path.join(base, 'client.rgw.gw.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`could not start Ceph's S3 gateway for the tests: ${(err as Error).message}\n${logs.slice(-2000)}\n(${HOW})`);
  }
}

/**
 * Garbage collection's removal window in the tests (60 s in production): a record write must
 * land within half of it, which a loaded test machine meets with a wide margin.
 */
const REMOVAL_WAIT_SECONDS = 4;

/** The developer's S3 server from KLUIS_TEST_S3_*, else a fresh Ceph gateway. */
export async function s3Server(): Promise<S3Server> {
  const endpoint = process.env.KLUIS_TEST_S3_ENDPOINT;
  if (!endpoint) return startCeph();
  const accessKeyId = process.env.KLUIS_TEST_S3_ACCESS_KEY;
  const secretAccessKey = process.env.KLUIS_TEST_S3_SECRET_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('KLUIS_TEST_S3_ENDPOINT needs KLUIS_TEST_S3_ACCESS_KEY and KLUIS_TEST_S3_SECRET_KEY');
  return { endpoint, region: process.env.KLUIS_TEST_S3_REGION ?? 'us-east-1', accessKeyId, secretAccessKey, stop: async () => {} };
}

/** Backend options for a test on `s`, under its own key prefix. */
export function s3Options(s: S3Server, prefix: string, bucket = 'kluis-contract'): S3Options {
  return {
    endpoint: s.endpoint,
    region: s.region,
    bucket,
    prefix,
    forcePathStyle: true,
    createBucket: true,
    partSize: 5 * 2 ** 20,
    queueSize: 2,
    removalWaitSeconds: s.removalWaitSeconds ?? REMOVAL_WAIT_SECONDS,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  };
}

/** Environment for a kluis child process on `s` (as an operator would set it). */
export function s3Env(s: S3Server, bucket: string): Record<string, string> {
  return {
    KLUIS_STORAGE: 's3',
    KLUIS_S3_ENDPOINT: s.endpoint,
    KLUIS_S3_REGION: s.region,
    KLUIS_S3_BUCKET: bucket,
    KLUIS_S3_FORCE_PATH_STYLE: 'true',
    KLUIS_S3_CREATE_BUCKET: 'true',
    KLUIS_S3_REMOVAL_WAIT_SECONDS: String(REMOVAL_WAIT_SECONDS),
    AWS_ACCESS_KEY_ID: s.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s.secretAccessKey,
  };
}
