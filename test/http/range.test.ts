import test, { type ExecutionContext } from 'ava';
import { Problem } from '../../src/errors.js';
import { parseRange } from '../../src/http/range.js';

function unsatisfiable(t: ExecutionContext, header: string, size: number): void {
  const err = t.throws(() => parseRange(header, size), { instanceOf: Problem }, header);
  t.is(err?.code, 'range-not-satisfiable', header);
  t.is(err?.status, 416, header);
  t.deepEqual(err?.headers, { 'Content-Range': `bytes */${size}` }, header);
}

test('no Range header: the whole representation', (t) => {
  t.is(parseRange(undefined, 10), undefined);
  t.is(parseRange('', 10), undefined);
});

test('first-last ranges are inclusive; the last position is clamped to the size', (t) => {
  t.deepEqual(parseRange('bytes=0-4', 10), { start: 0, end: 4 });
  t.deepEqual(parseRange('bytes=3-3', 10), { start: 3, end: 3 });
  t.deepEqual(parseRange('bytes=0-9', 10), { start: 0, end: 9 });
  t.deepEqual(parseRange('bytes=5-100', 10), { start: 5, end: 9 });
  t.deepEqual(parseRange('bytes=0-99999999999999999999', 10), { start: 0, end: 9 });
});

test('open-ended and suffix ranges', (t) => {
  t.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
  t.deepEqual(parseRange('bytes=0-', 10), { start: 0, end: 9 });
  t.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  t.deepEqual(parseRange('bytes=-10', 10), { start: 0, end: 9 });
  t.deepEqual(parseRange('bytes=-20', 10), { start: 0, end: 9 });
  t.deepEqual(parseRange('bytes=-1', 1), { start: 0, end: 0 });
});

test('whitespace and the unit name are tolerated case-insensitively', (t) => {
  t.deepEqual(parseRange('BYTES=1-2', 10), { start: 1, end: 2 });
  t.deepEqual(parseRange(' bytes = 1 - 2 ', 10), { start: 1, end: 2 });
});

test('a range starting at or past the end is 416 with Content-Range: bytes */size', (t) => {
  unsatisfiable(t, 'bytes=10-', 10);
  unsatisfiable(t, 'bytes=10-20', 10);
  unsatisfiable(t, 'bytes=50-60', 10);
  unsatisfiable(t, 'bytes=-0', 10);
  unsatisfiable(t, 'bytes=0-', 0);
  unsatisfiable(t, 'bytes=-5', 0);
});

test('syntax errors, other units and multiple ranges are ignored: the whole representation', (t) => {
  for (const h of ['bytes=5-2', 'bytes=-', 'bytes=', 'bytes=abc', 'bytes=1-2-3', 'items=0-1', 'bytes 0-1', 'bytes=0-1,3-4', 'bytes=-1.5', 'bytes=+1-2']) {
    t.is(parseRange(h, 10), undefined, h);
  }
});
