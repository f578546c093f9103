/**
 * Fencing of stale record locks on local disk. A writer holds a record's lock and has read its
 * revision when it is paused (SIGSTOP) past the lock's staleness; another process takes the lock
 * over and writes; then the paused writer goes on. With revision files linked in exclusively
 * (src/storage/fs/record-store.ts) it loses the race and the other's write stands; with the
 * fence off (a rename, as before) it overwrites an acknowledged write: a lost update, shown
 * here so that the test is known to catch one.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { tracked } from '../../helpers/children.js';
import { ROOT, tempDir } from '../../helpers/server.js';
import { Layout } from '../../../src/storage/fs/layout.js';
import { FsRecordStore } from '../../../src/storage/fs/record-store.js';
import { TempArea } from '../../../src/storage/fs/temp-area.js';

/** proper-lockfile's smallest staleness. */
const STALE_MS = 2000;

async function race(fencing: 'on' | 'off') {
  const root = await tempDir('kluis-fencing-');
  const layout = new Layout(root);
  const temp = await TempArea.open(layout.tmp);
  const store = new FsRecordStore<{ writer: string }>(layout, temp, { staleMs: STALE_MS, fenced: fencing === 'on' });
  const first = await store.put('k', { writer: 'first' }, null);
  const child = tracked(spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/storage/fs/_stalled-writer.ts'), root, String(STALE_MS), fencing], { stdio: ['pipe', 'pipe', 'inherit'] }));
  let out = '';
  const said = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (out.includes(line) ? resolve() : undefined);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        check();
      });
      child.once('exit', () => (out.includes(line) ? resolve() : reject(new Error(`the writer ended saying ${JSON.stringify(out)}`))));
      check();
    });
  await said('HOLDING');
  child.kill('SIGSTOP'); // paused inside its write: its lock is no longer refreshed
  await sleep(STALE_MS * 1.5);
  const acknowledged = await store.put('k', { writer: 'other' }, first); // takes the stale lock over
  child.kill('SIGCONT');
  child.stdin.write('go\n');
  await new Promise((resolve) => child.once('exit', resolve));
  const final = await store.get('k');
  await temp.close();
  return { child: out.trim().split('\n').at(-1), acknowledged, final };
}

test('a writer paused past its lock’s staleness loses to the one that took the lock over: the acknowledged write stands', async (t) => {
  const { child, acknowledged, final } = await race('on');
  t.is(child, 'LOST-RACE');
  t.deepEqual(final, { value: { writer: 'other' }, revision: acknowledged });
});

test('with the fence off, the same pause overwrites the acknowledged write (the lost update the fence prevents)', async (t) => {
  const { child, acknowledged, final } = await race('off');
  t.is(child, 'COMMITTED');
  t.is(final?.revision, acknowledged, 'the same revision number, written twice');
  t.deepEqual(final?.value, { writer: 'stalled' }, 'the acknowledged write of "other" is gone');
});

test('a record of the earlier layout (one f~ file) is read as it is, and its next write moves it to a revision file', async (t) => {
  const root = await tempDir('kluis-fs-layout-');
  const layout = new Layout(root);
  await mkdir(path.join(root, 'records', 'd~docs'), { recursive: true });
  await writeFile(path.join(root, 'records', 'd~docs', 'f~a.txt'), JSON.stringify({ revision: 7, value: { writer: 'before' } }));
  const temp = await TempArea.open(layout.tmp);
  t.teardown(() => temp.close());
  const store = new FsRecordStore<{ writer: string }>(layout, temp);
  t.deepEqual(await store.get('docs/a.txt'), { value: { writer: 'before' }, revision: '7' });
  t.deepEqual(await store.list('docs'), { files: ['a.txt'], directories: [] });
  t.is(await store.put('docs/a.txt', { writer: 'after' }, '7'), '8');
  t.deepEqual(await store.get('docs/a.txt'), { value: { writer: 'after' }, revision: '8' });
  t.deepEqual(await readdir(path.join(root, 'records', 'd~docs')), ['v~a.txt'], 'the f~ file is gone, no lock is left');
  t.deepEqual(await readdir(path.join(root, 'records', 'd~docs', 'v~a.txt')), ['8']);
  await store.put('docs/a.txt', { writer: 'again' }, '8');
  await store.put('docs/a.txt', { writer: 'and again' }, '9');
  t.deepEqual((await readdir(path.join(root, 'records', 'd~docs', 'v~a.txt'))).sort(), ['10', '9'], 'the two newest revisions are kept');
});
