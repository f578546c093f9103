import { randomUUID } from 'node:crypto';
import { AbortMultipartUploadCommand, CreateBucketCommand, DeleteObjectCommand, HeadBucketCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RecordKinds, Storage } from '../contracts.js';
import { S3BlobStore } from './blob-store.js';
import { createClient, isNotFound, statusOf, unavailable } from './client.js';
import type { S3Options } from './options.js';
import { S3RecordStore } from './record-store.js';
import { RemovalWindows } from './removal-window.js';
import { Sessions } from './sessions.js';
import { S3UploadBytes } from './upload-bytes.js';

/** Multipart uploads under staging/ older than this were abandoned by a dead process. */
const ABANDONED_MS = 24 * 3600_000;

/**
 * Open the S3 backend: the bucket must exist (or is created when asked), must honour
 * conditional writes (probed: kluis refuses to start on a store that ignores them, since
 * compare-and-set is what keeps several instances correct), and abandoned uploads are aborted.
 */
export async function openS3Storage<K extends RecordKinds = RecordKinds>(options: S3Options): Promise<Storage<K>> {
  const client = createClient(options);
  const sessions = new Sessions(client, options, (options.heartbeatSeconds ?? 10) * 1000);
  try {
    await ensureBucket(client, options);
    await probeConditionalWrites(client, options);
    // Heartbeat, and the staging of dead processes reclaimed (a store that refuses it still serves).
    await sessions.start().catch(() => {});
    await abortAbandonedUploads(client, options).catch(() => {});
  } catch (err) {
    client.destroy();
    throw err;
  }
  const waitMs = (options.removalWaitSeconds ?? 60) * 1000;
  const windows = new RemovalWindows(client, options, waitMs, Math.min(5000, waitMs / 8));
  windows.start();
  const uploadBytes = new S3UploadBytes(client, options);
  const blobs = new S3BlobStore(client, options, sessions.stagingPrefix, windows, uploadBytes.prefix);
  return {
    blobs,
    records: new S3RecordStore<K['records']>(client, options.bucket, options.prefix),
    history: new S3RecordStore<K['history']>(client, options.bucket, options.prefix, 'history'),
    collections: new S3RecordStore<K['collections']>(client, options.bucket, options.prefix, 'collections'),
    listings: new S3RecordStore<K['listings']>(client, options.bucket, options.prefix, 'listings'),
    uploads: { states: new S3RecordStore<K['uploads']>(client, options.bucket, options.prefix, 'uploads'), bytes: uploadBytes },
    async check() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: options.bucket }));
      } catch (err) {
        throw unavailable(err, 'HeadBucket');
      }
    },
    close: async () => {
      blobs.janitor.close();
      windows.stop();
      await sessions.stop();
      client.destroy();
    },
  };
}

async function ensureBucket(client: S3Client, options: S3Options): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: options.bucket }));
    return;
  } catch (err) {
    if (!isNotFound(err)) throw new Error(`S3 bucket ${options.bucket} at ${options.endpoint ?? 'AWS'} cannot be reached: ${(err as Error).message}`, { cause: err });
  }
  if (!options.createBucket) throw new Error(`S3 bucket ${options.bucket} does not exist; create it, or set KLUIS_S3_CREATE_BUCKET=true`);
  await client.send(new CreateBucketCommand({ Bucket: options.bucket }));
}

async function probeConditionalWrites(client: S3Client, options: S3Options): Promise<void> {
  const Key = `${options.prefix}probe/${randomUUID()}`;
  const put = () => client.send(new PutObjectCommand({ Bucket: options.bucket, Key, Body: 'probe', IfNoneMatch: '*' }));
  await put();
  try {
    await put();
  } catch (err) {
    const status = statusOf(err);
    if (status === 412 || status === 409) return;
    throw err;
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key })).catch(() => {});
  }
  throw new Error(`S3 store ${options.endpoint ?? 'AWS'} ignores conditional writes (a second If-None-Match: * PUT succeeded); kluis needs them to stay correct and refuses to start`);
}

async function abortAbandonedUploads(client: S3Client, options: S3Options): Promise<void> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix: `${options.prefix}staging/` }));
  for (const upload of out.Uploads ?? []) {
    if (upload.Initiated && Date.now() - upload.Initiated.getTime() > ABANDONED_MS) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: upload.Key, UploadId: upload.UploadId })).catch(() => {});
    }
  }
}
