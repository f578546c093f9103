import { Readable } from 'node:stream';
import test from 'ava';
import { createDomain } from '../../src/domain/services.js';
import type { KluisRecords } from '../../src/domain/types.js';
import { UploadClaim } from '../../src/domain/upload-claim.js';
import { type UploadState, uploadTag } from '../../src/domain/upload-state.js';
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

/** The next record write of `path` fails as a store that went away does. */
function failOnce(storage: Storage<KluisRecords>, path: string): void {
  let failing = true;
  const put = storage.records.put.bind(storage.records);
  storage.records.put = async (key, value, expected, prepare) => {
    if (key === path && failing) {
      failing = false;
      throw new StorageUnavailable('the store went away');
    }
    return put(key, value, expected, prepare);
  };
}

async function versionsOf(storage: Storage<KluisRecords>, path: string) {
  return (await storage.records.get(path))?.value.versions ?? [];
}

test('a commit retried after its version was written (a crash before the state said so) makes no second version', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads, files } = domain(storage);
  const made = await uploads.create(alice, { ...NEW('a.txt', 6), intent: { base: 0, conditions: {}, checkin: false } });
  await uploads.append(alice, made.id, { offset: 0 }, bytes('abc'));
  // What a process killed inside the commit leaves: the version, tagged, and the state at offset 3.
  const staged = await storage.blobs.stage(Readable.from([Buffer.from('abcdef')]));
  await files.upload(alice, 'a.txt', { conditions: {} }, { staged, sha256: sha256('abcdef'), size: 6, contentType: null, upload: uploadTag(made.state.id) });
  await files.upload(bob, 'a.txt', { conditions: {} }, { staged: await storage.blobs.stage(bytes('later')), sha256: sha256('later'), size: 5, contentType: null });
  const { committed } = await uploads.append(alice, made.id, { offset: 3 }, bytes('def'));
  t.is(committed?.version.version, 1, 'the version the first commit made, though ?base=0 no longer holds');
  t.deepEqual(
    (await versionsOf(storage, 'a.txt')).map((v) => v.author),
    ['alice', 'bob'],
  );
});

test('two appends to one upload at once: one is refused with upload-busy and nothing of it is kept', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads } = domain(storage);
  const { id } = await uploads.create(alice, NEW('busy.txt', 10));
  const slow = new Readable({ read() {} });
  slow.push('abcde');
  const first = uploads.append(alice, id, { offset: 0 }, slow);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await refused(t, uploads.append(alice, id, { offset: 0 }, bytes('vwxyz')), 'upload-busy');
  slow.push(null);
  await first;
  t.is((await uploads.status(alice, id)).position.length, 5);
});

test('a process that did not see the bytes arrive hashes them again at completion', async (t) => {
  const { storage } = memoryStore(t);
  const one = domain(storage).uploads;
  const { id } = await one.create(alice, NEW('rehash.txt', 6));
  await one.append(alice, id, { offset: 0 }, bytes('abc'));
  const other = domain(storage);
  const { committed } = await other.uploads.append(alice, id, { offset: 3 }, bytes('def'));
  t.is(committed?.version.sha256, sha256('abcdef'));
});

test('the sweep reclaims bytes whose state is gone after an hour; another user cannot see or use an upload', async (t) => {
  const { storage } = memoryStore(t);
  let now = START;
  const { uploads } = domain(storage, () => now);
  const { id, state } = await uploads.create(alice, NEW('orphan.txt', 6));
  await refused(t, uploads.status(bob, id), 'not-found');
  await refused(t, uploads.append(bob, id, { offset: 0 }, bytes('abc')), 'not-found');
  await storage.uploads.states.remove(state.id);
  now = Date.now() + 2 * 3_600_000;
  t.deepEqual(await uploads.sweep(), { expired: 0, orphans: 1 });
});

