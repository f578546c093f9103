import { History } from '../domain/history.js';
import type { FileRecord, HistoryPage, Version } from '../domain/types.js';
import type { RecordStore } from '../storage/contracts.js';
import { forEachLimit } from '../domain/bounded.js';

/** Records read at once: hides S3 latency, and leaves most of a server's S3 connection pool (50) to its requests. */
export const RECORD_CONCURRENCY = 24;

/**
 * Every stored record with its whole history (oldest first, history pages read in), at most
 * `limit` records at a time; a record missing when read (none are deleted) is skipped.
 */
export async function forEachFile(
  store: { records: RecordStore<FileRecord>; history: RecordStore<HistoryPage> },
  fn: (record: FileRecord, versions: Version[]) => void,
  limit = RECORD_CONCURRENCY,
): Promise<void> {
  const pages = new History(store.history);
  await forEachLimit(store.records.scan(), limit, async (key) => {
    const stored = await store.records.get(key);
    if (stored) fn(stored.value, await pages.all(stored.value));
  });
}

/** The blob a version needs: none for a delete marker or a pruned version. */
export function blobOf(version: Version): string | null {
  return version.deleted || version.pruned || !version.sha256 ? null : version.sha256;
}
