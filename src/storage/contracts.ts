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
   * Stream `source` into staging. Resolves only once every byte is held for {@link commit}:
   * durable (fsync or the store's acknowledgement), or, for a small body a store publishes in
   * one request at commit, in this process's memory (nothing is acknowledged before the commit
   * and the record write). Rejects, leaving nothing behind, if `source` errors.
   */
  stage(source: Readable): Promise<StagedBlob>;
  /**
   * Publish a staged blob under `sha256`, the caller's hash of exactly the staged bytes.
   * Idempotent: if the blob already exists the staged copy is dropped (content is stored once).
   * After it resolves the blob survives a crash.
   *
   * Either way the blob's {@link BlobInfo.modifiedAt} is now (a commit of existing content
   * "touches" it), and the blob exists when commit resolves even if a {@link remove} with
   * `olderThan` ran concurrently: the backend makes that removal and this touch exclusive, so
   * either the removal sees the touch and keeps the blob, or commit sees the blob gone and
   * publishes its staged copy. This is what lets garbage collection (src/maintenance/gc.ts)
   * reclaim an unreferenced blob while an upload of the same content reuses it. A store with
   * {@link openRemovals} touches only inside a removal window (or one about to open): outside
   * one, no removal can run before the record that reuses the blob is written.
   *
   * Resolves true when this commit stored the bytes, false when the content was already stored
   * (a deduplicated upload).
   */
  commit(staged: StagedBlob, sha256: string): Promise<boolean>;
  /** Drop a staged blob that will not be committed. Never throws for a missing one. */
  discard(staged: StagedBlob): Promise<void>;
  /** Byte length of a committed blob, or undefined when there is none. */
  size(sha256: string): Promise<number | undefined>;
  /** Read a committed blob, or the inclusive byte range [start, end] of it. */
  read(sha256: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * Optional: the first `size` bytes of a small committed blob at once (fewer if it is shorter),
   * for a backend that can do it cheaper than a stream. Rejects like {@link read} for a missing blob.
   */
  readSmall?(sha256: string, size: number): Promise<Buffer>;
  /**
   * Every committed blob, once each, in no particular order; staged blobs are not listed.
   * Streams (the store may hold millions): a blob committed or removed while the listing runs
   * may or may not appear. Rejects if the store cannot be listed.
   */
  list(): AsyncIterable<BlobInfo>;
  /**
   * Delete a committed blob. Idempotent: removing a missing blob is not an error. Resolves
   * true when this call removed a blob, false when there was none or it was kept.
   *
   * With `olderThan` (ms since the epoch) the removal is conditional: the backend re-checks
   * {@link BlobInfo.modifiedAt} as part of the removal and keeps the blob (false) unless it is
   * below `olderThan`. A concurrent {@link commit} of the same content either lands first and
   * keeps the blob, or finds it gone and publishes its own copy; it never resolves with the blob
   * missing. Without `olderThan` the blob goes unconditionally: only for a caller that knows
   * nothing commits it meanwhile.
   */
  remove(sha256: string, options?: RemoveOptions): Promise<boolean>;
  /**
   * Optional, for a store whose {@link commit} of existing content skips the touch while no
   * removal is near (S3: src/storage/s3/removal-window.ts). Opens a removal window and resolves
   * once every commit that skipped its touch before it has had its record written; closing it
   * ends the window. Garbage collection reads references only after it resolves, and a
   * conditional {@link remove} runs only while one is open (otherwise it throws).
   */
  openRemovals?(): Promise<() => Promise<void>>;
  /**
   * Optional, with {@link openRemovals}: told that the record write after a {@link commit} of
   * `staged` has ended: written or refused, or `uncertain` (it failed, and may still land). A
   * commit that skipped its touch counted on that write landing before any removal window could
   * be read; if it ended later than that, or uncertain, the store touches the blob now and
   * publishes it again if a removal took it meanwhile, retrying in the background while the
   * store is away. Never rejects.
   */
  settle?(staged: StagedBlob, uncertain?: boolean): Promise<void>;
}

/** One committed blob, as {@link BlobStore.list} reports it. */
export interface BlobInfo {
  /** Lower-case hex SHA-256. */
  sha256: string;
  /** Byte length. */
  size: number;
  /**
   * Milliseconds since the epoch of its last commit (first publish or touch), rounded up to
   * the store's resolution (S3 keeps whole seconds): never earlier than the real time, so a
   * comparison with a cutoff errs on keeping. Clock of the store (fs: this host; S3: the server).
   */
  modifiedAt: number;
}

