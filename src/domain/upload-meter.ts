import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Problem } from '../errors.js';

/** Checksum algorithms a PATCH may name (tus checksum extension), all in node:crypto. */
export const CHECKSUM_ALGORITHMS = ['sha256', 'sha1', 'md5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/**
 * The bytes of one append on their way to the store: counted, held to `limit` (413 past it),
 * fed to the upload's running SHA-256 when this process has it, and to the checksum the
 * request announced.
 */
export class UploadMeter extends Transform {
  bytes = 0;
  private readonly checksum: Hash | undefined;

  constructor(
    private readonly limit: number,
    readonly sha256: Hash | undefined,
    checksum: ChecksumAlgorithm | undefined,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.checksum = checksum && createHash(checksum);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.bytes + chunk.length > this.limit) {
      callback(new Problem('too-large', `the body goes past the upload's length; ${this.limit} more bytes were expected`));
      return;
    }
    this.bytes += chunk.length;
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    callback(null, chunk);
  }

  /** The checksum of the bytes that passed, base64. */
  checksumBase64(): string | undefined {
    return this.checksum?.digest('base64');
  }
}