test('a commit cut short by the store (the last bytes acknowledged) is finished by the next read of the upload, as one version', async (t) => {
  const { storage } = memoryStore(t);
  failOnce(storage, 'fail.txt');
  const { uploads } = domain(storage);
  const { id } = await uploads.create(alice, NEW('fail.txt', 6));
  await uploads.append(alice, id, { offset: 0 }, bytes('abc'));
  await t.throwsAsync(uploads.append(alice, id, { offset: 3 }, bytes('def')), { instanceOf: StorageUnavailable });
  t.is(await storage.records.get('fail.txt'), undefined, 'no version yet');
  await refused(t, uploads.append(alice, id, { offset: 3 }, bytes('def')), 'upload-offset');
  const state = await uploads.status(alice, id);
  t.like(state, { version: 1, position: { length: 6 } });
  t.is((await versionsOf(storage, 'fail.txt')).length, 1);
});

test('an empty upload is committed as it is made', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads } = domain(storage);
  const made = await uploads.create(alice, NEW('empty.txt', 0));
  t.is(made.state.version, 1);
  t.is((await versionsOf(storage, 'empty.txt'))[0]?.size, 0);
});

test('the upload id is no storage key: states and bytes are stored under a digest of it', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads } = domain(storage);
  const { id } = await uploads.create(alice, NEW('key.txt', 3));
  const keys = (await storage.uploads.states.list(''))?.files ?? [];
  t.is(keys.length, 1);
  t.not(keys[0], id);
  t.false(keys.some((k) => k.includes(id.slice(8))));
});

test('an append with a checksum that is cut short keeps none of its bytes', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads } = domain(storage);
  const { id } = await uploads.create(alice, NEW('sum.txt', 10));
  const cut = Readable.from(
    (async function* () {
      yield Buffer.from('abc');
      throw new Error('client went away');
    })(),
  );
  await t.throwsAsync(uploads.append(alice, id, { offset: 0, checksum: { algorithm: 'sha1', base64: 'AAAA' } }, cut), { message: 'client went away' });
  t.is((await uploads.status(alice, id)).position.length, 0);
});

test('a commit finished by a read and refused there records its refusal (HEAD then holds the upload back)', async (t) => {
  const { storage } = memoryStore(t);
  failOnce(storage, 'late.txt');
  const { uploads, files } = domain(storage);
  const { id } = await uploads.create(alice, NEW('late.txt', 3));
  await t.throwsAsync(uploads.append(alice, id, { offset: 0 }, bytes('abc')), { instanceOf: StorageUnavailable });
  await files.checkout(bob, 'late.txt', { conditions: {} }, 60);
  const state = await uploads.status(alice, id);
  t.is(state.refused?.code, 'locked');
  t.is(state.version, undefined);
});

test('a claim found taken makes every later write through it fail, and writes nothing', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads } = domain(storage);
  const { state } = await uploads.create(alice, NEW('claimed.txt', 3));
  const claim = await UploadClaim.take(
    storage.uploads.states,
    () => START,
    state.id,
    () => {},
  );
  const current = await storage.uploads.states.get(state.id);
  await storage.uploads.states.put(state.id, { ...(current?.value as UploadState), comment: 'another request' }, current?.revision ?? null);
  await refused(t, claim.keep({ ...claim.state, comment: 'mine' }), 'upload-busy');
  await refused(t, claim.release(), 'upload-busy');
  t.is((await storage.uploads.states.get(state.id))?.value.comment, 'another request');
});

test('the sweep retires a committed upload whose claim lapsed (its request died before moving it)', async (t) => {
  const { storage } = memoryStore(t);
  const { uploads } = domain(storage, () => START);
  const { state } = await uploads.create(alice, NEW('lapsed.txt', 3));
  const stuck: UploadState = { ...state, version: 1, claim: { id: 'gone', until: new Date(START - 1000).toISOString() } };
  const current = await storage.uploads.states.get(state.id);
  await storage.uploads.states.put(state.id, stuck, current?.revision ?? null);
  await uploads.sweep();
  t.deepEqual((await storage.uploads.states.list(''))?.files, []);
  t.deepEqual((await storage.uploads.states.list('done'))?.files, [state.id]);
});
