import { Readable } from 'node:stream';
import test from 'ava';
import { createDomain } from '../../src/domain/services.js';
import type { KluisRecords } from '../../src/domain/types.js';
import { uploadTag } from '../../src/domain/upload-state.js';
import { Uploads } from '../../src/domain/uploads.js';
import { type Storage, StorageUnavailable } from '../../src/storage/contracts.js';
import { alice, bob, memoryStore, refused, sha256, START } from './_support.js';

const OPTIONS = { expirySeconds: 3600, maxOpenPerUser: 10, maxBytes: 1 << 20 };

function domain(storage: Storage<KluisRecords>, clock = () => START) {
  const made = createDomain(storage, { clock, lockTimeouts: { defaultSeconds: 3600, maxSeconds: 86400 } });
  return { ...made, uploads: new Uploads({ store: storage.uploads, files: made.files, dav: made.dav, clock, ...OPTIONS }) };
}

const NEW = (path: string, length: number) => ({ path, length, metadata: {}, contentType: null, intent: { conditions: {}, checkin: false } });
const bytes = (text: string) => Readable.from([Buffer.from(text)]);

async function versionsOf(storage: Storage<KluisRecords>, path: string) {
  return (await storage.records.get(path))?.value.versions ?? [];
}

test('a commit retried after its version was written (a crash before the state said so) makes no second version', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads, files } = domain(storage);
  const state = await uploads.create(alice, NEW('a.txt', 6));
  await uploads.append(alice, state.id, { offset: 0 }, bytes('abc'));
  // What a process killed inside the commit leaves: the version, tagged, and the state at offset 3.
  const staged = await storage.blobs.stage(Readable.from([Buffer.from('abcdef')]));
  await files.upload(alice, 'a.txt', { conditions: {} }, { staged, sha256: sha256('abcdef'), size: 6, contentType: null, upload: uploadTag(state.id) });
  await files.upload(bob, 'a.txt', { conditions: {} }, { staged: await storage.blobs.stage(bytes('later')), sha256: sha256('later'), size: 5, contentType: null });
  const { committed } = await uploads.append(alice, state.id, { offset: 3 }, bytes('def'));
  t.is(committed?.version.version, 1, 'the version the first commit made');
  t.deepEqual(
    (await versionsOf(storage, 'a.txt')).map((v) => v.author),
    ['alice', 'bob'],
  );
});

test('two appends to one upload at once: one is refused with upload-busy and nothing of it is kept', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads } = domain(storage);
  const state = await uploads.create(alice, NEW('busy.txt', 10));
  const slow = new Readable({ read() {} });
  slow.push('abcde');
  const first = uploads.append(alice, state.id, { offset: 0 }, slow);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await refused(t, uploads.append(alice, state.id, { offset: 0 }, bytes('vwxyz')), 'upload-busy');
  slow.push(null);
  await first;
  t.is((await uploads.status(alice, state.id)).position.length, 5);
});

test('a process that did not see the bytes arrive hashes them again at completion', async (t) => {
  const { storage } = memoryStore(t);
  const one = domain(storage).uploads;
  const state = await one.create(alice, NEW('rehash.txt', 6));
  await one.append(alice, state.id, { offset: 0 }, bytes('abc'));
  const other = domain(storage);
  const { committed } = await other.uploads.append(alice, state.id, { offset: 3 }, bytes('def'));
  t.is(committed?.version.sha256, sha256('abcdef'));
});

test('the sweep reclaims bytes whose state is gone after an hour; another user cannot see or use an upload', async (t) => {
  const { storage } = memoryStore(t);
  let now = START;
  const { uploads } = domain(storage, () => now);
  const state = await uploads.create(alice, NEW('orphan.txt', 6));
  await refused(t, uploads.status(bob, state.id), 'not-found');
  await refused(t, uploads.append(bob, state.id, { offset: 0 }, bytes('abc')), 'not-found');
  await storage.uploads.states.remove(state.id);
  now = Date.now() + 2 * 3_600_000;
  t.deepEqual(await uploads.sweep(), { expired: 0, orphans: 1 });
});

test('the last bytes are acknowledged with the commit: a store failure in the commit leaves the offset where it was, and sending them again makes one version', async (t) => {
  const { storage } = memoryStore(t);
  let failing = true;
  const put = storage.records.put.bind(storage.records);
  storage.records.put = async (key, value, expected, prepare) => {
    if (key === 'fail.txt' && failing) {
      failing = false;
      throw new StorageUnavailable('the store went away');
    }
    return put(key, value, expected, prepare);
  };
  const { uploads } = domain(storage);
  const state = await uploads.create(alice, NEW('fail.txt', 6));
  await uploads.append(alice, state.id, { offset: 0 }, bytes('abc'));
  await t.throwsAsync(uploads.append(alice, state.id, { offset: 3 }, bytes('def')), { instanceOf: StorageUnavailable });
  t.is((await uploads.status(alice, state.id)).position.length, 3, 'not acknowledged');
  const { committed } = await uploads.append(alice, state.id, { offset: 3 }, bytes('def'));
  t.is(committed?.version.version, 1);
  t.is((await versionsOf(storage, 'fail.txt')).length, 1);
});
