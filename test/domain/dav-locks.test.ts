import test, { type ExecutionContext } from 'ava';
import { checkCompatible, findLock, grant, type LockRequest, refresh, release, withLocks } from '../../src/domain/dav-locks.js';
import { liveLocks } from '../../src/domain/locks.js';
import { checkLock, checkWrite } from '../../src/domain/rules.js';
import type { Caller, FileRecord, Lock, Lockable } from '../../src/domain/types.js';
import { Problem, type ProblemCode } from '../../src/errors.js';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const SHA1 = '1'.repeat(64);
const alice: Caller = { name: 'alice', role: 'user' };
const bob: Caller = { name: 'bob', role: 'user' };
const carol: Caller = { name: 'carol', role: 'user' };
const admin: Caller = { name: 'root', role: 'admin' };
const iso = (ms: number) => new Date(ms).toISOString();

let serial = 0;
/** A lock on a.txt; `expiresIn` ms from NOW (negative or zero: expired). */
function lockOf(owner: string, scope: 'exclusive' | 'shared', expiresIn = 60_000, depth?: 'infinity'): Lock {
  const token = `urn:uuid:00000000-0000-4000-8000-${String(++serial).padStart(12, '0')}`;
  return {
    path: 'a.txt',
    token,
    owner,
    createdAt: iso(NOW - 1000),
    expiresAt: iso(NOW + expiresIn),
    baseVersion: 1,
    ...(scope === 'shared' ? { scope: 'shared' as const } : {}),
    ...(depth ? { depth } : {}),
  };
}

const request = (scope: 'exclusive' | 'shared', seconds = 120): LockRequest => ({ scope, depth: 0, seconds });

/** a.txt at version 1 with the given locks. */
function rec(lock: Lock | null, shared?: Lock[]): FileRecord {
  return { path: 'a.txt', versions: [{ version: 1, sha256: SHA1, size: 1, contentType: 'text/plain', createdAt: iso(NOW - 5000), author: 'alice' }], lock, ...(shared ? { shared } : {}) };
}

function refusedWith(t: ExecutionContext, fn: () => unknown, code: ProblemCode, status: number): Problem | undefined {
  const err = t.throws(fn, { instanceOf: Problem });
  t.is(err?.code, code);
  t.is(err?.status, status);
  return err;
}

test('liveLocks: the exclusive lock and the shared ones, expired ones left out', (t) => {
  const ex = lockOf('alice', 'exclusive');
  const s1 = lockOf('bob', 'shared');
  const gone = lockOf('carol', 'shared', 0);
  t.deepEqual(liveLocks(rec(ex), NOW), [ex]);
  t.deepEqual(liveLocks(rec(null, [s1, gone]), NOW), [s1]);
  t.deepEqual(liveLocks({ lock: lockOf('x', 'exclusive', -1), shared: [gone] }, NOW), []);
  t.deepEqual(liveLocks(undefined, NOW), []);
});

test('checkCompatible: an exclusive request conflicts with any live lock, exclusive or shared', (t) => {
  const ex = lockOf('bob', 'exclusive');
  const sh = lockOf('bob', 'shared');
  const err = refusedWith(t, () => checkCompatible('a.txt', [ex], { scope: 'exclusive' }), 'locked', 409);
  t.like(err?.extras, { path: 'a.txt', lock: { owner: 'bob', expiresAt: ex.expiresAt } });
  refusedWith(t, () => checkCompatible('a.txt', [sh], { scope: 'exclusive' }), 'locked', 409);
  t.notThrows(() => checkCompatible('a.txt', [], { scope: 'exclusive' }));
});

test('checkCompatible and grant: shared locks coexist; shared and exclusive conflict both ways', (t) => {
  const sh = lockOf('bob', 'shared');
  t.notThrows(() => checkCompatible('a.txt', [sh, lockOf('carol', 'shared')], { scope: 'shared' }));
  refusedWith(t, () => checkCompatible('a.txt', [sh, lockOf('carol', 'exclusive')], { scope: 'shared' }), 'locked', 409);

  const granted = grant('a.txt', rec(null, [sh]), alice, request('shared'), NOW, 1);
  t.like(granted.lock, { owner: 'alice', scope: 'shared', baseVersion: 1, expiresAt: iso(NOW + 120_000) });
  t.regex(granted.lock.token, /^urn:uuid:[0-9a-f-]{36}$/);
  t.deepEqual(granted.fields, { lock: null, shared: [sh, granted.lock] });

  refusedWith(t, () => grant('a.txt', rec(null, [sh]), alice, request('exclusive'), NOW, 1), 'locked', 409);
  // A /files check-out has no scope: it is the exclusive lock.
  refusedWith(t, () => grant('a.txt', rec(lockOf('bob', 'exclusive')), alice, request('shared'), NOW, 1), 'locked', 409);
});

