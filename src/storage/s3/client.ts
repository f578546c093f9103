import { type ListObjectsV2CommandOutput, paginateListObjectsV2, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { StorageUnavailable } from '../contracts.js';
import type { S3Options } from './options.js';

/** An SDK client with bounded connect/request timeouts and retries, so an unreachable store fails fast. */
export function createClient(options: S3Options): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 3,
    // kluis hashes every body itself (SHA-256); the SDK's extra CRC pass per part costs CPU and
    // buffers, and not every S3-compatible store accepts the newer checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 60_000 },
  });
}

/** HTTP status of an SDK error, when the store answered at all. */
export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return statusOf(err) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * A store that did not answer, or answered 5xx after the SDK's retries, is unavailable: the
 * request is refused with 503 and nothing is acknowledged. Other errors pass through.
 */
export function unavailable(err: unknown, what: string): unknown {
  const status = statusOf(err);
  const answered = err instanceof S3ServiceException && status !== undefined && status < 500;
  return answered ? err : new StorageUnavailable(`S3 ${what} failed: ${(err as Error).message}`, { cause: err });
}

/**
 * Every page of the listing of `prefix` (one level with `delimiter`), through the SDK's
 * paginator; a failed request is {@link unavailable}.
 */
export async function* listPages(client: S3Client, bucket: string, prefix: string, delimiter?: string): AsyncIterable<ListObjectsV2CommandOutput> {
  try {
    for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}) })) yield page;
  } catch (err) {
    throw unavailable(err, `ListObjectsV2 ${prefix}`);
  }
}
