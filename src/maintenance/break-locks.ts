import { liveLocks } from '../domain/locks.js';
import type { FileRecord, Lock } from '../domain/types.js';
import { RevisionMismatch, type RecordStore } from '../storage/contracts.js';

/** Tries of the compare-and-set before giving up on a record every other write races. */
const TRIES = 20;

/**
 * An operator breaks every lock a file has, its check-out and WebDAV shared locks alike, by the
 * same compare-and-set a server writes with (a write racing it wins or loses whole). A MOVE's
 * claim stays: it ends with its MOVE. Answers the locks broken (none: the file had none live).
 */
export async function breakLocks(records: RecordStore<FileRecord>, key: string, now = Date.now()): Promise<Lock[]> {
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const stored = await records.get(key);
    const record = stored?.value;
    const broken = liveLocks(record, now).filter((lock) => !lock.operation);
    if (!stored || !record || broken.length === 0) return [];
    const claims = (record.shared ?? []).filter((lock) => lock.operation);
    const next: FileRecord = { ...record, lock: null, ...(claims.length > 0 ? { shared: claims } : { shared: [] }) };
    try {
      await records.put(key, next, stored.revision);
      return broken;
    } catch (err) {
      if (!(err instanceof RevisionMismatch)) throw err;
    }
  }
  throw new Error(`${key} changed ${TRIES} times while its locks were being broken; try again`);
}

/** Every live lock of every file (not a MOVE's claim), record by record. */
export async function* liveFileLocks(records: RecordStore<FileRecord>, now = Date.now()): AsyncGenerator<Lock> {
  for await (const key of records.scan()) {
    const record = (await records.get(key))?.value;
    for (const lock of liveLocks(record, now)) if (!lock.operation) yield lock;
  }
}
