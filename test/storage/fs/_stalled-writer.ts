// Child process of fencing.test.ts: a writer of record `k` under the data root argv[2] (lock
// staleness argv[3] ms, fencing argv[4] 'on' or 'off') that says HOLDING once it holds the
// record's lock and has read its revision, waits for a line on stdin (the test stops it with
// SIGSTOP meanwhile), then finishes its write and says how it ended.
import { once } from 'node:events';
import { FsRecordStore } from '../../../src/storage/fs/record-store.js';
import { Layout } from '../../../src/storage/fs/layout.js';
import { RevisionMismatch } from '../../../src/storage/contracts.js';

const [root, staleMs, fencing] = [process.argv[2] as string, Number(process.argv[3]), process.argv[4]];
const layout = new Layout(root);
const store = new FsRecordStore<{ writer: string }>(layout, { staleMs, fenced: fencing === 'on' });
const current = await store.get('k');
try {
  await store.put('k', { writer: 'stalled' }, current?.revision ?? null, async () => {
    process.stdout.write('HOLDING\n');
    await once(process.stdin, 'data');
  });
  process.stdout.write('COMMITTED\n');
} catch (err) {
  process.stdout.write(err instanceof RevisionMismatch ? 'LOST-RACE\n' : `FAILED ${(err as Error).message}\n`);
}
process.stdin.destroy();
