import type { Readable } from 'node:stream';

/**
 * The storage contracts. A backend stores bytes and small records; it never sees a request,
 * a user or a rule. The domain (src/domain) decides, and changes state only through
 * {@link RecordStore.put}'s compare-and-set. Every backend runs the suites in test/contracts/.
 */

/** Bytes written to a private staging area, not yet visible under any hash. */
export interface StagedBlob {
  /** Backend-specific handle, opaque to callers. */
  readonly id: string;
}

/** Content-addressed, immutable blobs keyed by lower-case hex SHA-256. */
export interface BlobStore {
  /**
   * Stream `source` into staging. Resolves only once every byte is durable (fsync or the
   * store's acknowledgement). Rejects, leaving nothing behind, if `source` errors.
   */
  stage(source: Readable): Promise<StagedBlob>;
  /**
   * Publish a staged blob under `sha256`, the caller's hash of exactly the staged bytes.
   * Idempotent: if the blob already exists the staged copy is dropped (content is stored once).
   * After it resolves the blob survives a crash.
   */
  commit(staged: StagedBlob, sha256: string): Promise<void>;
  /** Drop a staged blob that will not be committed. Never throws for a missing one. */
  discard(staged: StagedBlob): Promise<void>;
  /** Byte length of a committed blob, or undefined when there is none. */
  size(sha256: string): Promise<number | undefined>;
  /** Read a committed blob, or the inclusive byte range [start, end] of it. */
  read(sha256: string, range?: { start: number; end: number }): Promise<Readable>;
}

/** Opaque revision of a record, compared by {@link RecordStore.put}. */
export type Revision = string;

export interface StoredRecord<T> {
  value: T;
  revision: Revision;
}

/** Raised by {@link RecordStore.put} when the record is not at the expected revision. */
export class RevisionMismatch extends Error {
  constructor(key: string) {
    super(`record ${key} changed concurrently`);
    this.name = 'RevisionMismatch';
  }
}

/**
 * The backend cannot be reached or written (missing staging area, unreachable endpoint).
 * Answered 503 `storage-unavailable` with Retry-After; nothing was acknowledged.
 */
export class StorageUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailable';
  }
}

/** Listing of one directory level: names only, no record is read. */
export interface Listing {
  files: string[];
  directories: string[];
}

/**
 * Small JSON records keyed by validated file paths (`a/b/c.txt`). Records are never deleted:
 * a delete is a marker version in the record, so compare-and-set never races a missing key.
 */
export interface RecordStore<T> {
  get(key: string): Promise<StoredRecord<T> | undefined>;
  /**
   * Compare-and-set: write `value` if the record is at `expected`, or absent when `expected`
   * is null. Throws {@link RevisionMismatch} otherwise and changes nothing. Linearizable
   * across every process sharing the store; durable once it resolves.
   *
   * `prepare` (e.g. publishing the blob the new record references) runs before the write
   * and, where the backend can check the revision first (the fs lock), only once the
   * revision matched, so a writer that loses the race publishes nothing. Backends whose
   * check is the write itself (S3 conditional writes) run it just before that write. If it
   * throws, nothing is written.
   */
  put(key: string, value: T, expected: Revision | null, prepare?: () => Promise<void>): Promise<Revision>;
  /** Names directly below directory `dir` ('' for the root); undefined if there is no such directory. */
  list(dir: string): Promise<Listing | undefined>;
}

/** A backend: both stores plus lifecycle. */
export interface Storage<T> {
  blobs: BlobStore;
  records: RecordStore<T>;
  /** Throws when the backend cannot be reached or written (readiness probe). */
  check(): Promise<void>;
  /** Release held resources (staging locks, timers). */
  close(): Promise<void>;
}
