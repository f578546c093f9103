import { compareAndSet } from '../domain/compare-and-set.js';
import { liveLocks } from '../domain/locks.js';
import type { FileRecord, Lock } from '../domain/types.js';
import type { RecordStore } from '../storage/contracts.js';

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

/** Every live lock of every file (not a MOVE's claim), record by record. */
export async function* liveFileLocks(records: RecordStore<FileRecord>, now = Date.now()): AsyncGenerator<Lock> {
  for await (const key of records.scan()) {
    const record = (await records.get(key))?.value;
    for (const lock of liveLocks(record, now)) if (!lock.operation) yield lock;
  }
}
