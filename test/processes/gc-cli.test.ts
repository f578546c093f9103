import { execFile } from 'node:child_process';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { put, request } from '../helpers/http.js';
import { ROOT, startServer, tempDir } from '../helpers/server.js';

const exec = promisify(execFile);

/** `npm run gc` as its script runs it, on local disk in `dataDir`. */
async function gc(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/gc.ts'), ...args], { cwd: ROOT, env: { ...process.env, KLUIS_DATA_DIR: dataDir, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every blob file, made two hours old (as if committed then). */
async function ageBlobs(dataDir: string): Promise<void> {
  const then = new Date(Date.now() - 2 * 3600_000);
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const full = path.join(dir, name);
      if ((await stat(full)).isDirectory()) await walk(full);
      else await utimes(full, then, then);
    }
  };
  await walk(path.join(dataDir, 'blobs'));
}

test('npm run gc: a retention pass, then GC of the pruned bytes; --dry-run removes nothing; bad arguments exit 2', async (t) => {
  const dataDir = await tempDir('kluis-gc-cli-');
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const s = await startServer({ dataDir });
  await put(s.url, 'log.txt', 'old bytes');
  await put(s.url, 'log.txt', 'new bytes');
  await s.close();
  await ageBlobs(dataDir);
  const env = { KLUIS_RETENTION: '[{"prefix":"","keepLast":1}]' };

  const dry = await gc(dataDir, ['--dry-run', '--grace=3600'], env);
  t.is(dry.code, 0, dry.stderr);
  const dryReport = JSON.parse(dry.stdout);
  t.is(dryReport.retention, undefined, 'a dry run prunes nothing');
  t.like(dryReport.gc, { blobs: 2, candidates: 0, deleted: 0, dryRun: true });

  const real = await gc(dataDir, ['--grace=3600'], env);
  t.is(real.code, 0, real.stderr);
  const report = JSON.parse(real.stdout);
  t.like(report.retention, { files: 1, versions: 1, bytes: 9 });
  t.like(report.gc, { blobs: 2, candidates: 1, deleted: 1, freedBytes: 9 });

  const again = await startServer({ dataDir });
  t.teardown(() => again.close());
  t.is((await request(`${again.url}/files/log.txt`)).text, 'new bytes');
  t.is((await request(`${again.url}/files/log.txt?version=1`)).status, 410);

  const bad = await gc(dataDir, ['--grace=5']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--grace must be at least 60/);
  t.is((await gc(dataDir, ['--frobnicate'])).code, 2);
});
