import test, { type ExecutionContext } from 'ava';
import { Collections } from '../../src/domain/collections.js';
import { copyTree, listTree } from '../../src/domain/dav-copy.js';
import { deleteResource } from '../../src/domain/dav-delete.js';
import { FileService } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import { CLAIM_SECONDS, MoveClaim } from '../../src/domain/move-claim.js';
import { currentVersion } from '../../src/domain/rules.js';
import { Namespace } from '../../src/domain/namespace.js';
import { alice, bob, memoryStore, refused, stageText, START } from './_support.js';

async function fixture(t: ExecutionContext) {
  const { storage } = memoryStore(t);
  let now = START;
  const files = new FileService({ records: storage.records, history: new History(storage.history), blobs: storage.blobs, clock: () => now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  const collections = new Collections(storage.collections, storage.records, () => now);
  const dav = new Namespace(files, collections);
  const put = async (key: string, text: string, caller = alice, tokens: string[] = []) => files.upload(caller, key, { tokens, conditions: {} }, await stageText(storage.blobs, text));
  return { dav, files, put, advance: (ms: number) => (now += ms) };
}

test('a MOVE claim on a file refuses every write without its token, even by its taker, and a second claim; released, it is gone', async (t) => {
  const f = await fixture(t);
  await f.put('a.txt', 'one');
  const claim = await MoveClaim.take(f.dav, alice, 'a.txt', 'file', []);
  t.teardown(() => claim.stop());
  await refused(t, f.put('a.txt', 'bob', bob), 'locked');
  await refused(t, f.put('a.txt', 'alice again', alice), 'locked');
  await refused(t, MoveClaim.take(f.dav, alice, 'a.txt', 'file', []), 'locked');
  await refused(t, f.dav.lock(bob, 'a.txt', { scope: 'shared', depth: 0, seconds: 60 }, []), 'locked');
  await f.put('a.txt', 'with the claim', alice, [claim.token]);
  await claim.release();
  t.is((await f.files.get('a.txt'))?.shared, undefined, 'no claim is left');
  await f.put('a.txt', 'bob', bob);
});

test('a MOVE claim on a collection refuses writes below it, and expires when its MOVE died (not renewed)', async (t) => {
  const f = await fixture(t);
  await f.put('d/in.txt', 'in');
  const claim = await MoveClaim.take(f.dav, alice, 'd', 'collection', []);
  claim.stop(); // as if its process died: never renewed
  await refused(t, f.dav.beforeFilesWrite('d/in.txt', bob, { conditions: {} }), 'locked');
  await refused(t, f.dav.beforeFilesWrite('d/new.txt', bob, { conditions: {} }), 'locked');
  f.advance(CLAIM_SECONDS * 1000 + 1);
  await f.dav.beforeFilesWrite('d/new.txt', bob, { conditions: {} });
  await MoveClaim.take(f.dav, bob, 'd', 'collection', []).then((next) => next.release());
});

test('a MOVE claim of nothing is 404', async (t) => {
  const f = await fixture(t);
  await refused(t, MoveClaim.take(f.dav, alice, 'none.txt', 'file', []), 'not-found');
  await refused(t, MoveClaim.take(f.dav, alice, 'none', 'collection', []), 'not-found');
});

test('a MOVE claim is no holding of other locks: taken over a lock its MOVE did not submit is 423, and its token alone does not pass that lock', async (t) => {
  const f = await fixture(t);
  await f.put('a.txt', 'one');
  const bobs = await f.dav.lock(bob, 'a.txt', { scope: 'shared', depth: 0, seconds: 60 }, []);
  await refused(t, MoveClaim.take(f.dav, alice, 'a.txt', 'file', []), 'locked');
  const claim = await MoveClaim.take(f.dav, bob, 'a.txt', 'file', [bobs.lock.token]);
  t.teardown(() => claim.stop());
  await refused(t, f.files.remove(bob, 'a.txt', { tokens: [claim.token], conditions: {} }, true), 'locked');
  await f.files.remove(bob, 'a.txt', { tokens: [claim.token, bobs.lock.token], conditions: {} }, true);
});

test('a claim on a folder made by /files uploads leaves it implicit: released, the folder still exists only through its files', async (t) => {
  const f = await fixture(t);
  await f.put('impl/x.txt', 'x');
  const claim = await MoveClaim.take(f.dav, alice, 'impl', 'collection', []);
  t.true(await f.dav.collections.exists('impl'));
  await claim.release();
  const record = await f.dav.collections.get('impl');
  t.true(record === undefined || record.implicit === true, JSON.stringify(record));
  t.is(record?.shared, undefined);
});

test('deleteResource of a MOVE source deletes what was copied, as copied: a file written since stays, with the folders above it', async (t) => {
  const f = await fixture(t);
  await f.put('src/a.txt', 'a');
  await f.put('src/sub/b.txt', 'b');
  const members = await listTree(f.dav, 'src');
  const copied = await copyTree(f.dav, alice, { source: 'src', destination: 'dst', depth: 'infinity', tokens: [], members });
  await f.put('src/sub/b.txt', 'written during the MOVE', bob);
  const kept = await deleteResource(f.dav, alice, 'src', 'collection', [], { members: copied.members, copied: copied.versions });
  t.deepEqual(kept, ['src/sub/b.txt']);
  t.is(currentVersion(await f.files.get('src/a.txt')), null, 'a.txt was moved');
  t.is(currentVersion(await f.files.get('src/sub/b.txt'))?.version, 2, 'b.txt keeps the write that came during the MOVE');
  t.true(await f.dav.collections.exists('src/sub'));
  t.true(await f.dav.collections.exists('src'));
});
