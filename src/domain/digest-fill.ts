import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { BlobStore } from '../storage/contracts.js';
import type { FileService } from './files.js';
import { currentVersion } from './rules.js';
import type { FileRecord } from './types.js';

/** What one request may spend filling in while it waits: bytes read, and files (each one record write). */
export interface FillBudget {
  bytes: number;
  files: number;
}

/** SHA-1 and MD5 of a blob, hex. */
export interface Digests {
  sha1: string;
  md5: string;
}

/** Blobs up to this size are read while the asker waits; bigger ones in the background. */
const INLINE_BYTES = 16 * 2 ** 20;
/** Background fills waiting at most; more are dropped (asked for again, they are queued again). */
const MAX_QUEUED = 1000;

/**
 * The SHA-1 and MD5 of versions stored without them (before kluis kept them, by tus, or by a
 * client that is no sync client): sync clients compare them (WebDAV `oc:checksums`), so they are
 * filled in when first asked for, by reading the blob once, and kept on the version by
 * compare-and-set. A small blob is read while the asker waits; a big one is queued, one at a
 * time per process, and the asker finds it next time. A blob's digests are remembered by its
 * SHA-256, so a blob many versions share is read once.
 */
export class DigestFill {
  private readonly known = new LRUCache<string, Digests>({ max: 10_000 });
  private readonly queued = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly files: FileService,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * `record` with its current version's SHA-1 and MD5 when they are known or cheap to learn
   * now (`budget`: what this request may still spend, bytes read and files filled, decreased by
   * what is spent); otherwise as it is, with the fill queued.
   */
  async filled(key: string, record: FileRecord, budget: FillBudget): Promise<FileRecord> {
    const current = currentVersion(record);
    if (!current?.sha256 || (current.sha1 && current.md5)) return record;
    const known = this.known.get(current.sha256);
    const affordable = budget.files > 0 && (known !== undefined || current.size <= Math.min(INLINE_BYTES, budget.bytes));
    if (!affordable) {
      this.enqueue(key, current.sha256);
      return record;
    }
    budget.files -= 1;
    if (!known) budget.bytes -= current.size;
    const digests = known ?? (await this.compute(current.sha256).catch(() => undefined));
    if (!digests) return record; // its blob could not be read: the next ask tries again
    await this.store(key, current.sha256, digests).catch(() => undefined);
    return withDigests(record, digests);
  }

  private enqueue(key: string, sha256: string): void {
    if (this.queued.has(key) || this.queued.size >= MAX_QUEUED) return;
    this.queued.add(key);
    this.queue = this.queue.then(async () => {
      try {
        const digests = this.known.get(sha256) ?? (await this.compute(sha256));
        await this.store(key, sha256, digests);
      } catch {
        // Gone, or the store is away: asked for again, it is queued again.
      } finally {
        this.queued.delete(key);
      }
    });
  }

  private async compute(sha256: string): Promise<Digests> {
    const sha1 = createHash('sha1');
    const md5 = createHash('md5');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        sha1.update(chunk);
        md5.update(chunk);
        done();
      },
    });
    await pipeline(await this.blobs.read(sha256), sink);
    const digests = { sha1: sha1.digest('hex'), md5: md5.digest('hex') };
    this.known.set(sha256, digests);
    return digests;
  }

  /** Keep them on the version that still has these bytes and lacks them: metadata, no new version. */
  private async store(key: string, sha256: string, digests: Digests): Promise<void> {
    await this.files.update(key, (record) => {
      const current = currentVersion(record);
      if (!record || !current || current.sha256 !== sha256 || (current.sha1 && current.md5)) return { result: undefined };
      return { next: withDigests(record, digests), result: undefined };
    });
  }
}

/** `record` with `digests` on its current version (which has content). */
function withDigests(record: FileRecord, digests: Digests): FileRecord {
  const current = currentVersion(record);
  return { ...record, versions: record.versions.map((v) => (v === current ? { ...v, ...digests } : v)) };
}
