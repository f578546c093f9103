import test from 'ava';
import { ruleFor, versionsToPrune } from '../../src/domain/retention.js';
import type { Version } from '../../src/domain/types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

/** A history whose versions were made `ages` days ago (oldest first), with `extra` fields per version number. */
function record(ages: number[], extra: Partial<Record<number, Partial<Version>>> = {}): Version[] {
  return ages.map((age, i) => ({
    version: i + 1,
    sha256: extra[i + 1]?.deleted ? null : `${i + 1}`.padStart(64, '0'),
    size: 10,
    contentType: null,
    createdAt: new Date(NOW - age * DAY).toISOString(),
    author: 'a',
    ...extra[i + 1],
  }));
}

test('the longest matching prefix decides; no rule keeps everything', (t) => {
  const rules = [
    { prefix: '', keepDays: 30 },
    { prefix: 'logs/', keepLast: 2 },
    { prefix: 'logs/keep/', keepLast: 100 },
  ];
  t.is(ruleFor('a.txt', rules)?.prefix, '');
  t.is(ruleFor('logs/x.txt', rules)?.prefix, 'logs/');
  t.is(ruleFor('logs/keep/x.txt', rules)?.prefix, 'logs/keep/');
  t.is(ruleFor('a.txt', [{ prefix: 'logs/', keepLast: 1 }]), undefined);
});

test('keepLast keeps the newest N content versions', (t) => {
  t.deepEqual(versionsToPrune(record([5, 4, 3, 2, 1]), { prefix: '', keepLast: 2 }, NOW), [1, 2, 3]);
  t.deepEqual(versionsToPrune(record([5, 4]), { prefix: '', keepLast: 2 }, NOW), []);
});

test('keepDays keeps versions younger than D days; the current version always stays', (t) => {
  t.deepEqual(versionsToPrune(record([40, 31, 29, 1]), { prefix: '', keepDays: 30 }, NOW), [1, 2]);
  t.deepEqual(versionsToPrune(record([400, 300]), { prefix: '', keepDays: 30 }, NOW), [1], 'the current version is kept however old');
});

test('with both, a version goes only when neither keeps it', (t) => {
  // keepLast 1 keeps v4; keepDays 10 keeps v3 and v4.
  t.deepEqual(versionsToPrune(record([40, 20, 5, 1]), { prefix: '', keepLast: 1, keepDays: 10 }, NOW), [1, 2]);
  // keepLast 3 keeps v2..v4 even though v2 is old.
  t.deepEqual(versionsToPrune(record([40, 20, 5, 1]), { prefix: '', keepLast: 3, keepDays: 10 }, NOW), [1]);
});

test('pinned versions, delete markers and already pruned versions are not pruned (again)', (t) => {
  const r = record([50, 40, 30, 20, 10], { 1: { pinned: true }, 2: { pruned: true }, 4: { deleted: true, size: 0 } });
  t.deepEqual(versionsToPrune(r, { prefix: '', keepLast: 1 }, NOW), [3]);
});

test('a deleted file: the marker is the head; its last content version follows the rule', (t) => {
  const r = record([30, 20, 10], { 3: { deleted: true, size: 0 } });
  t.deepEqual(versionsToPrune(r, { prefix: '', keepLast: 1 }, NOW), [1]);
  t.deepEqual(versionsToPrune(r, { prefix: '', keepDays: 5 }, NOW), [1, 2]);
});
