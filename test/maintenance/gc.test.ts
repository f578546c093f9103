import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { FileService } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import type { FileRecord } from '../../src/domain/types.js';
import { collectGarbage } from '../../src/maintenance/gc.js';
import type { RecordStore } from '../../src/storage/contracts.js';
import { TICK_MS } from '../contracts/blob-store.js';
import { assertIntact, BACKENDS, CALLER, fixture, inParallel, sha256, type Fixture } from './_support.js';

/**
 * A store with every kind of reference, old (2 s and more) except `young`:
 *  - a.txt: v1 A pruned, v2 B current       → A unreferenced, B kept
 *  - b.txt: v1 C, v2 delete marker          → C kept (the history still has it)
 *  - c.txt: v1 D pruned, v2 E; d.txt: v1 D  → D kept (d.txt needs it)
 *  - O: committed, no record (lost race)    → unreferenced
 *  - Y: committed just before the run       → young, kept
 */
async function scene(f: Fixture) {
  const c = { A: 'content A, pruned', B: 'content B', C: 'content C', D: 'content D, shared', E: 'content E', O: 'orphan O', Y: 'young orphan Y' };
  await f.upload('a.txt', c.A);
  await f.upload('a.txt', c.B);
  await f.prune('a.txt', 1);
  await f.upload('docs/b.txt', c.C);
  await f.remove('docs/b.txt');
  await f.upload('docs/c.txt', c.D);
  await f.upload('docs/c.txt', c.E);
  await f.prune('docs/c.txt', 1);
  await f.upload('d.txt', c.D);
  await f.orphan(c.O);
  await sleep(2 * TICK_MS);
  await f.orphan(c.Y);
  const h = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, sha256(v)])) as Record<keyof typeof c, string>;
  return { c, h, garbageBytes: c.A.length + c.O.length };
}

/**
 * An upload of `content` to `key` whose record is written `delayMs` after its commit (prepare):
 * `commitDone` resolves at the commit, `upload` once the record is written.
 */
