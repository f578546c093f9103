import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Problem } from '../errors.js';

/** Which digests a {@link BodyDigest} computes besides counting: SHA-256 by default. */
export interface DigestChoice {
  sha256?: boolean;
  /** SHA-1, kept on versions for WebDAV clients (ownCloud's `oc:checksums`). */
  sha1?: boolean;
  md5?: boolean;
}

/** Digests of a body once it has ended; a field is empty (or undefined) when it was not computed. */
export interface BodyDigests {
  sha256: string;
  sha256Base64: string;
  md5Base64: string | undefined;
  md5: string | undefined;
  sha1: string | undefined;
}

/**
 * Passes bytes through while computing their digests (SHA-256 and whichever others are asked
 * for), in one pass, counting them, and failing with 413 `too-large` the moment the limit is passed.
 */
export class BodyDigest extends Transform {
  private readonly hashes: { sha256?: Hash; sha1?: Hash; md5?: Hash } = {};
  bytes = 0;

  constructor(
    private readonly limit: number,
    choice: DigestChoice = {},
  ) {
    super({ highWaterMark: 1 << 20 });
    if (choice.sha256 !== false) this.hashes.sha256 = createHash('sha256');
    if (choice.sha1) this.hashes.sha1 = createHash('sha1');
    if (choice.md5) this.hashes.md5 = createHash('md5');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new Problem('too-large', `the body is larger than the limit of ${this.limit} bytes; nothing was stored`));
      return;
    }
    this.hashes.sha256?.update(chunk);
    this.hashes.sha1?.update(chunk);
    this.hashes.md5?.update(chunk);
    callback(null, chunk);
  }

  /** Digests, valid once the stream has ended (the SHA-256 fields are empty when it was not computed). */
  digests(): BodyDigests {
    const sha = this.hashes.sha256?.digest() ?? Buffer.alloc(0);
    const md5 = this.hashes.md5?.digest();
    return { sha256: sha.toString('hex'), sha256Base64: sha.toString('base64'), md5Base64: md5?.toString('base64'), md5: md5?.toString('hex'), sha1: this.hashes.sha1?.digest('hex') };
  }
}
