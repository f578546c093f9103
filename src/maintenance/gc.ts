/**
 * Garbage collection of blobs that no version references: mark and sweep with a grace period.
 *
 * A blob loses its last reference when retention prunes the versions that had it (`pruned`),
 * or it never gets one when a writer publishes it and then loses the compare-and-set race for
 * the record (S3 commits before its conditional write). A run:
 *
 *  1. notes its start T0 and the cutoff T0 − grace (default one hour);
 *  2. mark: scans every record and collects the sha256 of every version that is neither a
 *     delete marker nor pruned;
 *  3. sweep: lists every blob and removes each one that is not referenced and was last
 *     committed (published or touched) before the cutoff, through
 *     `BlobStore.remove(sha256, { olderThan: cutoff })`, which re-checks that time as part of
 *     the removal itself.
 *
 * Why a blob some record references is never removed:
 *
 *  - A reference the mark saw is kept. Versions only get added, and pruning is one-way, so a
 *    reference that exists when the mark reads a record and still exists later was there when
 *    it was read. (Restore copies a reference from a non-pruned version of the same record.)
 *  - A reference the mark missed was written to its record after the mark read that record,
 *    so after T0. Only an upload adds a new reference, and an upload commits its blob in
 *    `prepare`, before the record write: publishing it, or touching it when the content is
 *    already stored. Commit and record write are far less than the grace apart, so the commit
 *    happened after T0 − grace: the blob's modifiedAt is past the cutoff and the sweep keeps it.
 *  - If the sweep looked at the blob before that commit, the backend makes the removal and the
 *    commit's touch exclusive (see `BlobStore.commit`): the removal either sees the touch and
 *    keeps the blob, or the commit finds the blob gone and publishes its own staged copy.
 *  - On a store with removal windows (S3: `BlobStore.openRemovals`), a commit of existing
 *    content skips the touch while no window is near. The run opens a window after step 1 and
 *    before step 2, and closes it after the sweep; a commit that skipped its touch did so before
 *    the window could be seen, and its record write ended before the window's wait ended, so
 *    before the mark began: the mark sees that reference. A record write that ended later is
 *    followed by the touch (`BlobStore.settle`), which the removal and the commit's touch rules
 *    above cover. Every commit that could see the window touches.
 *
 * The assumptions, each met by a wide margin at the default grace: a commit and its record
 * write are less than the grace apart (a server-side S3 copy of tens of GiB takes minutes),
 * and this host's clock and the store's (S3 LastModified) differ by much less than the grace.
 * A run that cannot read every record fails before it removes anything. Memory: the set of
 * referenced hashes (about 150 bytes per distinct blob).
 */
import { performance } from 'node:perf_hooks';
import type { Clock, FileRecord, HistoryPage } from '../domain/types.js';
import type { BlobInfo, BlobStore, RecordStore } from '../storage/contracts.js';
import { forEachLimit } from '../domain/bounded.js';
import { blobOf, forEachFile } from './walk.js';

export const DEFAULT_GRACE_SECONDS = 3600;
/** The least grace the HTTP API and the CLI accept: below it an upload in flight is at risk. */
export const MIN_GRACE_SECONDS = 60;
/** Removals in flight at once. */
const REMOVE_CONCURRENCY = 8;

export interface GcOptions {
  records: RecordStore<FileRecord>;
  /** Where the records' history pages live (Storage.history). */
  history: RecordStore<HistoryPage>;
  blobs: BlobStore;
  /** Blobs committed less than this long before the run starts are kept (default one hour). */
  graceMs?: number;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
  /** The clock T0 is read from (default Date.now); must agree with the store's. */
  clock?: Clock;
}

export interface GcReport {
  /** Records read by the mark. */
  scannedRecords: number;
  /** Distinct blobs that some version needs. */
  referencedBlobs: number;
  /** Referenced blobs the store does not have: 0 unless something removed them outside GC. */
  missingBlobs: number;
  /** Blobs listed by the sweep. */
  blobs: number;
  /** Unreferenced blobs last committed before the cutoff. */
  candidates: number;
  candidateBytes: number;
  /** Candidates removed: fewer when a commit touched one meanwhile (or dryRun). */
  deleted: number;
  freedBytes: number;
  dryRun: boolean;
  graceSeconds: number;
  durationMs: number;
}

export async function collectGarbage(options: GcOptions): Promise<GcReport> {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_SECONDS * 1000;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError(`grace must be a non-negative number of ms, not ${graceMs}`);
  const started = performance.now();
  // T0 is the start, before any window: the grace covers a commit's touch from T0 - grace on.
  const cutoff = (options.clock ?? Date.now)() - graceMs;
  // A store whose commits skip the touch outside removal windows opens one, and the mark reads
  // references only once every commit that skipped it has written its record.
  const close = options.dryRun ? undefined : await options.blobs.openRemovals?.();
  try {
    return await run(options, graceMs, started, cutoff);
  } finally {
    await close?.();
  }
}

async function run(options: GcOptions, graceMs: number, started: number, cutoff: number): Promise<GcReport> {
  const report: GcReport = {
    scannedRecords: 0,
    referencedBlobs: 0,
    missingBlobs: 0,
    blobs: 0,
    candidates: 0,
    candidateBytes: 0,
    deleted: 0,
    freedBytes: 0,
    dryRun: options.dryRun ?? false,
    graceSeconds: graceMs / 1000,
    durationMs: 0,
  };

  const referenced = new Set<string>();
  await forEachFile(options, (_record, versions) => {
    report.scannedRecords++;
    for (const version of versions) {
      const sha256 = blobOf(version);
      if (sha256) referenced.add(sha256);
    }
  });
  report.referencedBlobs = referenced.size;

  let found = 0;
  async function* candidates(): AsyncIterable<BlobInfo> {
    for await (const blob of options.blobs.list()) {
      report.blobs++;
      if (referenced.has(blob.sha256)) found++;
      else if (blob.modifiedAt < cutoff) {
        report.candidates++;
        report.candidateBytes += blob.size;
        yield blob;
      }
    }
  }
  await forEachLimit(candidates(), REMOVE_CONCURRENCY, async (blob) => {
    if (report.dryRun) return;
    if (await options.blobs.remove(blob.sha256, { olderThan: cutoff })) {
      report.deleted++;
      report.freedBytes += blob.size;
    }
  });
  report.missingBlobs = referenced.size - found;
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
