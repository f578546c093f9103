/**
 * `npm run kluis -- locks | unlock <path> | stats | gc`: operating the store a running server
 * uses, without HTTP, on local disk and on S3; a live lock holder meets the operator's unlock.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import type { Backend } from '../helpers/backend.js';
import { put, request } from '../helpers/http.js';
import { ROOT, startChild, tempDir } from '../helpers/server.js';
import { s3Env, s3Server } from '../s3/ceph.js';

const exec = promisify(execFile);

async function kluis(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

for (const backend of ['fs', 's3'] as Backend[]) {
  test(`${backend}: the operator lists the live locks of a running server's store and breaks one; the holder's token then writes nothing`, async (t) => {
    t.timeout(180_000);
    const dataDir = await tempDir('kluis-cli-');
    const env: Record<string, string> = { KLUIS_DATA_DIR: dataDir };
    if (backend === 's3') {
      const s3 = await s3Server();
      t.teardown(() => s3.stop());
      Object.assign(env, s3Env(s3, 'kluis-cli'), { KLUIS_S3_PREFIX: `cli-${randomUUID()}/` });
    }
    const server = await startChild(dataDir, env);
    t.teardown(async () => {
      await server.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    });
    await put(server.url, 'docs/plan.odt', 'v1');
    await put(server.url, 'docs/free.txt', 'free');
    const taken = await request(`${server.url}/files/docs/plan.odt?checkout&label=${encodeURIComponent('Jan (left for the day)')}`, { method: 'POST' });
    const token = taken.json.token as string;

    const listed = await kluis(env, ['locks']);
    t.is(listed.code, 0, listed.stderr);
    const locks = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    t.is(locks.length, 1);
    t.like(locks[0], { path: 'docs/plan.odt', owner: 'anonymous', label: 'Jan (left for the day)', expiresAt: taken.json.expiresAt });
    t.false('token' in locks[0], 'no token on the operator screen either');

    const unlocked = await kluis(env, ['unlock', 'docs/plan.odt']);
    t.is(unlocked.code, 0, unlocked.stderr);
    t.like(JSON.parse(unlocked.stdout), { path: 'docs/plan.odt', released: true, locks: [{ owner: 'anonymous', label: 'Jan (left for the day)', scope: 'exclusive' }] });
    t.is((await request(`${server.url}/files/docs/plan.odt?lock`)).status, 404, 'the running server sees it at once');
    const stale = await put(server.url, 'docs/plan.odt', 'the holder, later', { 'Lock-Token': `<${token}>` });
    t.is(stale.status, 409);
    t.is(stale.json.code, 'not-checked-out', 'the holder learns the lock was broken');
    t.is((await put(server.url, 'docs/plan.odt', 'someone else')).status, 200);

    // A WebDAV shared lock is listed, and broken, too.
    const shared = '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>Piet</D:owner></D:lockinfo>';
    t.is((await request(`${server.url}/dav/docs/free.txt`, { method: 'LOCK', headers: { 'Content-Type': 'application/xml' }, body: shared })).status, 200);
    t.like(JSON.parse((await kluis(env, ['locks'])).stdout), { path: 'docs/free.txt', label: 'Piet', scope: 'shared' });
    t.is((await kluis(env, ['unlock', 'docs/free.txt'])).code, 0);
    t.is((await put(server.url, 'docs/free.txt', 'free again')).status, 200);
    const again = await kluis(env, ['unlock', 'docs/free.txt']);
    t.is(again.code, 1);
    t.regex(again.stderr, /not-checked-out/);
    t.is((await kluis(env, ['locks'])).stdout, '');
    const stats = await kluis(env, ['stats']);
    t.like(JSON.parse(stats.stdout), { files: 2, versions: 4, liveLocks: 0 });
    const gc = await kluis(env, ['gc', '--dry-run']);
    t.like(JSON.parse(gc.stdout).gc, { dryRun: true, deleted: 0 });
    const wrong = await kluis(env, ['unlock']);
    t.is(wrong.code, 2);
    t.regex(wrong.stderr, /usage: npm run kluis/);
    t.is((await kluis(env, ['unlock', '../etc/passwd'])).code, 2);
  });
}
