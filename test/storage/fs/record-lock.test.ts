/** The fence's parts on their own (record-lock.ts); fencing.test.ts shows it against a paused process. */
import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import test from 'ava';
import { tracked } from '../../helpers/children.js';
import { ROOT, tempDir } from '../../helpers/server.js';
import { lockRecord, pendingPrefix } from '../../../src/storage/fs/record-lock.js';

const options = { staleMs: 2000, fenced: true };

/** Set the marker of `lock`'s holder back by a minute: a holder that stopped refreshing it. */
async function ageLock(lock: string): Promise<void> {
  const old = new Date(Date.now() - 60_000);
  for (const marker of await readdir(lock)) await utimes(path.join(lock, marker), old, old);
}

/** The lock a killed writer leaves: its directory, its marker, not refreshed for a minute. */
async function deadLock(lock: string): Promise<void> {
  await mkdir(lock).catch(() => {});
  await mkdir(path.join(lock, randomUUID()));
  await ageLock(lock);
}

/** _record-writer.ts in a process of its own; `said` resolves once it printed `line`. */
function writer(args: string[]) {
  const child = tracked(spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/storage/fs/_record-writer.ts'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const said = async (line: string): Promise<string> => {
    for (;;) {
      const found = out.split('\n').find((l) => l.startsWith(line));
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`the writer ended saying ${JSON.stringify(out)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { child, said, exited };
}

async function record() {
  const dir = await tempDir('kluis-record-lock-');
  return { dir, file: path.join(dir, 'f~a.txt'), lock: path.join(dir, 'l~a.txt') };
}

test('a writer whose lock was taken over is fenced off, and gives the lock up without removing the new holder’s', async (t) => {
  const { file, lock } = await record();
  const held = await lockRecord(file, lock, options);
  // Its lock stays stale (as a pause would keep it: its refreshes are undone), and a writer in
  // another process takes it over.
  const taker = writer(['hold', file, lock]);
  let aging = true;
  const ager = (async () => {
    while (aging) {
      await ageLock(lock).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  await taker.said('HOLDING');
  aging = false;
  await ager;
  await held.write('{"writer":"paused"}');
  t.false(await held.publish(), 'its pending file went with the takeover: fenced off');
  await held.release();
  await t.notThrowsAsync(access(lock), 'the new holder’s lock is still there');
  taker.child.stdin?.write('go\n');
  await taker.said('PUBLISHED');
  t.is(await readFile(file, 'utf8'), 'child');
});

test('a writer that still holds its lock, refreshed while held, publishes, and its release removes the lock', async (t) => {
  const { dir, file, lock } = await record();
  const held = await lockRecord(file, lock, options);
  await new Promise((resolve) => setTimeout(resolve, 1300)); // past a few refreshes (every staleMs / 4)
  await held.write('{"revision":1}');
  t.true(await held.publish());
  await held.release();
  t.deepEqual(await readdir(dir), ['f~a.txt']);
});

test('taking a stale lock over deletes the pending files of that record only; a writer that gives up leaves none', async (t) => {
  const { dir, file, lock } = await record();
  // What a writer killed mid-write leaves: its lock (stale) and its pending file.
  await deadLock(lock);
  const dead = `${pendingPrefix(file)}${randomUUID()}`;
  const neighbour = `${pendingPrefix(path.join(dir, 'f~b.txt'))}${randomUUID()}`;
  await writeFile(dead, 'half');
  await writeFile(neighbour, '');
  const held = await lockRecord(file, lock, options);
  await held.release(); // nothing written: its own pending file goes too
  t.deepEqual((await readdir(dir)).sort(), [path.basename(neighbour)]);
});

test('writers of one process racing to take one stale lock over never both publish: every published increment counts', async (t) => {
  // With proper-lockfile, each judged the lock stale by a stat and removed it; between the two
  // another had already replaced it: sharing its one lock per path, they lost increments, and a
  // refresh timer threw and ended the process.
  const { dir, file, lock } = await record();
  await writeFile(file, '0');
  // Neighbours make the takeover's sweep (a listing) slow, so that the race shows.
  await Promise.all(Array.from({ length: 3000 }, (_, i) => writeFile(path.join(dir, `f~n${i}`), '')));
  let published = 0;
  for (let round = 0; round < 40; round++) {
    await deadLock(lock);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (;;) {
          const held = await lockRecord(file, lock, options);
          try {
            const n = Number(await readFile(file, 'utf8'));
            await held.write(String(n + 1));
            if (await held.publish()) return void published++;
          } finally {
            await held.release();
          }
        }
      }),
    );
  }
  t.is(Number(await readFile(file, 'utf8')), published, 'no increment was lost');
  t.is(published, 160);
});

test('writers of three processes, each paused now and then past the staleness while the others go on, lose no increment', async (t) => {
  // A writer stopped (SIGSTOP) for longer than the staleness, wherever it is (holding the lock,
  // waiting for it, releasing it): the others take its lock over and go on; when it resumes it
  // must neither publish over them nor remove their lock. Every publish a writer saw land must
  // be in the file.
  const { file, lock } = await record();
  await writeFile(file, '0');
  const writers = [1, 2, 3].map(() => writer(['increment', file, lock]));
  for (let pause = 0; pause < 4; pause++) {
    await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
    const paused = writers[pause % writers.length]?.child;
    paused?.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, options.staleMs * 1.3));
    paused?.kill('SIGCONT');
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const w of writers) w.child.stdin?.write('stop\n');
  const landed = await Promise.all(writers.map(async (w) => Number((await w.said('LANDED')).split(' ')[1])));
  t.true(
    landed.every((n) => n > 0),
    `every writer published: ${landed.join(', ')}`,
  );
  t.is(
    Number(await readFile(file, 'utf8')),
    landed.reduce((a, b) => a + b, 0),
    'every published increment is in the file',
  );
});

test('a lock holding something other than an empty marker is still taken once stale: a marker that is a file, stray entries', async (t) => {
  // A stale marker that rmdir could not remove made the taker retry at once, forever; strays
  // were removed with the lock itself, which another writer may just have renamed in.
  const { file, lock } = await record();
  await mkdir(lock);
  await writeFile(path.join(lock, randomUUID()), ''); // a holder's marker as a file
  await ageLock(lock);
  const first = await lockRecord(file, lock, options);
  await first.write('1');
  t.true(await first.publish());
  await first.release();
  await mkdir(lock);
  await writeFile(path.join(lock, '.DS_Store'), 'x');
  const old = new Date(Date.now() - 60_000);
  await utimes(lock, old, old);
  const second = await lockRecord(file, lock, options);
  await second.write('2');
  t.true(await second.publish());
  await second.release();
  t.is(await readFile(file, 'utf8'), '2');
});

test('within one process, a writer that waited its turn asks whether it still wants the lock, and takes none when not; the first writer is not asked', async (t) => {
  const { dir, file, lock } = await record();
  let asked = 0;
  const wanted = (answer: boolean) => async () => {
    asked++;
    return answer;
  };
  const first = await lockRecord(file, lock, options, wanted(true));
  t.truthy(first);
  t.is(asked, 0, 'nobody went before the first writer: nothing to ask');
  const lost = lockRecord(file, lock, options, wanted(false));
  const next = lockRecord(file, lock, options, wanted(true));
  await first?.release();
  t.is(await lost, undefined, 'a writer whose compare-and-set is lost gets no lock');
  const held = await next;
  t.truthy(held, 'the writer after it still gets the lock');
  t.is(asked, 2);
  const names = await readdir(dir);
  t.false(
    names.some((n) => n.startsWith('t~')),
    `the lost writer made no lock candidate: ${names.join(', ')}`,
  );
  await held?.release();
  t.deepEqual(await readdir(dir), [], 'nothing left once both went');
});
