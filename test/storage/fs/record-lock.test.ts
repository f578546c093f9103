/** The fence's parts on their own (record-lock.ts); fencing.test.ts shows it against a paused process. */
import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tempDir } from '../../helpers/server.js';
import { lockRecord, pendingPrefix } from '../../../src/storage/fs/record-lock.js';

const options = { staleMs: 2000, fenced: true };

async function record() {
  const dir = await tempDir('kluis-record-lock-');
  return { dir, file: path.join(dir, 'f~a.txt'), lock: path.join(dir, 'l~a.txt') };
}

test('a writer whose lock was taken over is fenced off, and gives the lock up without removing the new holder’s', async (t) => {
  const { file, lock } = await record();
  // A writer that paused: its clock has moved on past the staleness since its last refresh.
  const held = await lockRecord(file, lock, { ...options, now: () => Date.now() + 60_000 });
  // Its lock goes stale (as the pause made it), and another writer takes it over.
  const old = new Date(Date.now() - 60_000);
  await utimes(lock, old, old);
  await new Promise((resolve) => setTimeout(resolve, 10)); // a takeover comes later than the lock it takes
  const taker = await lockRecord(file, lock, options);
  await held.write('{"writer":"paused"}');
  t.false(await held.publish(), 'its pending file went with the takeover: fenced off');
  await held.release();
  await t.notThrowsAsync(access(lock), 'the new holder’s lock is still there');
  await taker.write('{"writer":"taker"}');
  t.true(await taker.publish());
  t.is(await readFile(file, 'utf8'), '{"writer":"taker"}');
});

test('a writer that still holds its lock, refreshed while held, publishes, and its release removes the lock', async (t) => {
  const { dir, file, lock } = await record();
  // Its clock ahead: the release cannot take the fresh-lock shortcut and must recognise its refresh.
  const held = await lockRecord(file, lock, { ...options, now: () => Date.now() + 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 1300)); // past one refresh (every staleMs / 2)
  await held.write('{"revision":1}');
  t.true(await held.publish());
  await held.release();
  t.deepEqual(await readdir(dir), ['f~a.txt']);
});

test('taking a stale lock over deletes the pending files of that record only; a writer that gives up leaves none', async (t) => {
  const { dir, file, lock } = await record();
  // What a writer killed mid-write leaves: its lock (stale) and its pending file.
  await mkdir(lock);
  const old = new Date(Date.now() - 60_000);
  await utimes(lock, old, old);
  const dead = `${pendingPrefix(file)}${randomUUID()}`;
  const neighbour = `${pendingPrefix(path.join(dir, 'f~b.txt'))}${randomUUID()}`;
  await writeFile(dead, 'half');
  await writeFile(neighbour, '');
  const held = await lockRecord(file, lock, options);
  await held.release(); // nothing written: its own pending file goes too
  t.deepEqual((await readdir(dir)).sort(), [path.basename(neighbour)]);
});
