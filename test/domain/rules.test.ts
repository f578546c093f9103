import test, { type ExecutionContext } from 'ava';
import { checkWrite, conflictState, currentVersion, headNumber, type WriteIntent } from '../../src/domain/rules.js';
import type { Caller, FileRecord, Lock, Version } from '../../src/domain/types.js';
import { Problem, type ProblemCode } from '../../src/errors.js';
import { parseConditions } from '../../src/http/preconditions.js';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const SHA1 = '1'.repeat(64);
const SHA2 = '2'.repeat(64);
const alice: Caller = { name: 'alice', role: 'user' };
const bob: Caller = { name: 'bob', role: 'user' };
const TOKEN = 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001';

function version(n: number, sha256: string | null): Version {
  return { version: n, sha256, size: 1, contentType: 'text/plain', createdAt: new Date(NOW - 1000 * (10 - n)).toISOString(), author: 'alice', ...(sha256 ? {} : { deleted: true as const }) };
}

function lockOf(owner: string, baseVersion: number, expiresIn = 60_000): Lock {
  return { path: 'a.txt', token: TOKEN, owner, createdAt: new Date(NOW).toISOString(), expiresAt: new Date(NOW + expiresIn).toISOString(), baseVersion };
}

/** a.txt at version 2 (SHA2), optionally checked out. */
function rec(lock: Lock | null = null, versions = [version(1, SHA1), version(2, SHA2)]): FileRecord {
  return { path: 'a.txt', versions, lock };
}

function intent(extra: Partial<WriteIntent> = {}): WriteIntent {
  return { conditions: {}, ...extra };
}

function refusedWith(t: ExecutionContext, fn: () => unknown, code: ProblemCode, status: number): Problem | undefined {
  const err = t.throws(fn, { instanceOf: Problem });
  t.is(err?.code, code);
  t.is(err?.status, status);
  return err;
}

const failingIfMatch = parseConditions({ ifMatch: `"${SHA1}"` });

test('an unlocked file with no conditions: the write may go ahead and holds no lock', (t) => {
  t.is(checkWrite('a.txt', rec(), alice, intent(), NOW), null);
  t.is(checkWrite('a.txt', undefined, alice, intent(), NOW), null);
  t.is(checkWrite('a.txt', rec(), alice, intent({ conditions: parseConditions({ ifMatch: `"${SHA2}"` }), base: 2 }), NOW), null);
});

test('order: locked comes before a failed precondition and a stale base', (t) => {
  const record = rec(lockOf('alice', 2));
  refusedWith(t, () => checkWrite('a.txt', record, bob, intent({ conditions: failingIfMatch, base: 1 }), NOW), 'locked', 409);
  refusedWith(t, () => checkWrite('a.txt', record, alice, intent({ conditions: failingIfMatch, base: 1 }), NOW), 'locked', 409);
});

test('order: with the lock held, a failed precondition comes before a stale base', (t) => {
  const record = rec(lockOf('alice', 2));
  refusedWith(t, () => checkWrite('a.txt', record, alice, intent({ token: TOKEN, conditions: failingIfMatch, base: 1 }), NOW), 'precondition-failed', 412);
  refusedWith(t, () => checkWrite('a.txt', record, alice, intent({ token: TOKEN, base: 1 }), NOW), 'modified', 409);
  t.deepEqual(checkWrite('a.txt', record, alice, intent({ token: TOKEN, base: 2 }), NOW), lockOf('alice', 2));
});

test('order: without a lock, a failed precondition comes before a stale base', (t) => {
  refusedWith(t, () => checkWrite('a.txt', rec(), alice, intent({ conditions: failingIfMatch, base: 1 }), NOW), 'precondition-failed', 412);
  refusedWith(t, () => checkWrite('a.txt', rec(), alice, intent({ base: 1 }), NOW), 'modified', 409);
});

test('base 0 means the file must not exist yet', (t) => {
  t.is(checkWrite('new.txt', undefined, alice, intent({ base: 0 }), NOW), null);
  refusedWith(t, () => checkWrite('a.txt', rec(), alice, intent({ base: 0 }), NOW), 'modified', 409);
});

test("a wrong token on a locked file is 409 locked; another user's right token is 403 forbidden", (t) => {
  const record = rec(lockOf('alice', 2));
  const locked = refusedWith(t, () => checkWrite('a.txt', record, bob, intent({ token: 'urn:uuid:not-it' }), NOW), 'locked', 409);
  t.regex(locked?.message ?? '', /alice/);
  refusedWith(t, () => checkWrite('a.txt', record, bob, intent({ token: TOKEN }), NOW), 'forbidden', 403);
});