test('grant: expired locks neither conflict nor survive in the fields', (t) => {
  const oldEx = lockOf('bob', 'exclusive', 0);
  const oldSh = lockOf('bob', 'shared', -5000);
  const ex = grant('a.txt', rec(oldEx, [oldSh]), alice, { scope: 'exclusive', depth: 'infinity', seconds: 60, ownerXml: '<D:owner>a</D:owner>' }, NOW, 1);
  t.deepEqual(ex.fields, { lock: ex.lock });
  t.like(ex.lock, { owner: 'alice', depth: 'infinity', ownerXml: '<D:owner>a</D:owner>', createdAt: iso(NOW) });
  t.false('scope' in ex.lock);

  const live = lockOf('carol', 'shared');
  const sh = grant('a.txt', rec(oldEx, [oldSh, live]), alice, request('shared'), NOW, 1);
  t.deepEqual(sh.fields, { lock: null, shared: [live, sh.lock] });
});

test('findLock: only a live lock with that token', (t) => {
  const live = lockOf('bob', 'shared');
  const gone = lockOf('bob', 'shared', 0);
  const record = rec(null, [live, gone]);
  t.is(findLock(record, live.token, NOW), live);
  t.is(findLock(record, gone.token, NOW), undefined);
  t.is(findLock(record, 'urn:uuid:nope', NOW), undefined);
});

test('refresh: extends only the named lock, drops expired ones, refuses another user (403)', (t) => {
  const mine = lockOf('alice', 'shared');
  const theirs = lockOf('bob', 'shared');
  const gone = lockOf('carol', 'shared', -1);
  const record = rec(null, [mine, theirs, gone]);
  const done = refresh(record, mine.token, alice, 600, NOW + 30_000);
  t.deepEqual(done?.lock, { ...mine, expiresAt: iso(NOW + 630_000) });
  t.deepEqual(done?.fields, { lock: null, shared: [{ ...mine, expiresAt: iso(NOW + 630_000) }, theirs] });
  t.is(theirs.expiresAt, iso(NOW + 60_000), 'the input is not changed');

  const ex = lockOf('alice', 'exclusive');
  t.deepEqual(refresh(rec(ex), ex.token, alice, 10, NOW)?.fields, { lock: { ...ex, expiresAt: iso(NOW + 10_000) } });

  refusedWith(t, () => refresh(record, mine.token, bob, 600, NOW), 'forbidden', 403);
  refusedWith(t, () => refresh(record, mine.token, admin, 600, NOW), 'forbidden', 403);
  t.is(refresh(record, gone.token, carol, 600, NOW), undefined, 'an expired lock is not refreshed back to life');
  t.is(refresh(record, 'urn:uuid:nope', alice, 600, NOW), undefined);
});

test('release: an exclusive lock leaves no lock; a shared one leaves the others', (t) => {
  const ex = lockOf('alice', 'exclusive');
  t.deepEqual(release(rec(ex), ex.token, alice, NOW), { lock: null });

  const mine = lockOf('alice', 'shared');
  const theirs = lockOf('bob', 'shared');
  t.deepEqual(release(rec(null, [mine, theirs]), mine.token, alice, NOW), { lock: null, shared: [theirs] });
  t.deepEqual(release(rec(null, [mine]), mine.token, alice, NOW), { lock: null }, 'no empty shared list');
  t.is(release(rec(null, [mine]), 'urn:uuid:nope', alice, NOW), undefined);
  t.is(release(rec(ex), ex.token, alice, NOW + 60_000), undefined, 'an expired lock is no lock');
});

test("release: another user's lock is 403; an admin may release it", (t) => {
  const theirs = lockOf('bob', 'shared');
  const other = lockOf('carol', 'shared');
  refusedWith(t, () => release(rec(null, [theirs, other]), theirs.token, alice, NOW), 'forbidden', 403);
  t.deepEqual(release(rec(null, [theirs, other]), theirs.token, admin, NOW), { lock: null, shared: [other] });
  const ex = lockOf('bob', 'exclusive');
  t.deepEqual(release(rec(ex), ex.token, admin, NOW), { lock: null });
});

