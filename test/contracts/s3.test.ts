import { randomUUID } from 'node:crypto';
import test from 'ava';
import { openS3Storage } from '../../src/storage/s3/index.js';
import { s3Options, s3Server, type S3Server } from '../s3/ceph.js';
import { blobStoreContract } from './blob-store.js';
import { recordStoreContract, type StorageFactory } from './record-store.js';

/** One real S3 server (Ceph RGW, or KLUIS_TEST_S3_ENDPOINT) for this file; every test gets its own key prefix. */
let server: S3Server | undefined;
const ready = s3Server().then((s) => (server = s));
test.after.always(async () => {
  await server?.stop();
});


const openFresh: StorageFactory = async () => {
  const s = await ready;
  const storage = await openS3Storage<unknown>(s3Options(s, `t-${randomUUID()}/`));
  return { storage, cleanup: async () => {} };
};

recordStoreContract('s3', openFresh, { preparesOnlyOnMatch: false });
blobStoreContract('s3', openFresh);
