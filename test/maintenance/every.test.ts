import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { pino } from 'pino';
import { every } from '../../src/maintenance/every.js';

test('runs the job each interval, never two at once, and goes on after a failure', async (t) => {
  let runs = 0;
  let active = 0;
  let overlapped = false;
  const results: number[] = [];
  const stop = every(
    0.05,
    'test job',
    async () => {
      runs++;
      active++;
      overlapped ||= active > 1;
      await sleep(120); // longer than the interval
      active--;
      if (runs === 1) throw new Error('first run fails');
      return runs;
    },
    (n) => results.push(n),
    pino({ level: 'silent' }),
  );
  await sleep(700);
  stop();
  const after = runs;
  await sleep(200);
  t.false(overlapped, 'a run started while another was running');
  t.true(results.length >= 2, `results ${results.join(',')}`);
  t.false(results.includes(1), 'the failed run reported nothing');
  t.is(runs, after, 'stop() ends the runs');
});

test('an interval of 0 never runs', async (t) => {
  let runs = 0;
  const stop = every(
    0,
    'off',
    async () => runs++,
    () => {},
    pino({ level: 'silent' }),
  );
  await sleep(100);
  stop();
  t.is(runs, 0);
});
