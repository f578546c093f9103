import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { readSmallFile } from '../../../src/storage/fs/durable.js';
import { tempDir } from '../../helpers/server.js';

test('readSmallFile reads any size whole: empty, one read, exactly one read buffer, and several', async (t) => {
  const dir = await tempDir('kluis-durable-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const size of [0, 1, 700, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200 * 1024 + 3]) {
    const file = path.join(dir, `f${size}`);
    const bytes = randomBytes(size);
    await writeFile(file, bytes);
    const read = await readSmallFile(file);
    t.true(read?.equals(bytes), `${size} bytes read back whole`);
  }
});

test('readSmallFile: a missing file, or one under a path that is not a directory, is undefined; other errors are thrown', async (t) => {
  const dir = await tempDir('kluis-durable-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.is(await readSmallFile(path.join(dir, 'nothing')), undefined);
  await writeFile(path.join(dir, 'plain'), 'x');
  t.is(await readSmallFile(path.join(dir, 'plain', 'below')), undefined, 'ENOTDIR');
  await t.throwsAsync(readSmallFile(dir), { code: 'EISDIR' }, 'reading a directory is an error, not a missing file');
});