test('withLocks: replaces the lock fields, drops an empty shared list, keeps everything else', (t) => {
  const sh = lockOf('bob', 'shared');
  const record: FileRecord = { ...rec(null, [sh]), props: { '{urn:x}p': 'v' } };
  const cleared = withLocks(record, { lock: null, shared: [] });
  t.false('shared' in cleared);
  t.deepEqual(cleared, { path: 'a.txt', versions: record.versions, lock: null, props: { '{urn:x}p': 'v' } });
  t.deepEqual(withLocks(record, { lock: null }), cleared);
  const ex = lockOf('alice', 'exclusive');
  t.deepEqual(withLocks(rec(null), { lock: ex, shared: [sh] }), { ...rec(null), lock: ex, shared: [sh] });
  t.deepEqual(record.shared, [sh], 'the input is not changed');
});

// rules.checkLock with WebDAV shared locks.

const sharedRec = (...locks: Lock[]): FileRecord => rec(null, locks);

test('checkLock: a write without any token on a shared-locked file is 409 locked', (t) => {
  const a = lockOf('alice', 'shared');
  const record = sharedRec(a, lockOf('bob', 'shared'));
  const err = refusedWith(t, () => checkLock('a.txt', record, alice, {}, NOW, false), 'locked', 409);
  t.regex(err?.message ?? '', /shared/);
  refusedWith(t, () => checkWrite('a.txt', record, alice, { conditions: {} }, NOW), 'locked', 409);
  refusedWith(t, () => checkLock('a.txt', record, alice, { tokens: ['urn:uuid:other'] }, NOW, false), 'locked', 409);
  t.is(checkLock('a.txt', record, alice, {}, NOW + 60_000, false), null, 'once every lock expired, anyone writes');
});

test('checkLock: one of the shared tokens is enough; the result is null (no exclusive lock held)', (t) => {
  const a = lockOf('alice', 'shared');
  const b = lockOf('bob', 'shared');
  const record = sharedRec(a, b);
  t.is(checkLock('a.txt', record, alice, { tokens: ['urn:uuid:unrelated', a.token] }, NOW, false), null);
  t.is(checkLock('a.txt', record, bob, { tokens: [b.token] }, NOW, true), null);
  t.is(checkWrite('a.txt', record, bob, { tokens: [b.token], conditions: {} }, NOW), null);
  const ex = lockOf('alice', 'exclusive');
  t.is(checkLock('a.txt', rec(ex), alice, { tokens: [ex.token] }, NOW, false), ex, 'an exclusive lock held through tokens is returned');
});

test('checkLock: `tokens` naming no lock is no error; a /files `token` naming none is not-checked-out', (t) => {
  t.is(checkLock('a.txt', rec(null), alice, { tokens: ['urn:uuid:a-collection-lock'] }, NOW, false), null);
  t.is(checkLock('a.txt', undefined, alice, { tokens: ['urn:uuid:a-collection-lock'] }, NOW, false), null);
  refusedWith(t, () => checkLock('a.txt', rec(null), alice, { token: 'urn:uuid:gone' }, NOW, false), 'not-checked-out', 409);
  const expired = lockOf('alice', 'shared', 0);
  refusedWith(t, () => checkLock('a.txt', sharedRec(expired), alice, { token: expired.token }, NOW, false), 'not-checked-out', 409);
});

test('checkLock: the right shared token of another user is 403 forbidden', (t) => {
  const a = lockOf('alice', 'shared');
  refusedWith(t, () => checkLock('a.txt', sharedRec(a), bob, { tokens: [a.token] }, NOW, false), 'forbidden', 403);
  refusedWith(t, () => checkLock('a.txt', sharedRec(a), bob, { token: a.token }, NOW, false), 'forbidden', 403);
});

test('checkLock: the 409 for a shared-locked file names the holder and expiry (a conflict says why)', (t) => {
  // STYLE.md habit 5 and rules.test.ts: a 409 carries the lock's owner and expiry, never its token.
  const a = lockOf('alice', 'shared');
  const err = refusedWith(t, () => checkWrite('a.txt', sharedRec(a), bob, { conditions: {} }, NOW), 'locked', 409);
  t.false(JSON.stringify(err?.toJSON()).includes(a.token));
  t.deepEqual(err?.extras.lock, { owner: 'alice', expiresAt: a.expiresAt });
});

test('grant on a Lockable that is no file record (a collection) works the same', (t) => {
  const fields: Lockable = { lock: null };
  const first = grant('dir', fields, alice, { scope: 'shared', depth: 'infinity', seconds: 60 }, NOW, 0);
  const second = grant('dir', first.fields, bob, { scope: 'shared', depth: 'infinity', seconds: 60 }, NOW, 0);
  t.deepEqual(
    second.fields.shared?.map((l) => l.owner),
    ['alice', 'bob'],
  );
  refusedWith(t, () => grant('dir', second.fields, alice, { scope: 'exclusive', depth: 0, seconds: 60 }, NOW, 0), 'locked', 409);
});
