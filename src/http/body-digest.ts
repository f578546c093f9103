import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Problem } from '../errors.js';

/**
 * Passes bytes through while computing their SHA-256 (and MD5 when a `Content-MD5` asks for
 * it), counting them, and failing with 413 `too-large` the moment the limit is passed.
 */
export class BodyDigest extends Transform {
  private readonly sha: Hash | undefined;
  private readonly md5: Hash | undefined;
  bytes = 0;

  constructor(
    private readonly limit: number,
    withMd5 = false,
    withSha256 = true,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.sha = withSha256 ? createHash('sha256') : undefined;
    this.md5 = withMd5 ? createHash('md5') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new Problem('too-large', `the body is larger than the limit of ${this.limit} bytes; nothing was stored`));
      return;
    }
    this.sha?.update(chunk);
    this.md5?.update(chunk);
    callback(null, chunk);
  }

  /** Digests, valid once the stream has ended (the SHA-256 fields are empty when it was not computed). */
  digests(): { sha256: string; sha256Base64: string; md5Base64: string | undefined } {
    const sha = this.sha?.digest() ?? Buffer.alloc(0);
    return { sha256: sha.toString('hex'), sha256Base64: sha.toString('base64'), md5Base64: this.md5?.digest('base64') };
  }
}
