import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { BlobStore } from './contracts.js';

/** Blobs up to this size are kept in memory once read. */
export const SMALL_BLOB_BYTES = 64 * 1024;
/** Memory the cache may hold in all (per process). */
const CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Reads through an in-memory LRU of small blobs. A blob never changes once stored (its name is
 * the hash of its bytes), so a cached copy needs no invalidation; a blob that garbage collection
 * removed is one no version references any more, so nothing asks for it. Larger blobs, and
 * ranges of uncached ones, stream from the store as before. Memory stays bounded by CACHE_BYTES.
 */
export class SmallBlobCache {
  private readonly cache = new LRUCache<string, Buffer>({ maxSize: CACHE_BYTES, sizeCalculation: (data) => Math.max(1, data.length) });

  constructor(private readonly blobs: BlobStore) {}

  /** The blob `sha256` of `size` bytes, or its inclusive range [start, end]: a Buffer when small, else a stream. */
  async read(sha256: string, size: number, range?: { start: number; end: number }): Promise<Buffer | Readable> {
    // The whole blob as an explicit range: the store reads no further than its end (no read
    // buffer larger than the blob, no extra read to find the end of the file).
    if (size > SMALL_BLOB_BYTES) return this.blobs.read(sha256, range ?? { start: 0, end: size - 1 });
    const data = this.cache.get(sha256) ?? (await this.load(sha256, size));
    return range ? data.subarray(range.start, range.end + 1) : data;
  }

  private async load(sha256: string, size: number): Promise<Buffer> {
    if (size === 0) return Buffer.alloc(0);
    const data = this.blobs.readSmall ? await this.blobs.readSmall(sha256, size) : await this.stream(sha256, size);
    // A blob shorter than its recorded size is served as it is, but never cached.
    if (data.length !== size) return data;
    this.cache.set(sha256, data);
    return data;
  }

  private async stream(sha256: string, size: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let length = 0;
    // As an explicit range: a stream with no end reads into buffers of its full highWaterMark
    // (4 MiB on local disk), two of them per blob; at hundreds of first reads per second that
    // garbage made the collector pause for tens of milliseconds (first reads ran at a tenth of re-reads).
    for await (const chunk of await this.blobs.read(sha256, { start: 0, end: size - 1 })) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length > size) break;
    }
    return Buffer.concat(chunks);
  }
}
