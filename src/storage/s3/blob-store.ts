import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  AbortMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobInfo, BlobStore, RemoveOptions, StagedBlob } from '../contracts.js';
import { isNotFound, listPages, statusOf, unavailable } from './client.js';
import { copyInParts, copySource } from './copy.js';
import { HeldBodies } from './held-bodies.js';
import { Janitor } from './janitor.js';
import { RemovalWindows } from './removal-window.js';
import type { S3Options } from './options.js';

/** CopyObject's limit; larger blobs are copied part by part (UploadPartCopy). */
const MAX_SINGLE_COPY = 5 * 2 ** 30;
const SHA256 = /^[0-9a-f]{64}$/;
/** Metadata naming what a marker under `touch/` is: `touch` or `claim`. */
const MARKER = 'kluis-marker';
/** A commit waits this long for a removal's claim to go before it takes the claim as abandoned. */
const CLAIM_WAIT_MS = 30_000;
/** A removal that could not delete this soon after its claim gives up (commits wait CLAIM_WAIT_MS). */
const CLAIM_DEADLINE_MS = 10_000;
/** A claim older than this (by its LastModified) was left by a dead process; a removal may take it over. */
const CLAIM_STALE_MS = 10 * 60_000;

/** A HEAD's answer; modifiedAt is LastModified rounded up ({@link upperMs}). */
type Head = { etag: string; size: number; modifiedAt: number; claim: boolean };

/**
 * Blobs under `blobs/<sha256>`. A body of at most one part (`partSize`, 5 MiB by default) is
 * held in memory while it is hashed and published with one PUT `If-None-Match: *` at commit:
 * no staging object, no copy, no delete (docs/storage-design.md, "Requests per operation"). A longer
 * body's hash is known only at the end of the stream, so it is streamed (lib-storage multipart:
 * bounded part queue, never buffered whole) to a staging key and published by a server-side
 * copy once its hash is known. Staging on the store rather than on local disk keeps the
 * instances stateless; the copy costs the store, not this process. The bodies held at once
 * take at most 64 MiB (src/storage/s3/held-bodies.ts; past it, bodies take the staging path),
 * so a batch of many parts never holds more.
 *
 * A blob's modifiedAt is the later of its LastModified and that of its marker `touch/<sha256>`,
 * a tiny object rewritten (never the blob copied) when a commit reuses the blob. S3 has no
 * conditional delete (Ceph ignores If-Match on DELETE), so a conditional remove and a touch are
 * made exclusive through the marker and conditional PUTs: the removal first replaces the marker
 * it read by a "claim" (If-Match its ETag, or If-None-Match), re-checks the blob, deletes it and
 * then deletes the claim. A touch is also a conditional PUT of the marker it read, and waits while
 * the marker is a claim; afterwards it checks that the blob exists and publishes it again if not.
 * Every marker body is unique, so every rewrite changes the ETag: whichever PUT lands second fails.
 */