async function slowUpload(f: Fixture, key: string, content: string, delayMs: number): Promise<{ upload: Promise<unknown>; commitDone: Promise<void> }> {
  let committed!: () => void;
  const commitDone = new Promise<void>((resolve) => (committed = resolve));
  const r = f.storage.records;
  const records: RecordStore<FileRecord> = {
    get: (k) => r.get(k),
    put: (k, value, expected, prepare) =>
      r.put(k, value, expected, async () => {
        await prepare?.();
        committed();
        await sleep(delayMs);
      }),
    list: (dir) => r.list(dir),
    scan: () => r.scan(),
  };
  const slow = new FileService({ records, history: new History(f.storage.history), blobs: f.storage.blobs, clock: Date.now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  const staged = await f.storage.blobs.stage(Readable.from([Buffer.from(content)]));
  const upload = slow.upload(CALLER, key, { conditions: {} }, { staged, sha256: sha256(content), size: content.length, contentType: null });
  return { upload, commitDone };
}

for (const backend of BACKENDS) {
  test(`${backend}: unreferenced old blobs are removed; referenced ones and young ones are kept`, async (t) => {
    const f = await fixture(t, backend);
    const { h, garbageBytes } = await scene(f);
    // Every run starts "now": Y stays young however long the runs take on a loaded machine.
    const now = Date.now();
    const clock = () => now;
    const report = await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: 1000, clock });
    t.like(report, {
      scannedRecords: 4,
      referencedBlobs: 4,
      missingBlobs: 0,
      blobs: 7,
      candidates: 2,
      candidateBytes: garbageBytes,
      deleted: 2,
      freedBytes: garbageBytes,
      dryRun: false,
      graceSeconds: 1,
    });
    t.deepEqual([...(await f.blobs()).keys()].sort(), [h.B, h.C, h.D, h.E, h.Y].sort());
    await assertIntact(t, f);
    // Nothing is left to collect, and the files still read.
    t.like(await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: 1000, clock }), { blobs: 5, candidates: 0, deleted: 0 });
  });

  test(`${backend}: a dry run removes nothing and reports the candidates a real run then removes`, async (t) => {
    const f = await fixture(t, backend);
    const { garbageBytes } = await scene(f);
    const now = Date.now();
    const clock = () => now;
    const before = [...(await f.blobs()).keys()].sort();
    const dry = await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: 1000, dryRun: true, clock });
    t.like(dry, { blobs: 7, candidates: 2, candidateBytes: garbageBytes, deleted: 0, freedBytes: 0, dryRun: true });
    t.deepEqual([...(await f.blobs()).keys()].sort(), before);
    const real = await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: 1000, clock });
    t.like(real, { candidates: dry.candidates, candidateBytes: dry.candidateBytes, deleted: 2, freedBytes: garbageBytes });
  });

  test(`${backend}: the default grace of an hour keeps everything just committed; the clock sets the run's start`, async (t) => {
    const f = await fixture(t, backend);
    const orphan = await f.orphan('just committed');
    await f.upload('kept.txt', 'kept');
    t.like(await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs }), { blobs: 2, candidates: 0, deleted: 0, graceSeconds: 3600 });
    const later = () => Date.now() + 2 * 3600_000;
    t.like(await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, clock: later }), { blobs: 2, candidates: 1, deleted: 1 });
    t.false((await f.blobs()).has(orphan));
    await assertIntact(t, f);
  });

  test(`${backend}: a record that cannot be read fails the run before anything is removed`, async (t) => {
    const f = await fixture(t, backend);
    const orphan = await f.orphan('would be garbage');
    await f.upload('ok.txt', 'fine');
    await f.upload('broken.txt', 'unreadable record');
    const r = f.storage.records;
    const records: RecordStore<FileRecord> = {
      get: async (key) => {
        if (key === 'broken.txt') throw new Error('record unreadable');
        return r.get(key);
      },
      put: (key, value, expected, prepare) => r.put(key, value, expected, prepare),
      list: (dir) => r.list(dir),
      scan: () => r.scan(),
    };
    await t.throwsAsync(collectGarbage({ records, history: f.storage.history, blobs: f.storage.blobs, graceMs: 0, clock: () => Date.now() + 60_000 }), { message: 'record unreadable' });
    t.true((await f.blobs()).has(orphan));
    t.is((await f.blobs()).size, 3);
  });

  test(`${backend}: an upload whose record is written a while after its commit (less than the grace) keeps its blob`, async (t) => {
    const f = await fixture(t, backend);
    const content = 'reused by a slow upload';
    await f.orphan(content);
    await sleep(2 * TICK_MS);
    // Its record is written 1.2 s after the commit (prepare), as under heavy load.
    const { upload, commitDone } = await slowUpload(f, 'slow.txt', content, 1200);
    await commitDone;
    await sleep(20);
    // The run starts after the commit; its mark does not see the record, still unwritten.
    const report = await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: 2500 });
    await upload;
    // On disk the mark runs before the record is written and the blob is kept by its touch. On
    // S3 the commit skipped its touch (no window was open) and the run's removal window holds
    // its mark back until the record is written: the mark sees it.
    t.like(report, { scannedRecords: backend === 's3' ? 1 : 0, candidates: 0, deleted: 0 });
    await assertIntact(t, f);
    t.is((await f.referenced()).size, 1);
  });

  if (backend === 's3') {
    test("s3: a commit that sees a removal window touches, so a record written after the next run's mark still keeps its blob", async (t) => {
      const f = await fixture(t, backend);
      const content = 'reused while a window is open';
      await f.orphan(content);
      await sleep(2 * TICK_MS);
      const close = await f.storage.blobs.openRemovals?.(); // another run's window, open and seen
      t.truthy(close);
      // The record lands 7 s after the commit: after the next run's 4 s window wait and its mark.
      const { upload, commitDone } = await slowUpload(f, 'late.txt', content, 7000);
      await commitDone;
      await close?.();
      const report = await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: 2500 });
      await upload;
      t.like(report, { scannedRecords: 0, candidates: 0, deleted: 0 }, 'the mark missed the record; the touch kept the blob');
      await assertIntact(t, f);
      t.is((await f.referenced()).size, 1);
    });
  }

  test(`${backend}: GC racing uploads of the content of unreferenced old blobs never leaves a record without its blob`, async (t) => {
    const f = await fixture(t, backend);
    // Enough records that a run takes a while, so that uploads land before, during and after each phase.
    await inParallel(
      Array.from({ length: 60 }, (_, i) => i),
      async (i) => void (await f.upload(`filler/${String(i).padStart(2, '0')}.txt`, `filler ${i}`)),
    );
    const ROUNDS = 6;
    const HOT = 16;
    const GRACE_MS = 200;
    let span = 0;
    let removed = 0;
    let kept = 0;
    const durations: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // This round's unreferenced blobs, older than the grace (and than S3's one-second resolution).
      const hot = Array.from({ length: HOT }, (_, i) => `hot content ${i} of round ${r} `.repeat(40));
      await inParallel(hot, async (content) => void (await f.orphan(content)));
      await sleep(TICK_MS);
      // The duration of a run: of the previous one, under the load of its uploads (first: 3 × an idle dry run).
      span ||= 3 * (await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: GRACE_MS, dryRun: true })).durationMs;
      // Upload i of each content starts at a point spread over 1.6 runs: some before the mark,
      // some between the listing and the removal of that blob, some after it was removed.
      const uploads = hot.flatMap((content, i) =>
        [0, 1].map(async (j) => {
          await sleep(Math.floor(((i + (r + j / 2) / ROUNDS) / HOT) * 1.6 * span));
          // A new key (which the scan may or may not have passed) or an existing one.
          await f.upload(j === 0 ? `race/${r}/${i}.txt` : `filler/${String((i * 7 + r) % 60).padStart(2, '0')}.txt`, content);
        }),
      );
      const gc = collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: GRACE_MS });
      await Promise.all(uploads);
      const report = await gc;
      durations.push(report.durationMs);
      span = Math.max(report.durationMs, 10);
      removed += report.deleted;
      kept += HOT - report.deleted;
      await assertIntact(t, f, `round ${r}: `);
    }
    t.like(await collectGarbage({ records: f.storage.records, history: f.storage.history, blobs: f.storage.blobs, graceMs: GRACE_MS, dryRun: true }), { missingBlobs: 0, candidates: 0 });
    t.log(`runs under load took ${durations.join(', ')} ms; of ${ROUNDS * HOT} hot blobs GC removed ${removed} while their uploads ran, ${kept} were touched first`);
    t.true(removed > 0, 'GC never removed a hot blob: the race was not exercised');
    t.true(kept > 0, 'uploads never touched a hot blob before GC removed it: the race was not exercised');
  });
}
