import type { RecordKinds, Storage } from './contracts.js';
import { openFsStorage } from './fs/index.js';
import { openS3Storage } from './s3/index.js';
import type { S3Options } from './s3/options.js';

/** The store a configuration names: S3 when it has S3 settings, else local disk in `dataDir`. */
export function openStorage<K extends RecordKinds = RecordKinds>(where: { s3?: S3Options | undefined; dataDir: string }): Promise<Storage<K>> {
  return where.s3 ? openS3Storage<K>(where.s3) : openFsStorage<K>(where.dataDir);
}
