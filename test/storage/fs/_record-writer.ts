// Child process of record-lock.test.ts, a record writer in a process of its own (staleness 2 s):
//   hold <file> <lock>: take the record's lock (over a stale one), say HOLDING, wait for a line
//     on stdin, then write "child", publish and say PUBLISHED or FENCED.
//   increment <file> <lock>: until a line arrives on stdin, under the lock, read the number in the
//     file and publish it plus one; then say how many publishes landed.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { lockRecord } from '../../../src/storage/fs/record-lock.js';

const [mode, file, lock] = process.argv.slice(2) as [string, string, string];
const options = { staleMs: 2000, fenced: true };
if (mode === 'hold') {
  const held = await lockRecord(file, lock, options);
  process.stdout.write('HOLDING\n');
  await once(process.stdin, 'data');
  await held.write('child');
  process.stdout.write((await held.publish()) ? 'PUBLISHED\n' : 'FENCED\n');
  await held.release();
  process.stdin.destroy();
} else {
  // Until a line arrives on stdin.
  let stop = false;
  process.stdin.once('data', () => (stop = true));
  let landed = 0;
  while (!stop) {
    const held = await lockRecord(file, lock, options);
    try {
      const current = Number(await readFile(file, 'utf8'));
      await held.write(String(current + 1));
      if (await held.publish()) landed++;
    } finally {
      await held.release();
    }
  }
  process.stdout.write(`LANDED ${landed}\n`);
  process.stdin.destroy();
}
