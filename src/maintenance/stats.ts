import { liveLock } from '../domain/locks.js';
import type { FileRecord, HistoryPage } from '../domain/types.js';
import type { UploadState } from '../domain/upload-state.js';
import type { BlobStore, RecordStore, UploadStore } from '../storage/contracts.js';
import { forEachFile } from './walk.js';

/**
 * What the store holds. Read record by record and blob by blob while writes go on, so it is a
 * close estimate on a busy store, exact on a quiet one.
 */
export interface StorageStats {
  /** Paths whose current version has content. */
  files: number;
  /** Paths whose newest version is a delete marker. */
  deletedFiles: number;
  /** Versions in every history, delete markers included. */
  versions: number;
  /** Versions whose bytes retention pruned. */
  prunedVersions: number;
  /** Locks held and not expired at the time of the scan. */
  liveLocks: number;
  /** Distinct blobs stored. */
  blobs: number;
  /** Sum of the blobs' sizes. */
  bytesStored: number;
  /** Sum of the sizes of every version that is not a delete marker (pruned ones included). */
  bytesUploaded: number;
  /** bytesUploaded / bytesStored to three decimals; 1 when nothing is stored. */
  dedupRatio: number;
  /** Resumable uploads not yet committed (expired ones count until the sweep reclaims them). */
  openUploads: number;
  /** Bytes acknowledged to those uploads, held outside the blobs. */
  openUploadBytes: number;
}

export async function storageStats(
  store: { records: RecordStore<FileRecord>; history: RecordStore<HistoryPage>; blobs: BlobStore; uploads: UploadStore<UploadState> },
  now = Date.now(),
): Promise<StorageStats> {
  const stats: StorageStats = {
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
  };
  await forEachFile(store, (record, versions) => {
    if (liveLock(record, now)) stats.liveLocks++;
    const head = record.versions.at(-1);
    if (head?.deleted) stats.deletedFiles++;
    else if (head) stats.files++;
    for (const version of versions) {
      stats.versions++;
      if (version.pruned) stats.prunedVersions++;
      if (!version.deleted) stats.bytesUploaded += version.size;
    }
  });
  for await (const blob of store.blobs.list()) {
    stats.blobs++;
    stats.bytesStored += blob.size;
  }
  // Committed uploads' states live under `done/`, a folder the listing names apart.
  for (const id of (await store.uploads.states.list(''))?.files ?? []) {
    const state = (await store.uploads.states.get(id))?.value;
    if (!state || state.version !== undefined) continue;
    stats.openUploads++;
    stats.openUploadBytes += state.position.length;
  }
  if (stats.bytesStored > 0) stats.dedupRatio = Math.round((stats.bytesUploaded / stats.bytesStored) * 1000) / 1000;
  return stats;
}