export interface RemoveOptions {
  /** Remove only if the blob was last committed (published or touched) before this time (ms since the epoch). */
  olderThan?: number;
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
  /** The revision of each file's record, where the store lists them with the names (S3: the ETag). */
  revisions?: Map<string, Revision>;
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
  /**
   * The key of every record in the store (`docs/a.txt`), once each, in no particular order;
   * values are not read. Streams: a record created while the scan runs may or may not be
   * listed, one that exists for the whole scan always is (records are never deleted). Rejects
   * if the store cannot be listed, so a caller never mistakes a partial scan for a full one.
   */
  scan(): AsyncIterable<string>;
  /**
   * Optional (the upload states of {@link UploadStore} need it): delete a record that nothing
   * will write again (the domain guarantees it). Idempotent.
   */
  remove?(key: string): Promise<void>;
}

/**
 * How far the bytes of an upload reach: the length, and what the backend needs to append to
 * them or publish them (S3: the multipart upload's parts). The domain stores it in the
 * upload's state record, by the same compare-and-set that acknowledges the length, so after a
 * crash the bytes continue exactly from what was acknowledged.
 */
export interface UploadPosition {
  length: number;
  /** Backend data, JSON; absent on a backend that needs none (local disk). */
  at?: unknown;
}

/**
 * The bytes of resumable uploads (src/domain/uploads.ts). Unlike a process's staging, they
 * belong to no process: any process of the store appends to them, and they live until the
 * upload is committed, terminated or expired.
 */
export interface UploadBytes {
  /** Make the empty bytes of upload `id` (a fresh id). */
  create(id: string): Promise<UploadPosition>;
  /**
   * Append `source` at `from`, the position last acknowledged: bytes stored past it (a crash
   * during an append) are dropped. Resolves once what was appended is durable, with the new
   * position; a source that fails midway keeps what arrived before it failed, and resolves
   * with that position and the source's error. Once `abandon` is aborted (the caller lost its
   * right to write) nothing more is written, buffered bytes included, and it rejects.
   */
  append(id: string, from: UploadPosition, source: Readable, abandon?: AbortSignal): Promise<UploadPosition & { error?: unknown }>;
  /** The bytes up to `at` (to hash them again). */
  read(id: string, at: UploadPosition): Promise<Readable>;
  /** The bytes up to `at` as a staged blob of this backend's {@link BlobStore} (commit or discard); the upload keeps its own. */
  stage(id: string, at: UploadPosition): Promise<StagedBlob>;
  /** Drop the bytes of upload `id`. Never throws for a missing one. */
  remove(id: string): Promise<void>;
  /** Every upload with bytes stored, with when they last changed (ms since the epoch). */
  list(): AsyncIterable<{ id: string; modifiedAt: number }>;
}

/** Resumable uploads: one state record per upload (keyed by its id, removed once it ends) and its bytes. */
export interface UploadStore<T> {
  states: RecordStore<T> & Required<Pick<RecordStore<T>, 'remove'>>;
  bytes: UploadBytes;
}

/** The value type of each record store of a backend (the domain names its own: KluisRecords). */
export interface RecordKinds {
  records: unknown;
  history: unknown;
  collections: unknown;
  listings: unknown;
  uploads: unknown;
}

/** A backend: the blob store, three record stores, and lifecycle. */
export interface Storage<K extends RecordKinds = RecordKinds> {
  blobs: BlobStore;
  records: RecordStore<K['records']>;
  /** Records of another kind, kept apart from `records` (history pages, src/domain/history.ts). */
  history: RecordStore<K['history']>;
  /** Explicit collections of the WebDAV mount (src/domain/collections.ts), keyed like records. */
  collections: RecordStore<K['collections']>;
  /**
   * Optional: what a listing of each directory showed (src/domain/listing-summary.ts), for a
   * store whose {@link Listing} carries revisions and whose record reads are remote (S3).
   */
  listings?: RecordStore<K['listings']>;
  /** Resumable uploads (src/domain/uploads.ts). */
  uploads: UploadStore<K['uploads']>;
  /** Throws when the backend cannot be reached or written (readiness probe). */
  check(): Promise<void>;
  /** Release held resources (staging locks, timers). */
  close(): Promise<void>;
}
