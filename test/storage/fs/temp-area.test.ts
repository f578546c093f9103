import { spawn } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { TempArea } from '../../../src/storage/fs/temp-area.js';
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
