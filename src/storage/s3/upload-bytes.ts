import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { StagedBlob, UploadBytes, UploadPosition } from '../contracts.js';
import { isNotFound, listPages, unavailable } from './client.js';
import { copySource } from './copy.js';
import type { S3Options } from './options.js';

/**
 * Where the bytes of an upload stand on S3: the ETags of its parts (each at least `partSize`,
 * S3's minimum for all but the last) in a multipart upload, and a tail shorter than a part in
 * its own object. Stored in the upload's
 * state record, so the parts and tail named here are exactly the acknowledged ones.
 */
interface S3Position {
  uploadId?: string | undefined;
  parts: string[];
  /** Bytes in `tail-<length>`. */
  tail: number;
  /** The length whose tail the next append may delete (acknowledged past by then). */
  stale?: number | undefined;
}

/**
 * The bytes of resumable uploads under `upload-bytes/<key>/`, shared by every instance (so an
 * upload made on one resumes on another; never on one instance's disk): parts go into a
 * multipart upload as they fill, and what is left over at the end of an append (less than a
 * part) into a tail object, read back by the next append. Memory: at most four parts per
 * append (two held, and their copy while a part is cut), three appends at once per process.
 * At completion the tail becomes the last part and the multipart upload completes into
 * `data`, which the blob store copies to its blob key; objects under this area are never
 * deleted by the blob store, only by {@link remove}. The staging janitor never touches them.
 */
export class S3UploadBytes implements UploadBytes {
  private readonly root: string;
  /** Appends running at once in this process; more wait their turn (each holds up to four parts while it cuts one). */
  private readonly turns = new Turns(APPENDS_AT_ONCE);

  constructor(
    private readonly client: S3Client,
    private readonly options: S3Options,
  ) {
    this.root = `${options.prefix}upload-bytes/`;
  }

  /** Staged blobs under this prefix belong to uploads: the blob store copies them, never deletes them. */
  get prefix(): string {
    return this.root;
  }

  async create(_id: string): Promise<UploadPosition> {
    const at: S3Position = { parts: [], tail: 0 };
    return { length: 0, at };
  }

  async append(id: string, from: UploadPosition, source: Readable, abandon?: AbortSignal): Promise<UploadPosition & { error?: unknown }> {
    await this.turns.take();
    try {
      return await this.appendNow(id, from, source, abandon);
    } finally {
      this.turns.give();
    }
  }

  private async appendNow(id: string, from: UploadPosition, source: Readable, abandon?: AbortSignal): Promise<UploadPosition & { error?: unknown }> {
    const check = () => {
      if (abandon?.aborted) throw new Error('the append was abandoned'); // nothing more is written: no part, no tail
    };
    const size = this.options.partSize;
    check();
    const at = { ...(from.at as S3Position) };
    const parts = [...at.parts];
    if (at.stale !== undefined) await this.delete(this.key(id, `tail-${at.stale}`)).catch(() => {});
    let buffer = at.tail > 0 ? await this.get(this.key(id, `tail-${from.length}`)) : Buffer.alloc(0);
    let pending: Buffer[] = [buffer];
    let held = buffer.length;
    let appended = 0;
    let error: unknown;
    try {
      for await (const chunk of source) {
        pending.push(chunk as Buffer);
        held += (chunk as Buffer).length;
        appended += (chunk as Buffer).length;
        // At most two parts' worth is held: what is left at the end is then a part of its
        // own (5 MiB or more: an 8 MiB PATCH is one part, no tail) or a tail under a part.
        if (held >= 2 * size) {
          check();
          buffer = Buffer.concat(pending);
          at.uploadId ??= await this.startMultipart(id);
          parts.push(await this.uploadPart(id, at.uploadId, parts.length + 1, buffer.subarray(0, size)));
          pending = [buffer.subarray(size)];
          held = buffer.length - size;
        }
      }
    } catch (err) {
      if (isStoreError(err)) throw err;
      error = err;
    }
    check();
    let rest = Buffer.concat(pending);
    if (rest.length >= size) {
      at.uploadId ??= await this.startMultipart(id);
      parts.push(await this.uploadPart(id, at.uploadId, parts.length + 1, rest));
      rest = Buffer.alloc(0);
    }
    const length = from.length + appended;
    if (length === from.length) return { ...from, ...(error !== undefined ? { error } : {}) };
    if (rest.length > 0) await this.put(this.key(id, `tail-${length}`), rest);
    const next: S3Position = { uploadId: at.uploadId, parts, tail: rest.length, ...(at.tail > 0 ? { stale: from.length } : {}) };
    return { length, at: next, ...(error !== undefined ? { error } : {}) };
  }

