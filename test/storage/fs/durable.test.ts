import { randomBytes } from 'node:crypto';
import { rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { blockingReadTurn, readSmallSync } from '../../../src/storage/fs/durable.js';
import { tempDir } from '../../helpers/server.js';

test('readSmallSync reads any size whole: empty, one read, exactly one read buffer, and several', async (t) => {
  const dir = await tempDir('kluis-durable-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const reads: [Buffer | undefined, Buffer][] = [];
  for (const size of [0, 1, 700, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200 * 1024 + 3]) {
    const file = path.join(dir, `f${size}`);
    const bytes = randomBytes(size);
    await writeFile(file, bytes);
    const read = readSmallSync(file);
    t.true(read?.equals(bytes), `${size} bytes read back whole`);
    reads.push([read, bytes]);
  }
  // Reads share one scratch buffer: each answer must be its own copy, intact after later reads.
  for (const [read, bytes] of reads) t.true(read?.equals(bytes), `${bytes.length} bytes still intact after the other reads`);
});

test('readSmallSync: a missing file, or one under a path that is not a directory, is undefined; other errors are thrown', async (t) => {
  const dir = await tempDir('kluis-durable-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.is(readSmallSync(path.join(dir, 'nothing')), undefined);
  await writeFile(path.join(dir, 'plain'), 'x');
  t.is(readSmallSync(path.join(dir, 'plain', 'below')), undefined, 'ENOTDIR');
  t.throws(() => readSmallSync(dir), { code: 'EISDIR' }, 'reading a directory is an error, not a missing file');
});

test('readSmallSync stops at its limit: a blob of known size is read no further', async (t) => {
  const dir = await tempDir('kluis-durable-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  const bytes = randomBytes(150 * 1024);
  await writeFile(file, bytes);
  for (const limit of [0, 10, 64 * 1024, 100 * 1024, 150 * 1024, 300 * 1024]) {
    t.true(readSmallSync(file, limit)?.equals(bytes.subarray(0, limit)), `limit ${limit}`);
  }
});

test('readSmallSync leaves the access time alone (O_NOATIME): a read never dirties the inode', async (t) => {
  const dir = await tempDir('kluis-durable-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  await writeFile(file, 'x');
  // An access time before the modification time: relatime would update it on the next read.
  const old = new Date('2001-02-03T04:05:06Z');
  await utimes(file, old, new Date());
  readSmallSync(file);
  t.is((await stat(file)).atimeMs, old.getTime());
});

test('blocking reads take turns with the event loop: at most 32 in a row, however many are asked for at once', async (t) => {
  let done = 0;
  const seen: number[] = [];
  const tick = () =>
    setImmediate(() => {
      seen.push(done);
      if (done < 100) tick();
    });
  tick();
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      await blockingReadTurn();
      done++;
    }),
  );
  t.true(seen.length >= 3, `the event loop ran ${seen.length} times while 100 reads went`);
  t.true(
    seen.every((n, i) => n - (seen[i - 1] ?? 0) <= 32),
    `reads between turns: ${seen.join(', ')}`,
  );
});
