import { randomUUID } from 'node:crypto';
import test from 'ava';
import { openS3Storage } from '../../src/storage/s3/index.js';
import type { S3Options } from '../../src/storage/s3/options.js';
import { s3Server, type S3Server } from '../s3/ceph.js';
import { blobStoreContract } from './blob-store.js';
import { recordStoreContract, type StorageFactory } from './record-store.js';

/** One real S3 server (Ceph RGW, or KLUIS_TEST_S3_ENDPOINT) for this file; every test gets its own key prefix. */
let server: S3Server | undefined;
const ready = s3Server().then((s) => (server = s));
test.after.always(async () => {
  await server?.stop();
});

export function s3Options(s: S3Server, prefix: string): S3Options {
  return {
    endpoint: s.endpoint,
    region: s.region,
    bucket: 'kluis-contract',
    prefix,
    forcePathStyle: true,
    createBucket: true,
    partSize: 5 * 2 ** 20,
    queueSize: 2,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  };
}

const openFresh: StorageFactory = async () => {
  const s = await ready;
  const storage = await openS3Storage<unknown>(s3Options(s, `t-${randomUUID()}/`));
  return { storage, cleanup: async () => {} };
};

recordStoreContract('s3', openFresh, { preparesOnlyOnMatch: false });
blobStoreContract('s3', openFresh);
