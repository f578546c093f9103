import test from 'ava';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DurableFileSink } from '../../../src/storage/fs/file-sink.js';
import { tempDir } from '../../helpers/server.js';

/** `total` bytes in chunks of `size`, each chunk different. */
function* chunks(total: number, size: number): Generator<Buffer> {
  for (let i = 0, n = 0; i < total; i += size, n++) {
    const c = Buffer.alloc(Math.min(size, total - i), n % 251);
    c.writeUInt32BE(n, 0);
    yield c;
  }
}

test('a large stream lands byte for byte (background syncs on the way); the file exists only as written', async (t) => {
  const dir = await tempDir('kluis-sink-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'big');
  const total = 150 * 1024 * 1024 + 12_345; // past two background fdatasyncs
  const hash = createHash('sha256');
  for (const c of chunks(total, 1 << 20)) hash.update(c);
  await pipeline(Readable.from(chunks(total, 1 << 20)), new DurableFileSink(file));
  const data = await readFile(file);
  t.is(data.length, total);
  t.is(createHash('sha256').update(data).digest('hex'), hash.digest('hex'));
});

test('an existing file is never overwritten (wx), and a failing source leaves the descriptor closed', async (t) => {
  const dir = await tempDir('kluis-sink-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'taken');
  await writeFile(file, 'first');
  await t.throwsAsync(pipeline(Readable.from([Buffer.from('second')]), new DurableFileSink(file)), { code: 'EEXIST' });
  t.is(await readFile(file, 'utf8'), 'first');

  const failing = new Readable({
    read() {
      this.push(Buffer.alloc(1 << 20));
      this.destroy(new Error('client gone'));
    },
  });
  const fds = (await readdir('/proc/self/fd')).length;
  const sink = new DurableFileSink(path.join(dir, 'half'));
  await t.throwsAsync(pipeline(failing, sink), { message: 'client gone' });
  if (!sink.closed) await new Promise((resolve) => sink.once('close', resolve));
  t.is((await readdir('/proc/self/fd')).length, fds, 'the descriptor is closed');
});
