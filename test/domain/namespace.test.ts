import test, { type ExecutionContext } from 'ava';
import { Collections, type Members } from '../../src/domain/collections.js';
import { copyTree } from '../../src/domain/dav-copy.js';
import { deleteResource } from '../../src/domain/dav-delete.js';
import type { LockRequest } from '../../src/domain/dav-locks.js';
import { FileService } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import { currentVersion } from '../../src/domain/rules.js';
import { Problem } from '../../src/errors.js';
import { MAX_PROPS_BYTES, MAX_TREE, Namespace } from '../../src/domain/namespace.js';
import { alice, bob, memoryStore, refused, sha256, stageText, START } from './_support.js';

const iso = (ms: number) => new Date(ms).toISOString();
const req = (scope: 'exclusive' | 'shared', depth: 0 | 'infinity', seconds = 60): LockRequest => ({ scope, depth, seconds });

type Fixture = Awaited<ReturnType<typeof fixture>>;

/**
 * Namespace over FileService and Collections on the in-memory store, with an injected clock. With
 * `tree`: p/a.txt, p/q/b.txt, p/q/r (empty, explicit), p/imp/c.txt (an implicit directory).
 */
async function fixture(t: ExecutionContext, tree = true) {
  const { storage } = memoryStore(t);
  let now = START;
  const files = new FileService({ records: storage.records, history: new History(storage.history), blobs: storage.blobs, clock: () => now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  const collections = new Collections(storage.collections, storage.records, () => now);
  /** A new version of `key` with `text`. */
  const put = async (key: string, text = key, caller = alice) => {
    await files.upload(caller, key, { conditions: {} }, await stageText(storage.blobs, text));
  };
  if (tree) {
    for (const key of ['p', 'p/q', 'p/q/r']) await collections.create(key, now);
    for (const key of ['p/a.txt', 'p/q/b.txt', 'p/imp/c.txt']) await put(key);
  }
  return { dav: new Namespace(files, collections), files, collections, put, advance: (ms: number) => (now += ms) };
}

const isCurrent = async (f: Fixture, key: string) => currentVersion(await f.files.get(key)) !== null;

test('a depth-infinity collection lock is inherited by members at any depth, until it expires', async (t) => {
  const f = await fixture(t);
  const { lock, created } = await f.dav.lock(alice, 'p', req('exclusive', 'infinity'), []);
  t.false(created);
  t.like(lock, { owner: 'alice', depth: 'infinity', baseVersion: 0 });
  t.deepEqual(await f.dav.inherited('p/q/b.txt', false), [{ root: 'p', locks: [lock] }]);
  t.deepEqual(await f.dav.inherited('p/imp/new/deeper.txt', true), [{ root: 'p', locks: [lock] }]);
  t.deepEqual(await f.dav.inherited('p', false), [], 'a lock is not inherited by its own root');
  const err = await refused(t, f.dav.checkInherited('p/q/b.txt', { caller: alice, tokens: [] }, false), 'locked');
  t.like(err?.extras, { path: 'p/q/b.txt', lockRoot: 'p' });
  await refused(t, f.dav.checkInherited('p/q/r/new.txt', { caller: alice, tokens: ['urn:uuid:other'] }, true), 'locked');
  await t.notThrowsAsync(f.dav.checkInherited('p/q/b.txt', { caller: alice, tokens: ['urn:uuid:other', lock.token] }, false));
  await t.notThrowsAsync(f.dav.checkInherited('elsewhere.txt', { caller: alice, tokens: [] }, true));
  f.advance(60_000);
  t.deepEqual(await f.dav.inherited('p/q/b.txt', false), []);
  await t.notThrowsAsync(f.dav.checkInherited('p/q/b.txt', { caller: alice, tokens: [] }, true));
});

test('a depth-0 collection lock covers only membership changes of its direct members', async (t) => {
  const f = await fixture(t);
  const { lock } = await f.dav.lock(alice, 'p', req('exclusive', 0), []);
  t.deepEqual(await f.dav.inherited('p/a.txt', false), []);
  t.deepEqual(await f.dav.inherited('p/new.txt', true), [{ root: 'p', locks: [lock] }]);
  t.deepEqual(await f.dav.inherited('p/q/new.txt', true), [], 'not a direct member');
  await refused(t, f.dav.checkInherited('p/new.txt', { caller: alice, tokens: [] }, true), 'locked');
  await t.notThrowsAsync(f.dav.checkInherited('p/a.txt', { caller: alice, tokens: [] }, false));
  await refused(t, deleteResource(f.dav, bob, 'p/a.txt', 'file', []), 'locked');
  t.true(await isCurrent(f, 'p/a.txt'));
  await f.dav.patchProps(bob, 'p/a.txt', 'file', [], [{ name: '{urn:x}k', value: 'v' }]);
  t.deepEqual((await f.files.get('p/a.txt'))?.props, { '{urn:x}k': 'v' }, 'a member may change');
});

test('lock of an existing member of a depth-0 locked collection changes no membership, so it is granted', async (t) => {
  // RFC 4918 §7.5: a depth-0 lock protects the collection's membership, not its members
  // (regression: lock() used to pass membership = true for an existing file too).
  const f = await fixture(t);
  await f.dav.lock(alice, 'p', req('exclusive', 0), []);
  const { created } = await f.dav.lock(bob, 'p/a.txt', req('exclusive', 0), []);
  t.false(created);
});

test('lock on an unmapped file URL reserves it (created); refused when the parent is missing or a tombstone', async (t) => {
  const f = await fixture(t);
  const { lock, created } = await f.dav.lock(alice, 'p/new.txt', req('exclusive', 0, 120), []);
  t.true(created);
  t.like(lock, { path: 'p/new.txt', owner: 'alice', baseVersion: 0, expiresAt: iso(START + 120_000) });
  t.deepEqual(await f.files.get('p/new.txt'), { path: 'p/new.txt', versions: [], lock });
  await refused(t, f.dav.lock(bob, 'p/new.txt', req('shared', 0), []), 'locked');
  await f.put('p/a.txt', 'v2');
  t.like(await f.dav.lock(bob, 'p/a.txt', req('shared', 0), []), { created: false, lock: { baseVersion: 2, scope: 'shared' } });
  await refused(t, f.dav.lock(alice, 'missing/x.txt', req('exclusive', 0), []), 'conflict');
  t.is(await f.files.get('missing/x.txt'), undefined);
  await f.collections.create('p/dead', START);
  await f.collections.tombstone('p/dead', START);
  await refused(t, f.dav.lock(alice, 'p/dead/x.txt', req('exclusive', 0), []), 'conflict');
});

test('lock of a collection with depth infinity is refused when a member holds a conflicting lock', async (t) => {
  const f = await fixture(t);
  await f.files.checkout(bob, 'p/q/b.txt', { conditions: {} }, 60);
  const err = await refused(t, f.dav.lock(alice, 'p', req('exclusive', 'infinity'), []), 'locked');
  t.like(err?.extras, { path: 'p/q/b.txt', lock: { owner: 'bob' } });
  await refused(t, f.dav.lock(alice, 'p', req('shared', 'infinity'), []), 'locked');
  t.deepEqual(await f.dav.inherited('p/a.txt', false), [], 'nothing was granted');
  t.like(await f.dav.lock(alice, 'p', req('exclusive', 0), []), { lock: { owner: 'alice' } }, 'depth 0 does not look at members');
  // Shared beside shared, in the tree too; and an exclusive lock below a depth-infinity one conflicts.
  const g = await fixture(t);
  await g.dav.lock(bob, 'p/q', req('shared', 0), []);
  const { lock } = await g.dav.lock(alice, 'p', req('shared', 'infinity'), []);
  await refused(t, g.dav.lock(alice, 'p/a.txt', req('exclusive', 0), [lock.token]), 'locked');
  await t.notThrowsAsync(g.dav.lock(alice, 'p/a.txt', req('shared', 0), [lock.token]));
});

test('refresh and unlock find the lock on an ancestor; unknown tokens are 412 and 409', async (t) => {
  const f = await fixture(t);
  const { lock } = await f.dav.lock(alice, 'p', req('exclusive', 'infinity'), []);
  f.advance(30_000);
  const refreshed = await f.dav.refresh(alice, 'p/q/b.txt', lock.token, 600);
  t.deepEqual(refreshed, { ...lock, expiresAt: iso(START + 630_000) });
  t.deepEqual((await f.collections.get('p'))?.lock, refreshed);
  await refused(t, f.dav.refresh(bob, 'p/q/b.txt', lock.token, 600), 'forbidden');
  await refused(t, f.dav.refresh(alice, 'p/q/b.txt', 'urn:uuid:unknown', 600), 'precondition-failed');
  await refused(t, f.dav.unlock(alice, 'p/q/b.txt', 'urn:uuid:unknown'), 'conflict');
  await refused(t, f.dav.unlock(bob, 'p/q/b.txt', lock.token), 'forbidden');
  await f.dav.unlock(alice, 'p/q/b.txt', lock.token);
  t.is((await f.collections.get('p'))?.lock, null);
  await refused(t, f.dav.unlock(alice, 'p', lock.token), 'conflict');
  // A lock on the file itself, and a depth-0 ancestor lock that does not cover the member.
  const own = await f.dav.lock(alice, 'p/a.txt', req('shared', 0), []);
  const zero = await f.dav.lock(alice, 'p/q', req('exclusive', 0), []);
  await refused(t, f.dav.unlock(alice, 'p/q/b.txt', zero.lock.token), 'conflict');
  await f.dav.unlock(alice, 'p/a.txt', own.lock.token);
  t.deepEqual(await f.files.get('p/a.txt').then((r) => [r?.lock, r?.shared]), [null, undefined]);
});

test('patchProps: set and remove apply in order, on files and collections', async (t) => {
  const f = await fixture(t);
  await f.dav.patchProps(
    alice,
    'p/a.txt',
    'file',
    [],
    [
      { name: '{urn:x}a', value: '1' },
      { name: '{urn:x}b', value: '2' },
      { name: '{urn:x}a', remove: true },
      { name: '{urn:x}b', value: '3' },
      { name: '{urn:x}c', remove: true },
    ],
  );
  t.deepEqual((await f.files.get('p/a.txt'))?.props, { '{urn:x}b': '3' });
  t.is((await f.files.get('p/a.txt'))?.versions.length, 1, 'no new version');
  await f.dav.patchProps(alice, 'p/a.txt', 'file', [], [{ name: '{urn:x}b', remove: true }]);
  t.false('props' in ((await f.files.get('p/a.txt')) ?? {}), 'no empty props left');
  await f.dav.patchProps(
    alice,
    'p/imp',
    'collection',
    [],
    [
      { name: '{urn:x}a', remove: true },
      { name: '{urn:x}a', value: 'x' },
    ],
  );
  t.deepEqual((await f.collections.get('p/imp'))?.props, { '{urn:x}a': 'x' }, 'an implicit collection gets a record');
  await f.files.checkout(bob, 'p/q/b.txt', { conditions: {} }, 60);
  await refused(t, f.dav.patchProps(alice, 'p/q/b.txt', 'file', [], [{ name: '{urn:x}a', value: '1' }]), 'locked');
  const { lock } = await f.dav.lock(bob, 'p/q', req('exclusive', 0), []);
  await refused(t, f.dav.patchProps(alice, 'p/q', 'collection', [], [{ name: '{urn:x}a', value: '1' }]), 'locked');
  await f.dav.patchProps(bob, 'p/q', 'collection', [lock.token], [{ name: '{urn:x}a', value: '1' }]);
  t.deepEqual((await f.collections.get('p/q'))?.props, { '{urn:x}a': '1' });
});

test('patchProps: over the size cap is insufficient-storage and changes nothing', async (t) => {
  const f = await fixture(t);
  await f.dav.patchProps(alice, 'p/a.txt', 'file', [], [{ name: '{urn:x}keep', value: 'v' }]);
  const before = await f.files.get('p/a.txt');
  const big = 'x'.repeat(MAX_PROPS_BYTES);
  await refused(
    t,
    f.dav.patchProps(
      alice,
      'p/a.txt',
      'file',
      [],
      [
        { name: '{urn:x}keep', remove: true },
        { name: '{urn:x}big', value: big },
      ],
    ),
    'insufficient-storage',
  );
  t.deepEqual(await f.files.get('p/a.txt'), before);
  await refused(t, f.dav.patchProps(alice, 'p/q', 'collection', [], [{ name: '{urn:x}big', value: big }]), 'insufficient-storage');
  t.is((await f.collections.get('p/q'))?.props, undefined);
  // Just under the cap fits: names and values together.
  const fits = 'y'.repeat(MAX_PROPS_BYTES - '{urn:x}keep'.length - '{urn:x}n'.length - 1);
  await f.dav.patchProps(alice, 'p/a.txt', 'file', [], [{ name: '{urn:x}n', value: fits }]);
});

test('patchProps: the cap counts UTF-8 bytes, as MAX_PROPS_BYTES and its message say', async (t) => {
  const f = await fixture(t);
  await f.put('a.txt');
  const euros = '€'.repeat(30_000); // 30 000 UTF-16 units, 90 000 UTF-8 bytes
  t.true(Buffer.byteLength(euros) > MAX_PROPS_BYTES);
  await refused(t, f.dav.patchProps(alice, 'a.txt', 'file', [], [{ name: '{urn:x}e', value: euros }]), 'insufficient-storage');
});

test('deleteResource of a collection: every file gets a delete marker, every sub-collection a tombstone', async (t) => {
  const f = await fixture(t);
  await f.put('keep.txt');
  await deleteResource(f.dav, alice, 'p', 'collection', []);
  for (const key of ['p/a.txt', 'p/q/b.txt', 'p/imp/c.txt']) {
    t.like((await f.files.get(key))?.versions.at(-1), { version: 2, deleted: true, author: 'alice' }, key);
  }
  for (const key of ['p', 'p/q', 'p/q/r', 'p/imp']) t.true((await f.collections.get(key))?.deleted, key);
  t.like(await f.collections.resolve('p'), { kind: 'none' });
  t.deepEqual(await f.collections.members(''), { files: ['keep.txt'], collections: [] });
});

test('deleteResource refuses (locked) before changing anything when one member is locked', async (t) => {
  const f = await fixture(t);
  const { lock } = await f.files.checkout(bob, 'p/q/b.txt', { conditions: {} }, 60);
  await refused(t, deleteResource(f.dav, alice, 'p', 'collection', []), 'locked');
  await f.dav.lock(bob, 'p/q/r', req('shared', 0), []);
  await refused(t, deleteResource(f.dav, bob, 'p', 'collection', [lock.token]), 'locked');
  for (const key of ['p/a.txt', 'p/q/b.txt', 'p/imp/c.txt']) t.true(await isCurrent(f, key), key);
  for (const key of ['p', 'p/q', 'p/q/r', 'p/imp']) t.true(await f.collections.exists(key), key);
});

test("deleteResource with another user's member lock token is refused before anything changes", async (t) => {
  // RFC 4918 §6.4: the principal must be the lock creator. checkRemovable only looks for the
  // token, files.remove then refuses 403 — after p/a.txt was already deleted.
  const f = await fixture(t);
  const { lock } = await f.files.checkout(alice, 'p/q/b.txt', { conditions: {} }, 60);
  await t.throwsAsync(deleteResource(f.dav, bob, 'p', 'collection', [lock.token]), { instanceOf: Problem });
  t.true(await isCurrent(f, 'p/a.txt'), 'p/a.txt must not be deleted by a refused DELETE');
});

test("a collection lock's token works only for its owner", async (t) => {
  // RFC 4918 §6.4 again: bob submitting alice's collection token may not write inside it.
  const f = await fixture(t);
  const { lock } = await f.dav.lock(alice, 'p', req('exclusive', 'infinity'), []);
  await refused(t, deleteResource(f.dav, bob, 'p/a.txt', 'file', [lock.token]), 'forbidden');
  t.true(await isCurrent(f, 'p/a.txt'));
});

test('walk: depth first, a collection before its members; depth limits the levels', async (t) => {
  const f = await fixture(t);
  const seen: string[] = [];
  await f.dav.walk('p', async (key, kind) => void seen.push(`${kind[0]}:${key}`));
  t.deepEqual(seen, ['f:p/a.txt', 'c:p/imp', 'f:p/imp/c.txt', 'c:p/q', 'f:p/q/b.txt', 'c:p/q/r']);
  const top: string[] = [];
  await f.dav.walk('p', async (key) => void top.push(key), 1);
  t.deepEqual(top, ['p/a.txt', 'p/imp', 'p/q']);
});

test('walk: past MAX_TREE members it stops with a Problem (entries stubbed: 10 000 real records are too slow)', async (t) => {
  const f = await fixture(t, false);
  const names = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const listing = new Map<string, Members>();
  const entries = async (dir: string) => {
    const { files, collections } = listing.get(dir) ?? { files: [], collections: [] };
    return { files: files.map((name) => ({ name, record: { path: name, versions: [], lock: null } })), collections: collections.map((name) => ({ name, record: undefined })), reserved: [] };
  };
  const stub = Object.assign(Object.create(f.collections) as Collections, { entries });
  const dav = new Namespace(f.files, stub);
  let visits = 0;
  const count = async () => void visits++;
  listing.set('big', { files: names(MAX_TREE, 'f'), collections: [] });
  await dav.walk('big', count);
  t.is(visits, MAX_TREE, 'exactly MAX_TREE members pass');
  // One more, counted across levels: MAX_TREE - 1 files, one collection, one file inside it.
  listing.set('big', { files: names(MAX_TREE - 1, 'f'), collections: ['sub'] });
  listing.set('big/sub', { files: ['last'], collections: [] });
  visits = 0;
  const err = await refused(t, dav.walk('big', count), 'forbidden');
  t.regex(err?.message ?? '', new RegExp(`more than ${MAX_TREE}`));
  t.is(visits, MAX_TREE, 'the member past the limit is not visited');
});

test('copyTree: a file copy is a new version with the source sha256 and props, and no lock', async (t) => {
  const f = await fixture(t, false);
  await f.put('src.txt', 'content');
  await f.dav.patchProps(alice, 'src.txt', 'file', [], [{ name: '{urn:x}p', value: 'v' }]);
  await f.files.checkout(alice, 'src.txt', { conditions: {} }, 60);
  await copyTree(f.dav, bob, { source: 'src.txt', destination: 'dst.txt', depth: 'infinity', tokens: [] });
  const dst = await f.files.get('dst.txt');
  t.like(dst, { lock: null, props: { '{urn:x}p': 'v' }, versions: [{ version: 1, sha256: sha256('content'), size: 7, author: 'bob', contentType: 'text/plain' }] });
  t.is(dst?.shared, undefined);
  await f.put('old.txt', 'old', bob);
  await copyTree(f.dav, bob, { source: 'src.txt', destination: 'old.txt', depth: '0', tokens: [] });
  t.deepEqual(
    (await f.files.get('old.txt'))?.versions.map((v) => v.sha256),
    [sha256('old'), sha256('content')],
  );
  await refused(t, copyTree(f.dav, bob, { source: 'none.txt', destination: 'x.txt', depth: '0', tokens: [] }), 'not-found');
});

test('copyTree: a collection with depth 0 copies no member; depth infinity copies the whole tree', async (t) => {
  const f = await fixture(t);
  await f.dav.patchProps(alice, 'p', 'collection', [], [{ name: '{urn:x}top', value: '1' }]);
  await f.dav.patchProps(alice, 'p/q/r', 'collection', [], [{ name: '{urn:x}deep', value: '2' }]);
  await f.dav.lock(alice, 'p/q', req('shared', 0), []);
  await copyTree(f.dav, bob, { source: 'p', destination: 'c0', depth: '0', tokens: [] });
  t.like(await f.collections.get('c0'), { props: { '{urn:x}top': '1' }, lock: null });
  t.deepEqual(await f.collections.members('c0'), { files: [], collections: [] });
  await copyTree(f.dav, bob, { source: 'p', destination: 'all', depth: 'infinity', tokens: [] });
  const copied: string[] = [];
  await f.dav.walk('all', async (key) => void copied.push(key));
  t.deepEqual(copied, ['all/a.txt', 'all/imp', 'all/imp/c.txt', 'all/q', 'all/q/b.txt', 'all/q/r']);
  for (const key of ['a.txt', 'q/b.txt', 'imp/c.txt']) t.is(currentVersion(await f.files.get(`all/${key}`))?.sha256, sha256(`p/${key}`), key);
  t.deepEqual((await f.collections.get('all/q/r'))?.props, { '{urn:x}deep': '2' });
  t.like(await f.collections.get('all/q'), { lock: null });
  t.is((await f.collections.get('all/q'))?.shared, undefined, 'locks stay behind');
});

test('a path reserved by a lock on an unmapped URL is a member for locks: a collection DELETE needs its token and releases it', async (t) => {
  const f = await fixture(t);
  const { lock } = await f.dav.lock(bob, 'p/q/new.txt', req('exclusive', 0), []);
  await refused(t, deleteResource(f.dav, alice, 'p', 'collection', []), 'locked');
  t.true(await isCurrent(f, 'p/a.txt'), 'nothing changed');
  await refused(t, f.dav.lock(alice, 'p', req('exclusive', 'infinity'), []), 'locked');
  await deleteResource(f.dav, bob, 'p', 'collection', [lock.token]);
  t.is((await f.files.get('p/q/new.txt'))?.lock, null, 'the reservation went with its collection');
  t.false(await f.collections.exists('p'));
});