  async read(id: string, at: UploadPosition): Promise<Readable> {
    await this.complete(id, at);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(id, 'data') }));
      return out.Body as Readable;
    } catch (err) {
      throw unavailable(err, `GetObject upload ${id}`);
    }
  }

  async stage(id: string, at: UploadPosition): Promise<StagedBlob> {
    await this.complete(id, at);
    return { id: this.key(id, 'data') };
  }

  async remove(id: string): Promise<void> {
    const Bucket = this.options.bucket;
    const Prefix = `${this.root}${id}/`;
    const open = await this.client.send(new ListMultipartUploadsCommand({ Bucket, Prefix }));
    for (const u of open.Uploads ?? []) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId })).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
    for await (const page of listPages(this.client, Bucket, Prefix)) {
      for (const item of page.Contents ?? []) if (item.Key) await this.delete(item.Key);
    }
  }

  async *list(): AsyncIterable<{ id: string; modifiedAt: number }> {
    const seen = new Map<string, number>();
    const note = (key: string | undefined, when: Date | undefined) => {
      const id = key?.slice(this.root.length).split('/')[0];
      if (id) seen.set(id, Math.max(seen.get(id) ?? 0, when?.getTime() ?? 0));
    };
    for await (const page of listPages(this.client, this.options.bucket, this.root)) for (const item of page.Contents ?? []) note(item.Key, item.LastModified);
    for (let marker: { KeyMarker?: string; UploadIdMarker?: string } = {}; ; ) {
      const open = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.options.bucket, Prefix: this.root, ...marker }));
      for (const u of open.Uploads ?? []) note(u.Key, u.Initiated);
      if (!open.IsTruncated || !(open.NextKeyMarker || open.NextUploadIdMarker)) break;
      marker = { ...(open.NextKeyMarker ? { KeyMarker: open.NextKeyMarker } : {}), ...(open.NextUploadIdMarker ? { UploadIdMarker: open.NextUploadIdMarker } : {}) };
    }
    for (const [id, modifiedAt] of seen) yield { id, modifiedAt };
  }

  /** Make `data` hold the bytes up to `at`: the tail becomes the last part and the multipart upload completes (once). */
  private async complete(id: string, position: UploadPosition): Promise<void> {
    const Bucket = this.options.bucket;
    const data = this.key(id, 'data');
    const done = await this.client.send(new HeadObjectCommand({ Bucket, Key: data })).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(unavailable(err, 'HeadObject'))));
    if (done && done.ContentLength === position.length) return;
    const at = position.at as S3Position;
    const tail = this.key(id, `tail-${position.length}`);
    try {
      if (!at.uploadId) {
        if (at.tail > 0) await this.client.send(new CopyObjectCommand({ Bucket, Key: data, CopySource: copySource(Bucket, tail) }));
        else await this.put(data, Buffer.alloc(0));
        return;
      }
      const parts = [...at.parts];
      if (at.tail > 0) parts.push(await this.uploadPart(id, at.uploadId, parts.length + 1, await this.get(tail)));
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key: data, UploadId: at.uploadId, MultipartUpload: { Parts: parts.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    } catch (err) {
      throw unavailable(err, `complete upload ${id}`);
    }
  }

  private async startMultipart(id: string): Promise<string> {
    const out = await this.client
      .send(new CreateMultipartUploadCommand({ Bucket: this.options.bucket, Key: this.key(id, 'data') }))
      .catch((err: unknown) => Promise.reject(storeError(err, 'CreateMultipartUpload')));
    return out.UploadId as string;
  }

  private async uploadPart(id: string, uploadId: string, n: number, body: Buffer): Promise<string> {
    const out = await this.client
      .send(new UploadPartCommand({ Bucket: this.options.bucket, Key: this.key(id, 'data'), UploadId: uploadId, PartNumber: n, Body: body }))
      .catch((err: unknown) => Promise.reject(storeError(err, 'UploadPart')));
    return out.ETag as string;
  }

  private async get(key: string): Promise<Buffer> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    } catch (err) {
      throw storeError(err, `GetObject ${key}`);
    }
  }

  private async put(key: string, body: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body })).catch((err: unknown) => Promise.reject(storeError(err, `PutObject ${key}`)));
  }

  private async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  private key(id: string, name: string): string {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(id)) throw new Error(`not an upload id: ${id}`);
    return `${this.root}${id}/${name}`;
  }
}

/** Appends at once per process: with 5 MiB parts, at most about 60 MiB held by appends together. */
const APPENDS_AT_ONCE = 3;

/** A counting semaphore: `take` waits while `n` holders run. */
export class Turns {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly n: number) {}

  async take(): Promise<void> {
    if (this.running < this.n) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

/** A failure of the store (not of the body): marked so that an append rethrows it instead of keeping what arrived. */
const STORE = Symbol('storeError');
function storeError(err: unknown, what: string): unknown {
  const out = unavailable(err, what);
  if (typeof out === 'object' && out !== null) (out as { [STORE]?: true })[STORE] = true;
  return out;
}
function isStoreError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { [STORE]?: true })[STORE] === true;
}
