import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { TempArea, reclaimStaging } from '../../../src/storage/fs/temp-area.js';
import { ROOT, tempDir } from '../../helpers/server.js';
import { tracked } from '../../helpers/children.js';

/** Run _open-temp-area.ts in its own process; it opens an area under `root` at the instant `at`. */
function openInChild(root: string, at: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = tracked(spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/storage/fs/_open-temp-area.ts'), root, String(at)], { stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}: ${out}`))));
  });
}

test('processes that open staging areas at the same instant never reclaim each other', async (t) => {
  // The workers of a cluster open the store together, and each start reclaims the staging of
  // dead sessions. A session directory made before its lock read as dead to a neighbour's
  // reclaim, which removed it under a live worker: its first upload failed with 503.
  const root = await tempDir('kluis-temp-area-');
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const at = Date.now() + 5000; // after every child has loaded
  const outcomes = await Promise.all(Array.from({ length: 8 }, () => openInChild(root, at)));
  t.deepEqual(
    outcomes.filter((o) => o !== 'kept'),
    [],
    `areas removed under their live owner: ${outcomes.join(', ')}`,
  );
});

test('a dead session (no live lock) is reclaimed at the next start; a live one is kept', async (t) => {
  const root = await tempDir('kluis-temp-area-');
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const live = await TempArea.open(root);
  t.teardown(() => live.close());
  const dead = path.join(root, 'dead-session');
  await mkdir(dead);
  await TempArea.open(root).then((a) => a.close());
  await t.throwsAsync(access(dead), { code: 'ENOENT' }, 'the dead session was reclaimed');
  await t.notThrowsAsync(access(live.dir), 'the live session was kept');
});

test('a session whose process was killed but not yet reaped (a zombie) is reclaimed at once', async (t) => {
  // A parent that never waits for its children (here `sleep`, exec'd by the shell that started
  // the holder; in a container, often the first process) leaves a killed worker a zombie, whose
  // /proc entry still shows its start time: read as alive, its staging stayed forever.
  const root = await tempDir('kluis-temp-area-');
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const script = path.join(ROOT, 'test/storage/fs/_open-temp-area.ts');
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const shell = tracked(spawn('sh', ['-c', `${quote(process.execPath)} --import tsx ${quote(script)} ${quote(root)} 0 hold & exec sleep 120`], { stdio: ['ignore', 'pipe', 'inherit'] }));
  t.teardown(() => shell.kill('SIGKILL'));
  const dir = await new Promise<string>((resolve, reject) => {
    let out = '';
    shell.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    shell.on('exit', () => reject(new Error(`the holder ended saying ${JSON.stringify(out)}`)));
  });
  const pid = Number(/~(\d+)~/.exec(path.basename(dir))?.[1]);
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  });
  process.kill(pid, 'SIGKILL');
  const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  for (let i = 0; i < 200 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 25));
  t.is(state(), 'Z', 'the killed holder is a zombie of its parent');
  await reclaimStaging(root);
  await t.throwsAsync(access(dir), { code: 'ENOENT' }, 'the zombie’s session was reclaimed');
});
