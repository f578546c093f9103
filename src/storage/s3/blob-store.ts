import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  UploadPartCopyCommand,
  AbortMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobStore, StagedBlob } from '../contracts.js';
import { isNotFound, unavailable } from './client.js';
import { Janitor } from './janitor.js';
import type { S3Options } from './options.js';

/** CopyObject's limit; larger blobs are copied part by part (UploadPartCopy). */
const MAX_SINGLE_COPY = 5 * 2 ** 30;
const COPY_PART = 2 ** 30;

/**
 * Blobs under `blobs/<sha256>`. The hash is known only at the end of the stream, so a body is
 * streamed (lib-storage multipart: bounded part queue, never buffered whole) to a staging key
 * and published by a server-side copy once its hash is known. Staging on the store rather than
 * on local disk keeps the instances stateless; the copy costs the store, not this process.
 */
export class S3BlobStore implements BlobStore {
  /** Staging cleanups that failed while the store was away, retried until it is back. */
  readonly janitor = new Janitor();

  constructor(
    private readonly client: S3Client,
    private readonly options: S3Options,
  ) {}

  async stage(source: Readable): Promise<StagedBlob> {
    const key = `${this.options.prefix}staging/${randomUUID()}`;
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
      const cause = bodyError ?? (await done.then(() => err, (e: unknown) => e));
      await upload.abort().catch(() => {});
      await this.discard({ id: key }, true);
      throw bodyError ?? unavailable(cause, 'upload');
    }
    return { id: key };
  }

  async commit(staged: StagedBlob, sha256: string): Promise<void> {
    const target = this.blobKey(sha256);
    if ((await this.size(sha256)) === undefined) {
      const size = await this.headSize(staged.id);
      try {
        if (size === undefined) throw new Error(`staged object ${staged.id} is gone`);
        if (size <= MAX_SINGLE_COPY) {
          await this.client.send(new CopyObjectCommand({ Bucket: this.options.bucket, Key: target, CopySource: this.copySource(staged.id) }));
        } else {
          await this.copyInParts(staged.id, target, size);
        }
      } catch (err) {
        throw unavailable(err, `copy to ${target}`);
      }
    }
    await this.discard(staged);
  }

  /**
   * Delete the staging object (and, after a failed upload, abort any multipart upload still
   * open under its key). If the store is away, the janitor retries until it is back.
   */
  async discard(staged: StagedBlob, abortUploads = false): Promise<void> {
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

  size(sha256: string): Promise<number | undefined> {
    return this.headSize(this.blobKey(sha256));
  }

  async read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.blobKey(sha256), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return out.Body as Readable;
    } catch (err) {
      throw unavailable(err, `GetObject ${sha256}`);
    }
  }

  private async headSize(key: string): Promise<number | undefined> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }))).ContentLength;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(err, `HeadObject ${key}`);
    }
  }

  private async copyInParts(source: string, target: string, size: number): Promise<void> {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.options.bucket, Key: target }));
    try {
      const parts = [];
      for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
        const end = Math.min(start + COPY_PART, size) - 1;
        const out = await this.client.send(
          new UploadPartCopyCommand({ Bucket: this.options.bucket, Key: target, UploadId, PartNumber: n, CopySource: this.copySource(source), CopySourceRange: `bytes=${start}-${end}` }),
        );
        parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.options.bucket, Key: target, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: target, UploadId })).catch(() => {});
      throw err;
    }
  }

  private copySource(key: string): string {
    return `${this.options.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  private blobKey(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return `${this.options.prefix}blobs/${sha256}`;
  }
}
