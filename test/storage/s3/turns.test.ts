import test from 'ava';
import { Turns } from '../../../src/storage/s3/upload-bytes.js';

test('S3 appends take turns: at most n run at once, the others start as one ends, in order', async (t) => {
  const turns = new Turns(3);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const one = async (i: number) => {
    await turns.take();
    running++;
    most = Math.max(most, running);
    order.push(i);
    await new Promise((resolve) => setTimeout(resolve, 10));
    running--;
    turns.give();
  };
  await Promise.all([0, 1, 2, 3, 4, 5, 6].map(one));
  t.is(most, 3);
  t.deepEqual(order, [0, 1, 2, 3, 4, 5, 6]);
});