test('not-checked-out: a token naming no live lock, or no token where one is required', (t) => {
  refusedWith(t, () => checkWrite('a.txt', rec(), alice, intent({ token: TOKEN }), NOW), 'not-checked-out', 409);
  refusedWith(t, () => checkWrite('a.txt', rec(), alice, intent(), NOW, true), 'not-checked-out', 409);
  refusedWith(t, () => checkWrite('a.txt', undefined, alice, intent({ token: TOKEN }), NOW, true), 'not-checked-out', 409);
  // An expired lock is no lock.
  const expired = rec(lockOf('alice', 2, 60_000));
  refusedWith(t, () => checkWrite('a.txt', expired, alice, intent({ token: TOKEN }), NOW + 60_000), 'not-checked-out', 409);
  t.is(checkWrite('a.txt', expired, bob, intent(), NOW + 60_000), null, 'anyone may write once it expired');
});

test('a lock whose base version is no longer the head is 409 modified', (t) => {
  // Possible after a lock was broken and the file written meanwhile.
  const record = rec(lockOf('alice', 1));
  const err = refusedWith(t, () => checkWrite('a.txt', record, alice, intent({ token: TOKEN }), NOW, true), 'modified', 409);
  t.is(err?.extras.currentVersion, 2);
});

test('a reserved path (lock, no versions) accepts its holder and refuses others', (t) => {
  const reserved = rec(lockOf('alice', 0), []);
  t.deepEqual(checkWrite('a.txt', reserved, alice, intent({ token: TOKEN }), NOW), lockOf('alice', 0));
  refusedWith(t, () => checkWrite('a.txt', reserved, bob, intent(), NOW), 'locked', 409);
});

test('conflictState: current version and hash, and the lock without its token', (t) => {
  t.deepEqual(conflictState('a.txt', rec(lockOf('alice', 2)), NOW), {
    path: 'a.txt',
    currentVersion: 2,
    currentSha256: SHA2,
    lock: { owner: 'alice', expiresAt: new Date(NOW + 60_000).toISOString() },
  });
  t.deepEqual(conflictState('a.txt', rec(lockOf('alice', 2)), NOW + 60_000).lock, null, 'an expired lock is not shown');
  t.deepEqual(conflictState('n.txt', undefined, NOW), { path: 'n.txt', currentVersion: 0, currentSha256: null, lock: null });
  const deleted = rec(null, [version(1, SHA1), version(2, null)]);
  t.deepEqual(conflictState('a.txt', deleted, NOW), { path: 'a.txt', currentVersion: 2, currentSha256: null, lock: null });
});

test('409 problems carry the conflict state and never the token', (t) => {
  const record = rec(lockOf('alice', 2));
  const err = refusedWith(t, () => checkWrite('a.txt', record, bob, intent(), NOW), 'locked', 409);
  t.like(err?.toJSON(), { status: 409, code: 'locked', currentVersion: 2, currentSha256: SHA2, lock: { owner: 'alice' } });
  t.false(JSON.stringify(err).includes(TOKEN));
  const modified = refusedWith(t, () => checkWrite('a.txt', rec(), bob, intent({ base: 1 }), NOW), 'modified', 409);
  t.like(modified?.extras, { currentVersion: 2, currentSha256: SHA2, lock: null });
  const precondition = refusedWith(t, () => checkWrite('a.txt', rec(), bob, intent({ conditions: failingIfMatch }), NOW), 'precondition-failed', 412);
  t.like(precondition?.extras, { currentVersion: 2, currentSha256: SHA2 });
});

test('headNumber counts delete markers; currentVersion is null after a delete', (t) => {
  const deleted = rec(null, [version(1, SHA1), version(2, null)]);
  t.is(headNumber(deleted), 2);
  t.is(currentVersion(deleted), null);
  t.is(headNumber(undefined), 0);
  t.is(currentVersion(undefined), null);
  t.is(currentVersion(rec())?.version, 2);
});

test('If-None-Match: * on a deleted file passes (nothing current), If-Match: * fails', (t) => {
  const deleted = rec(null, [version(1, SHA1), version(2, null)]);
  t.is(checkWrite('a.txt', deleted, alice, intent({ conditions: parseConditions({ ifNoneMatch: '*' }) }), NOW), null);
  refusedWith(t, () => checkWrite('a.txt', deleted, alice, intent({ conditions: parseConditions({ ifMatch: '*' }) }), NOW), 'precondition-failed', 412);
  refusedWith(t, () => checkWrite('a.txt', rec(), alice, intent({ conditions: parseConditions({ ifNoneMatch: '*' }) }), NOW), 'precondition-failed', 412);
});
