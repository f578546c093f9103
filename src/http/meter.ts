import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Problem } from '../errors.js';
import { OffThreadHash } from './hash-worker.js';

/** Bodies declared at least this large are hashed on the hash thread (a round trip costs more than hashing a small body here). */
export const OFF_THREAD_BYTES = 8 << 20;
/** Bytes the hash thread may lag behind before the stream waits for it: memory stays flat. */
const MAX_LAG = 4 << 20;

/**
 * Passes bytes through while computing their SHA-256 (and MD5 when a `Content-MD5` asks for
 * it), counting them, and failing with 413 `too-large` the moment the limit is passed. With
 * `offThread`, SHA-256 runs on the hash thread (src/http/hash-worker.ts), overlapped with I/O.
 */
export class Meter extends Transform {
  private readonly sha: Hash | undefined;
  private readonly thread: OffThreadHash | undefined;
  private shaHex: string | undefined;
  private readonly md5: Hash | undefined;
  bytes = 0;

  constructor(
    private readonly limit: number,
    withMd5 = false,
    offThread = false,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.thread = offThread ? new OffThreadHash() : undefined;
    this.sha = offThread ? undefined : createHash('sha256');
    this.md5 = withMd5 ? createHash('md5') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new Problem('too-large', `the body is larger than the limit of ${this.limit} bytes; nothing was stored`));
      return;
    }
    this.md5?.update(chunk);
    if (!this.thread) {
      this.sha?.update(chunk);
      callback(null, chunk);
      return;
    }
    this.thread.update(chunk);
    if (this.thread.inFlight < MAX_LAG) callback(null, chunk);
    else void this.thread.below(MAX_LAG).then(() => callback(null, chunk));
  }

  override _flush(callback: TransformCallback): void {
    if (!this.thread) return callback();
    this.thread.digest().then(
      (hex) => {
        this.shaHex = hex;
        callback();
      },
      (err: unknown) => callback(err as Error),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.shaHex === undefined) this.thread?.drop();
    callback(err);
  }

  /** Digests, valid once the stream has ended. */
  digests(): { sha256: string; sha256Base64: string; md5Base64: string | undefined } {
    const sha = this.sha ? this.sha.digest() : Buffer.from(this.shaHex ?? '', 'hex');
    return { sha256: sha.toString('hex'), sha256Base64: sha.toString('base64'), md5Base64: this.md5?.digest('base64') };
  }
}
