import test from 'ava';
import { Collections } from '../../src/domain/collections.js';
import { FileService } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import { Namespace } from '../../src/domain/namespace.js';
import { alice, bob, memoryStore, refused, stageText, START } from './_support.js';

test('a /files write judged not to add a member under a Depth-0 lock is judged again at its write: a file deleted meanwhile makes it a new member, refused', async (t) => {
  const { storage } = memoryStore(t);
  const files = new FileService({ records: storage.records, history: new History(storage.history), blobs: storage.blobs, clock: () => START, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  const dav = new Namespace(files, new Collections(storage.collections, storage.records, () => START));
  await files.upload(alice, 'd/a.txt', { conditions: {} }, await stageText(storage.blobs, 'one'));
  const held = await dav.lock(alice, 'd', { scope: 'exclusive', depth: 0, seconds: 60 }, []);

  // bob's new version of a member: no membership change, so no token needed; the intent keeps a guard.
  const intent = await dav.beforeFilesWrite('d/a.txt', bob, { conditions: {} });
  // Meanwhile alice, the folder lock's holder, deletes the file.
  await files.remove(alice, 'd/a.txt', { tokens: [held.lock.token], conditions: {} });
  // bob's write would now add a member to the locked folder: refused in its compare-and-set.
  await refused(t, files.upload(bob, 'd/a.txt', intent, await stageText(storage.blobs, 'two')), 'locked');
  // Without that change in between, the same write goes through.
  await files.upload(alice, 'd/b.txt', { tokens: [held.lock.token], conditions: {} }, await stageText(storage.blobs, 'b'));
  const again = await dav.beforeFilesWrite('d/b.txt', bob, { conditions: {} });
  await files.upload(bob, 'd/b.txt', again, await stageText(storage.blobs, 'b2'));
  t.pass();
});
