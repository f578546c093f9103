/**
 * Fencing of stale record locks on local disk. A writer holds a record's lock and has read its
 * revision when it is paused (SIGSTOP) past the lock's staleness; another process takes the lock
 * over and writes; then the paused writer goes on. The takeover deletes the paused writer's
 * pending file (src/storage/fs/record-lock.ts), so its rename fails and the other's write
 * stands; with the fence off it overwrites an acknowledged write: a lost update, shown here so
 * that the test is known to catch one.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { tracked } from '../../helpers/children.js';
import { ROOT, tempDir } from '../../helpers/server.js';
import { Layout } from '../../../src/storage/fs/layout.js';
import { FsRecordStore } from '../../../src/storage/fs/record-store.js';

/** proper-lockfile's smallest staleness. */
const STALE_MS = 2000;

/** A writer of record `k` in its own process, paused (SIGSTOP) while it holds the lock, past the staleness. */
async function stalledWriter(root: string, fencing: 'on' | 'off') {
  const child = tracked(spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/storage/fs/_stalled-writer.ts'), root, String(STALE_MS), fencing], { stdio: ['pipe', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; !out.includes('HOLDING'); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`the writer did not take the lock: ${JSON.stringify(out)}`);
    await sleep(50);
  }
  child.kill('SIGSTOP'); // paused inside its write: its lock is no longer refreshed
  await sleep(STALE_MS * 1.5);
  return {
    /** Let it go on; resolves with the last thing it said (COMMITTED, LOST-RACE or FAILED …). */
    async resume(): Promise<string | undefined> {
      child.kill('SIGCONT');
      child.stdin.write('go\n');
      await exited;
      return out.trim().split('\n').at(-1);
    },
  };
}

async function race(fencing: 'on' | 'off') {
  const root = await tempDir('kluis-fencing-');
  const store = new FsRecordStore<{ writer: string }>(new Layout(root), { staleMs: STALE_MS, fenced: fencing === 'on' });
  const first = await store.put('k', { writer: 'first' }, null);
  const stalled = await stalledWriter(root, fencing);
  const acknowledged = await store.put('k', { writer: 'other' }, first); // takes the stale lock over
  const child = await stalled.resume();
  return { child, acknowledged, final: await store.get('k'), left: await readdir(path.join(root, 'records')) };
}

test('a writer paused past its lock’s staleness loses to the one that took the lock over: the acknowledged write stands', async (t) => {
  const { child, acknowledged, final, left } = await race('on');
  t.is(child, 'LOST-RACE');
  t.deepEqual(final, { value: { writer: 'other' }, revision: acknowledged });
  t.deepEqual(left, ['f~k'], 'no pending file and no lock left behind');
});

test('with the fence off, the same pause overwrites the acknowledged write (the lost update the fence prevents)', async (t) => {
  const { child, acknowledged, final } = await race('off');
  t.is(child, 'COMMITTED');
  t.is(final?.revision, acknowledged, 'the same revision number, written twice');
  t.deepEqual(final?.value, { writer: 'stalled' }, 'the acknowledged write of "other" is gone');
});
