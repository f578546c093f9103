/**
 * The staging of a process that died is reclaimed as soon as it is known dead, not at some
 * later start: a server killed in the middle of an upload and started again within seconds (its
 * session lock is still fresh) removes the dead session's staged bytes at once, since on this
 * machine its process is gone; in a cluster, a worker killed mid-upload has its staging removed
 * when the primary sees it exit. Local disk only (S3 sessions keep their heartbeat rule).
 */
import http from 'node:http';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { request } from '../helpers/http.js';
import { type ChildServer, startChild, tempDir } from '../helpers/server.js';

const MB = 1024 * 1024;

/** A PUT that declares 200 MB, sends 20 MB and stays open; aborted by the caller. */
function stalledUpload(base: string, name: string): http.ClientRequest {
  const req = http.request(`${base}/files/${name}`, { method: 'PUT', agent: false, headers: { 'Content-Length': String(200 * MB) } });
  req.on('error', () => {});
  req.write(Buffer.alloc(20 * MB, 1));
  return req;
}

/** Session directories under tmp/ that hold a staged file of some size, by name. */
async function sessionsWithBytes(dataDir: string): Promise<string[]> {
  const tmp = path.join(dataDir, 'tmp');
  const found: string[] = [];
  for (const entry of await readdir(tmp).catch(() => [] as string[])) {
    if (entry.endsWith('.lock')) continue;
    for (const file of await readdir(path.join(tmp, entry)).catch(() => [] as string[])) {
      if ((await stat(path.join(tmp, entry, file)).catch(() => undefined))?.size) found.push(entry);
    }
  }
  return found;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    let value: T | undefined;
    let failure: unknown;
    try {
      value = await probe();
    } catch (err) {
      failure = err;
    }
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}${failure ? `; last try: ${(failure as Error).cause ?? failure}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('kill -9 mid-upload and a restart within seconds: the dead session’s staged bytes are gone once the new process listens', async (t) => {
  const dataDir = await tempDir('kluis-reclaim-');
  let s: ChildServer = await startChild(dataDir);
  t.teardown(() => s.stop('SIGKILL'));
  const upload = stalledUpload(s.url, 'big.bin');
  const [dead] = await until('a staged file', async () => ((await sessionsWithBytes(dataDir)).length > 0 ? sessionsWithBytes(dataDir) : undefined));
  await s.stop('SIGKILL');
  upload.destroy();
  s = await startChild(dataDir);
  const left = await readdir(path.join(dataDir, 'tmp'));
  t.false(
    left.some((e) => e.startsWith(dead as string)),
    `the dead session ${dead} and its lock are gone at once: ${left.join(', ')}`,
  );
  t.is((await request(`${s.url}/files/big.bin`)).status, 404, 'nothing of the upload was stored');
});

test('a cluster worker killed mid-upload: its staging is removed when the primary sees it exit, while the other worker serves on', async (t) => {
  const dataDir = await tempDir('kluis-reclaim-cluster-');
  const s = await startChild(dataDir, { KLUIS_WORKERS: '2' });
  t.teardown(() => s.stop('SIGKILL'));
  // Both workers must listen before one is killed: with only one listening, killing it closes the
  // primary's socket, and the next worker listens on another port (the test asked for port 0).
  await until('both workers to listen', async () => ((s.output().match(/kluis listening on/g)?.length ?? 0) >= 2 ? true : undefined), 60_000);
  const upload = stalledUpload(s.url, 'big.bin');
  t.teardown(() => upload.destroy());
  const [session] = await until('a staged file', async () => ((await sessionsWithBytes(dataDir)).length > 0 ? sessionsWithBytes(dataDir) : undefined));
  const pid = Number(/~(\d+)~/.exec(session as string)?.[1]);
  t.true(pid > 0 && pid !== s.child.pid, `the session ${session} names its worker's pid`);
  process.kill(pid, 'SIGKILL');
  await until('the dead worker’s staging to go', async () => ((await readdir(path.join(dataDir, 'tmp'))).some((e) => e.startsWith(session as string)) ? undefined : true), 8_000);
  // The primary hands a new connection to a live worker (once it has seen the other die).
  await until('an answer', async () => ((await request(`${s.url}/healthz`)).status === 200 ? true : undefined));
  t.is((await request(`${s.url}/files/big.bin`)).status, 404);
});
