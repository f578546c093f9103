import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { Janitor } from '../../../src/storage/s3/janitor.js';

test('a cleanup that works at once is not kept', async (t) => {
  const janitor = new Janitor();
  t.teardown(() => janitor.close());
  let runs = 0;
  await janitor.run('a', async () => {
    runs++;
  });
  t.is(runs, 1);
  t.is(janitor.backlog, 0);
});

test('a failing cleanup is retried with backoff until it works, once per id', async (t) => {
  const janitor = new Janitor();
  t.teardown(() => janitor.close());
  let runs = 0;
  const job = async () => {
    runs++;
    if (runs < 3) throw new Error('store away');
  };
  await janitor.run('staging/x', job);
  await janitor.run('staging/x', job); // the same id again: still one job
  t.is(janitor.backlog, 1);
  for (let i = 0; i < 100 && janitor.backlog > 0; i++) await sleep(100);
  t.is(janitor.backlog, 0, 'retried until it worked');
  t.is(runs, 3, 'two failed runs, then a retry that worked');
});

test('close stops the retries', async (t) => {
  const janitor = new Janitor();
  let runs = 0;
  await janitor.run('y', async () => {
    runs++;
    throw new Error('never');
  });
  janitor.close();
  await sleep(1500);
  t.is(runs, 1);
  t.is(janitor.backlog, 1);
});