export class S3BlobStore implements BlobStore {
  /** Staging cleanups that failed while the store was away, retried until it is back. */
  readonly janitor = new Janitor();
  /** Bodies of at most one part, held in memory from stage to commit (src/storage/s3/held-bodies.ts). */
  private readonly bodies: HeldBodies;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3Options,
    /** This process's own staging area (src/storage/s3/sessions.ts), reclaimed if it dies. */
    private readonly stagingPrefix = `${options.prefix}staging/`,
    /** Garbage collection's removal windows; one never started keeps every commit on the touch. */
    private readonly windows = new RemovalWindows(client, options, (options.removalWaitSeconds ?? 60) * 1000, 5000),
    /** Staged objects under it are resumable uploads' (src/storage/s3/upload-bytes.ts): copied, never deleted here. */
    private readonly uploadsPrefix = `${options.prefix}upload-bytes/`,
  ) {
    const touching = { key: (sha256: string) => this.blobKey(sha256), touch: (sha256: string) => this.touch(sha256), size: (sha256: string) => this.size(sha256) };
    this.bodies = new HeldBodies(client, options, touching, windows, this.janitor);
  }

  settle(staged: StagedBlob, uncertain = false): Promise<void> {
    return this.bodies.settle(staged, uncertain);
  }

  openRemovals(): Promise<() => Promise<void>> {
    return this.windows.begin();
  }

  async stage(body: Readable): Promise<StagedBlob> {
    const head = await this.bodies.hold(body);
    if ('id' in head) return head;
    const source = head.stream;
    const key = `${this.stagingPrefix}${randomUUID()}`;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: key, Body: source },
      partSize: this.options.partSize,
      queueSize: this.options.queueSize,
      leavePartsOnError: false, // abort the multipart upload on failure
    });
    let sourceError: unknown;
    const failed = new Promise<never>((_, reject) =>
      source.once('error', (err) => {
        sourceError = err;
        reject(err);
      }),
    );
    const done = upload.done();
    done.catch(() => {}); // awaited below, in the race or after it
    try {
      await Promise.race([done, failed]);
    } catch (err) {
      // The body's own failure (too large, client gone) is the answer; anything else is the
      // store's. lib-storage stops reading the body when a part fails, which destroys it with
      // an AbortError (now or while cleaning up below): that is never the body's failure.
      const bodyError = (sourceError as { code?: string } | undefined)?.code === 'ABORT_ERR' ? undefined : sourceError;
      const cause =
        bodyError ??
        (await done.then(
          () => err,
          (e: unknown) => e,
        ));
      await upload.abort().catch(() => {});
      await this.discard({ id: key }, true);
      throw bodyError ?? unavailable(cause, 'upload');
    }
    return { id: key };
  }

  async commit(staged: StagedBlob, sha256: string): Promise<boolean> {
    if (this.bodies.holds(staged)) return this.bodies.commit(staged, sha256);
    const target = this.blobKey(sha256);
    let exists = (await this.size(sha256)) !== undefined;
    if (exists) {
      await this.touch(sha256);
      // No removal can start after the touch; one that finished before it took the blob away.
      exists = (await this.size(sha256)) !== undefined;
    }
    if (!exists) {
      const size = (await this.head(staged.id))?.size;
      try {
        if (size === undefined) throw new Error(`staged object ${staged.id} is gone`);
        if (size <= MAX_SINGLE_COPY) {
          await this.client.send(new CopyObjectCommand({ Bucket: this.options.bucket, Key: target, CopySource: copySource(this.options.bucket, staged.id) }));
        } else {
          await copyInParts(this.client, this.options.bucket, staged.id, target, size);
        }
      } catch (err) {
        throw unavailable(err, `copy to ${target}`);
      }
    }
    await this.discard(staged);
    return !exists;
  }

  async *list(): AsyncIterable<BlobInfo> {
    // Both listings come in key order: merge them, so memory stays one page each.
    const markers = this.objects(`${this.options.prefix}touch/`)[Symbol.asyncIterator]();
    let marker = await markers.next();
    for await (const blob of this.objects(`${this.options.prefix}blobs/`)) {
      if (!SHA256.test(blob.name)) continue;
      while (!marker.done && marker.value.name < blob.name) marker = await markers.next();
      const touched = !marker.done && marker.value.name === blob.name ? marker.value.modifiedAt : 0;
      yield { sha256: blob.name, size: blob.size, modifiedAt: Math.max(blob.modifiedAt, touched) };
    }
  }

  async remove(sha256: string, options: RemoveOptions = {}): Promise<boolean> {
    const blobKey = this.blobKey(sha256);
    const markerKey = this.blobKey(sha256, 'touch');
    const { olderThan } = options;
    if (olderThan !== undefined && !this.windows.inWindow) throw new Error('a conditional removal runs inside a removal window (openRemovals)');
    if (olderThan === undefined) {
      const existed = (await this.head(blobKey)) !== undefined;
      await this.delete(blobKey);
      await this.delete(markerKey);
      return existed;
    }
    const marker = await this.head(markerKey);
    if (marker && (marker.claim ? marker.modifiedAt >= Date.now() - CLAIM_STALE_MS : marker.modifiedAt >= olderThan)) return false;
    // Claim the removal; fails if a commit touched the blob (or another removal claimed it) since the HEAD.
    if (!(await this.putMarker(markerKey, 'claim', marker?.etag ?? null))) return false;
    const claimed = Date.now();
    try {
      const blob = await this.head(blobKey);
      if (!blob || blob.modifiedAt >= olderThan || Date.now() - claimed > CLAIM_DEADLINE_MS) return false;
      await this.delete(blobKey);
      return true;
    } finally {
      // Release the claim: waiting commits go on, and publish the blob again if it is gone.
      await this.janitor.run(markerKey, () => this.delete(markerKey));
    }
  }

  /**
   * Delete the staging object (and, after a failed upload, abort any multipart upload still
   * open under its key). If the store is away, the janitor retries until it is back.
   */
  async discard(staged: StagedBlob, abortUploads = false): Promise<void> {
    if (this.bodies.holds(staged)) {
      this.bodies.discard(staged);
      return;
    }
    if (staged.id.startsWith(this.uploadsPrefix)) return;
    const Bucket = this.options.bucket;
    const Key = staged.id;
    await this.janitor.run(Key, async () => {
      if (abortUploads) {
        const open = await this.client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: Key }));
        for (const u of open.Uploads ?? []) {
          if (u.Key !== Key) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: u.UploadId })).catch((err: unknown) => {
            if (!isNotFound(err)) throw err; // NoSuchUpload: lib-storage aborted it meanwhile
          });
        }
      }
      await this.client.send(new DeleteObjectCommand({ Bucket, Key }));
    });
  }

  async size(sha256: string): Promise<number | undefined> {
    return (await this.head(this.blobKey(sha256)))?.size;
  }

  async read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.blobKey(sha256), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
      return out.Body as Readable;
    } catch (err) {
      throw unavailable(err, `GetObject ${sha256}`);
    }
  }

  /**
   * Rewrite the marker (conditionally, so no claim lands unseen in between). While it is a claim,
   * wait for that removal to end, or take the claim as abandoned after CLAIM_WAIT_MS.
   */
  private async touch(sha256: string): Promise<void> {
    const key = this.blobKey(sha256, 'touch');
    let [waitingOn, since] = ['', 0];
    for (;;) {
      const marker = await this.head(key);
      if (marker?.claim) {
        if (marker.etag !== waitingOn) [waitingOn, since] = [marker.etag, Date.now()];
        if (Date.now() - since < CLAIM_WAIT_MS) {
          await sleep(25);
          continue;
        }
      }
      if (await this.putMarker(key, 'touch', marker?.etag ?? null)) return;
      // Lost to another writer of the marker: a concurrent touch serves this commit as well.
      const now = await this.head(key);
      if (now && !now.claim && now.etag !== marker?.etag) return;
    }
  }

  /** Conditional PUT of a marker over `expected` (null: none may exist); false when the marker changed meanwhile. */
  private async putMarker(key: string, kind: 'touch' | 'claim', expected: string | null): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: randomUUID(), // a unique body makes a unique ETag
          Metadata: { [MARKER]: kind },
          ...(expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected }),
        }),
      );
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 409 || (expected !== null && status === 404)) return false;
      throw unavailable(err, `PutObject ${key}`);
    }
  }

  private async head(key: string): Promise<Head | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      const etag = (out.ETag ?? '').replace(/^"|"$/g, '');
      return { etag, size: out.ContentLength ?? 0, modifiedAt: upperMs(out.LastModified), claim: out.Metadata?.[MARKER] === 'claim' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(err, `HeadObject ${key}`);
    }
  }

  private async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key })).catch((err: unknown) => Promise.reject(unavailable(err, `DeleteObject ${key}`)));
  }

  /** Objects under `prefix`, in key order, by name below it. */
  private async *objects(prefix: string): AsyncIterable<{ name: string; size: number; modifiedAt: number }> {
    for await (const out of listPages(this.client, this.options.bucket, prefix)) {
      for (const item of out.Contents ?? []) {
        if (item.Key) yield { name: item.Key.slice(prefix.length), size: item.Size ?? 0, modifiedAt: upperMs(item.LastModified) };
      }
    }
  }

  private blobKey(sha256: string, dir: 'blobs' | 'touch' = 'blobs'): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return `${this.options.prefix}${dir}/${sha256}`;
  }
}

/** LastModified in ms, a whole-second value (HEAD, AWS listings) rounded up to the end of its second. */
function upperMs(date: Date | undefined): number {
  const ms = date?.getTime() ?? 0;
  return ms % 1000 === 0 ? ms + 999 : ms;
}
