import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { StorageUnavailable, type BlobInfo, type BlobStore, type RemoveOptions, type StagedBlob } from '../contracts.js';

const SHA256 = /^[0-9a-f]{64}$/;
/** read() hands out the bytes in chunks of this size, as a file stream would. */
const CHUNK = 64 * 1024;

interface Blob {
  data: Buffer;
  /** {@link BlobInfo.modifiedAt}: ms since the epoch of the last commit (first publish or touch). */
  modifiedAt: number;
}

/**
 * Blobs in a Map, staged bytes in another: for tests and small data only. stage() holds every
 * byte of the upload in memory, so this store is never for production (nor for large files).
 *
 * Each method checks and changes the maps without awaiting in between, so within this one
 * process a commit's touch and a conditional remove are exclusive as the contract demands:
 * the remove either sees the touch and keeps the blob, or the commit finds the blob gone and
 * publishes its staged copy. Callers hash the bytes, as with the fs and S3 backends.
 */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Blob>();
  private readonly staging = new Map<string, Buffer>();
  private closed = false;

  async stage(source: Readable): Promise<StagedBlob> {
    this.writable('stage an upload');
    const chunks: Buffer[] = [];
    // A failing source rejects here, before anything is kept: nothing is left behind.
    // Copies: a source may reuse its buffers. A string chunk (an object-mode source) is UTF-8.
    for await (const chunk of source) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    this.writable('stage an upload');
    const id = randomUUID();
    this.staging.set(id, Buffer.concat(chunks));
    return { id };
  }

  async commit(staged: StagedBlob, sha256: string): Promise<boolean> {
    checkHash(sha256);
    this.writable('commit a blob');
    const now = Date.now();
    const existing = this.blobs.get(sha256);
    if (existing) {
      // Touch: the content is stored once; the staged copy is dropped.
      existing.modifiedAt = now;
      this.staging.delete(staged.id);
      return false;
    }
    const data = this.staging.get(staged.id);
    if (!data) throw new Error(`staged blob ${staged.id} is gone (committed or discarded)`);
    this.staging.delete(staged.id);
    this.blobs.set(sha256, { data, modifiedAt: now });
    return true;
  }

  async discard(staged: StagedBlob): Promise<void> {
    this.staging.delete(staged.id);
  }

  async size(sha256: string): Promise<number | undefined> {
    return this.blobs.get(checkHash(sha256))?.data.length;
  }

  async read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    const blob = this.blobs.get(checkHash(sha256));
    // A missing blob rejects here rather than as a stream error, as on the other backends.
    if (!blob) throw new Error(`no blob ${sha256}`);
    const bytes = range ? blob.data.subarray(range.start, range.end + 1) : blob.data;
    return Readable.from(
      (function* () {
        // Copies, so that a reader that changes its chunks cannot change the stored blob.
        for (let i = 0; i < bytes.length; i += CHUNK) yield Buffer.from(bytes.subarray(i, i + CHUNK));
      })(),
    );
  }

  async *list(): AsyncIterable<BlobInfo> {
    // The hashes as they are now, so each is listed once even if it is removed and committed
    // again meanwhile; one removed since is left out.
    for (const sha256 of [...this.blobs.keys()]) {
      const blob = this.blobs.get(sha256);
      if (blob) yield { sha256, size: blob.data.length, modifiedAt: blob.modifiedAt };
    }
  }

  async remove(sha256: string, options: RemoveOptions = {}): Promise<boolean> {
    const blob = this.blobs.get(checkHash(sha256));
    if (!blob) return false;
    if (options.olderThan !== undefined && blob.modifiedAt >= options.olderThan) return false;
    this.blobs.delete(sha256);
    return true;
  }

  /** Staged blobs are released; later writes fail as on a store that is gone. */
  close(): void {
    this.closed = true;
    this.staging.clear();
  }

  private writable(what: string): void {
    if (this.closed) throw new StorageUnavailable(`cannot ${what}: the in-memory store is closed`);
  }
}

function checkHash(sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return sha256;
}
