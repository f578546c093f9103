import { forEachLimit } from '../domain/bounded.js';
import { compareAndSet } from '../domain/compare-and-set.js';
import { liveLocks } from '../domain/locks.js';
import type { FileRecord, Lock } from '../domain/types.js';
import type { RecordStore } from '../storage/contracts.js';
import { RECORD_CONCURRENCY } from './walk.js';

/**
 * An operator breaks every lock a file has, its check-out and WebDAV shared locks alike, by the
 * domain's compare-and-set (a write racing it wins or loses whole). A MOVE's claim stays: it
 * ends with its MOVE. Answers the locks broken (none: the file had none live).
 */
export async function breakLocks(records: RecordStore<FileRecord>, key: string, now = Date.now()): Promise<Lock[]> {
  const { result } = await compareAndSet<FileRecord, Lock[]>(records, key, (record) => {
    const broken = liveLocks(record, now).filter((lock) => !lock.operation);
    if (!record || broken.length === 0) return { result: [] };
    return { next: { ...record, lock: null, shared: (record.shared ?? []).filter((lock) => lock.operation) }, result: broken };
  });
  return result;
}

/** Every live lock of every file (not a MOVE's claim), records read {@link RECORD_CONCURRENCY} at a time. */
export async function forEachLiveLock(records: RecordStore<FileRecord>, fn: (lock: Lock) => void, now = Date.now()): Promise<void> {
  await forEachLimit(records.scan(), RECORD_CONCURRENCY, async (key) => {
    for (const lock of liveLocks((await records.get(key))?.value, now)) if (!lock.operation) fn(lock);
  });
}
