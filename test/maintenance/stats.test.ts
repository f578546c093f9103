import { Readable } from 'node:stream';
import test from 'ava';
import { collectGarbage } from '../../src/maintenance/gc.js';
import { createDomain } from '../../src/domain/services.js';
import { Uploads } from '../../src/domain/uploads.js';
import { storageStats } from '../../src/maintenance/stats.js';
import { BACKENDS, CALLER, fixture } from './_support.js';

for (const backend of BACKENDS) {
  test(`${backend}: stats of an empty store are zero, with a dedup ratio of 1`, async (t) => {
    const f = await fixture(t, backend);
    t.deepEqual(await storageStats(f.storage), {
      files: 0,
      deletedFiles: 0,
      versions: 0,
      prunedVersions: 0,
      liveLocks: 0,
      blobs: 0,
      bytesStored: 0,
      bytesUploaded: 0,
      dedupRatio: 1,
      openUploads: 0,
      openUploadBytes: 0,
    });
  });

  test(`${backend}: stats count files, deleted files, versions, pruned versions, live locks, blobs, bytes and open uploads`, async (t) => {
    const f = await fixture(t, backend);
    const A = 'version one of a';
    const B = 'version two of a, longer';
    const C = 'c, then deleted';
    const D = 'shared by d and e';
    const O = 'orphan blob';
    await f.upload('a.txt', A);
    await f.upload('a.txt', B);
    await f.prune('a.txt', 1);
    await f.upload('docs/b.txt', C);
    await f.remove('docs/b.txt');
    await f.upload('docs/d.txt', D);
    await f.upload('e.txt', D);
    await f.files.checkout(CALLER, 'reserved.txt', { conditions: {} }, 60); // a record with no version
    await f.orphan(O);
    // Two resumable uploads: one open with 5 of its 9 bytes, one committed (a version, not open).
    const domain = createDomain(f.storage, { clock: Date.now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
    const uploads = new Uploads({ store: f.storage.uploads, files: domain.files, dav: domain.dav, clock: Date.now, expirySeconds: 3600, maxOpenPerUser: 10, maxBytes: 1 << 20 });
    const NEW = (path: string, length: number) => ({ path, length, metadata: {}, contentType: null, intent: { conditions: {}, checkin: false } });
    const open = await uploads.create(CALLER, NEW('open.txt', 9));
    await uploads.append(CALLER, open.id, { offset: 0 }, Readable.from([Buffer.from('12345')]));
    const done = await uploads.create(CALLER, NEW('f.txt', D.length));
    const { committed } = await uploads.append(CALLER, done.id, { offset: 0 }, Readable.from([Buffer.from(D)]));
    t.is(committed?.version.version, 1);
    const uploaded = A.length + B.length + C.length + 3 * D.length;
    const stored = A.length + B.length + C.length + D.length + O.length;
    t.deepEqual(await storageStats(f.storage), {
      files: 4,
      deletedFiles: 1,
      versions: 7,
      prunedVersions: 1,
      liveLocks: 1,
      blobs: 5,
      bytesStored: stored,
      bytesUploaded: uploaded,
      dedupRatio: Math.round((uploaded / stored) * 1000) / 1000,
      openUploads: 1,
      openUploadBytes: 5,
    });
    t.is((await storageStats(f.storage, Date.now() + 120_000)).liveLocks, 0, 'the lock has expired by then');
    // After GC the pruned version's and the orphan's bytes are gone; the uploads still count.
    await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, clock: () => Date.now() + 2 * 3600_000 });
    const after = await storageStats(f.storage);
    const left = B.length + C.length + D.length;
    t.like(after, { blobs: 3, bytesStored: left, bytesUploaded: uploaded, dedupRatio: Math.round((uploaded / left) * 1000) / 1000 });
  });
}
