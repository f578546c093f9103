import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, type S3Client, UploadPartCopyCommand } from '@aws-sdk/client-s3';

/** Bytes per part of a server-side copy in parts. */
const COPY_PART = 2 ** 30;

/** The CopySource of `key` in `bucket`, each segment URL-encoded. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** A server-side copy of an object above CopyObject's 5 GiB limit, 1 GiB per UploadPartCopy; aborted on failure. */
export async function copyInParts(client: S3Client, bucket: string, source: string, target: string, size: number): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: target }));
  try {
    const parts = [];
    for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
      const end = Math.min(start + COPY_PART, size) - 1;
      const out = await client.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: target, UploadId, PartNumber: n, CopySource: copySource(bucket, source), CopySourceRange: `bytes=${start}-${end}` }),
      );
      parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId })).catch(() => {});
    throw err;
  }
}
