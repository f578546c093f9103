import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import test from 'ava';
import { Budget, readHead } from '../../../src/storage/s3/held.js';

const chunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, i));

test('a body within the limit and the budget comes back whole, its bytes taken from the budget', async (t) => {
  const budget = new Budget(100);
  const head = await readHead(Readable.from(chunks(3, 10)), 50, budget);
  t.true('whole' in head && head.whole.equals(Buffer.concat(chunks(3, 10))));
  t.false(budget.take(71), '30 bytes are still held');
  t.true(budget.take(70));
});

test('a body past the limit, or past what the budget has left, comes back as a stream of every byte, the budget untouched', async (t) => {
  for (const [limit, room] of [
    [25, 1000],
    [1000, 25],
  ] as const) {
    const budget = new Budget(room);
    const head = await readHead(Readable.from(chunks(6, 10)), limit, budget);
    t.true('stream' in head);
    if ('stream' in head) t.true((await buffer(head.stream)).equals(Buffer.concat(chunks(6, 10))));
    t.true(budget.take(room), `limit ${limit}, budget ${room}: everything was given back`);
  }
});

test('an error while the head is read rejects and gives the budget back; one after it errors the stream', async (t) => {
  const budget = new Budget(100);
  const failing = (after: number) =>
    Readable.from(
      (async function* () {
        yield* chunks(after, 10);
        throw new Error('client went away');
      })(),
    );
  await t.throwsAsync(readHead(failing(2), 50, budget), { message: 'client went away' });
  t.true(budget.take(100));
  budget.give(100);
  const head = await readHead(failing(8), 50, budget);
  t.true('stream' in head);
  if ('stream' in head) await t.throwsAsync(buffer(head.stream), { message: 'client went away' });
  t.true(budget.take(100));
});
