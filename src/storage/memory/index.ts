import { StorageUnavailable, type RecordKinds, type Storage } from '../contracts.js';
import { MemoryBlobStore } from './blob-store.js';
import { MemoryRecordStore } from './record-store.js';
import { MemoryUploadBytes } from './upload-bytes.js';

/**
 * A fresh, empty in-memory store: blobs and records in Maps of this process, gone when it
 * ends. For tests only (the domain unit tests run on it): it holds every staged and committed
 * byte in memory, is shared by nothing outside the process, and survives no crash, so it is
 * never a production backend. It runs the same contract suites as fs and S3
 * (test/contracts/memory.test.ts), which is what keeps it honest. No fs, no network, no SDK.
 */
export function openMemoryStorage<K extends RecordKinds = RecordKinds>(): Storage<K> {
  const blobs = new MemoryBlobStore();
  const records = new MemoryRecordStore<K['records']>();
  const history = new MemoryRecordStore<K['history']>();
  const collections = new MemoryRecordStore<K['collections']>();
  const states = new MemoryRecordStore<K['uploads']>();
  let closed = false;
  return {
    blobs,
    records,
    history,
    collections,
    uploads: { states, bytes: new MemoryUploadBytes(blobs) },
    async check() {
      if (closed) throw new StorageUnavailable('the in-memory store is closed');
    },
    async close() {
      closed = true;
      blobs.close();
      for (const store of [records, history, collections, states]) store.close();
    },
  };
}
