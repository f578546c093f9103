import test from 'ava';
import { liveLock, publicLock } from '../../src/domain/locks.js';
import type { FileRecord, Lock } from '../../src/domain/types.js';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const lock: Lock = {
  path: 'a.txt',
  token: 'urn:uuid:11111111-2222-4333-8444-555555555555',
  owner: 'alice',
  createdAt: new Date(NOW - 60_000).toISOString(),
  expiresAt: new Date(NOW + 60_000).toISOString(),
  baseVersion: 3,
};
const record = (l: Lock | null): FileRecord => ({ path: 'a.txt', versions: [], lock: l });

test('liveLock: a lock before its expiry is live; at and after expiry it is no lock', (t) => {
  t.is(liveLock(record(lock), NOW), lock);
  t.is(liveLock(record(lock), NOW + 59_999), lock);
  t.is(liveLock(record(lock), NOW + 60_000), null);
  t.is(liveLock(record(lock), NOW + 3_600_000), null);
});

test('liveLock: no record or no lock is null', (t) => {
  t.is(liveLock(undefined, NOW), null);
  t.is(liveLock(record(null), NOW), null);
});

test('publicLock hides the token and keeps everything else', (t) => {
  const visible = publicLock(lock);
  t.deepEqual(visible, { path: 'a.txt', owner: 'alice', createdAt: lock.createdAt, expiresAt: lock.expiresAt, baseVersion: 3 });
  t.false(JSON.stringify(visible).includes(lock.token));
  t.is(lock.token, 'urn:uuid:11111111-2222-4333-8444-555555555555', 'the input is not changed');
  t.is(publicLock(null), null);
});
