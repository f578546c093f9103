/**
 * The backend the HTTP tests run on, and a look inside it that is the same for every backend:
 * which blobs are committed, what is left in staging, which records exist.
 *
 * `KLUIS_TEST_BACKEND=s3` (set by `npm test` for its second pass over test/http/) serves from
 * the S3 backend on the test S3 server (test/s3/ceph.ts), each server under its own key prefix.
 */
import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { KluisRecords } from '../../src/domain/types.js';
import type { Storage } from '../../src/storage/contracts.js';
import { openFsStorage } from '../../src/storage/fs/index.js';
import { createClient } from '../../src/storage/s3/client.js';
import { openS3Storage } from '../../src/storage/s3/index.js';
import { s3Options, s3Server, type S3Server } from '../s3/ceph.js';

export type Backend = 'fs' | 's3';

export function testBackend(): Backend {
  const value = process.env.KLUIS_TEST_BACKEND ?? 'fs';
  if (value !== 'fs' && value !== 's3') throw new Error(`KLUIS_TEST_BACKEND must be fs or s3, not ${value}`);
  return value;
}

/** What a test may ask of the store behind a server, whatever the backend. */
export interface StoreView {
  /** sha256 of every committed blob, sorted. */
  blobs(): Promise<string[]>;
  /** Staged bytes not yet committed or discarded (files, objects, open multipart uploads). */
  staged(): Promise<string[]>;
  /** Keys of every record, sorted. */
  records(): Promise<string[]>;
}

export interface OpenedStore {
  storage: Storage<KluisRecords>;
  view: StoreView;
}

/**
 * Every file under `dir` whose name passes `keep`, still there when looked at (one removed
 * meanwhile is not left over). Directories are told by their entries' types and only kept names
 * are stat'ed: the fuzz walks a store of 10,000 records for staged files after each request.
 */
async function walk(dir: string, keep: (name: string) => boolean = () => true): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, keep)));
    else if (keep(entry.name) && (await stat(full).catch(() => undefined))) out.push(full);
  }
  return out;
}

/** The view into a local-disk data root. */
export function fsView(dataDir: string): StoreView {
  return {
    blobs: async () => (await walk(path.join(dataDir, 'blobs'))).map((f) => path.basename(f)).sort(),
    staged: async () => {
      const tmp = path.join(dataDir, 'tmp');
      const sessions = (await readdir(tmp).catch(() => [])).filter((entry) => !entry.endsWith('.lock'));
      // And records' pending new bytes (w~ files beside them: src/storage/fs/record-lock.ts).
      const areas = ['records', 'history', 'collections'].map((area) => path.join(dataDir, area));
      const pending = (await Promise.all(areas.map((area) => walk(area, (name) => name.startsWith('w~'))))).flat();
      return [...(await Promise.all(sessions.map((entry) => walk(path.join(tmp, entry))))).flat(), ...pending];
    },
    records: async () =>
      (await walk(path.join(dataDir, 'records')))
        // Not the pending files, lock markers and lock candidates of record-lock.ts.
        .filter(
          (f) =>
            !path
              .relative(dataDir, f)
              .split(path.sep)
              .some((s) => /^[wlt]~/.test(s)),
        )
        .map((f) => path.relative(dataDir, f))
        .sort(),
  };
}

async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const item of out.Contents ?? []) if (item.Key) keys.push(item.Key.slice(prefix.length));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** The view into one key prefix of a bucket. */
export function s3View(client: S3Client, bucket: string, prefix: string): StoreView {
  return {
    blobs: () => listKeys(client, bucket, `${prefix}blobs/`),
    staged: async () => {
      const objects = await listKeys(client, bucket, `${prefix}staging/`);
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}staging/` }));
      return [...objects, ...(uploads.Uploads ?? []).map((u) => `multipart ${u.Key}`)];
    },
    records: () => listKeys(client, bucket, `${prefix}records/`),
  };
}

let shared: Promise<S3Server> | undefined;

/**
 * A fresh, empty store on `backend`: for fs in `dataDir`, for S3 under a new key prefix on
 * `server` (default: one test S3 server shared by the whole test process); `keyPrefix` names
 * the prefix of a store to open again (another instance sharing it).
 */
export async function openTestStore(dataDir: string, backend: Backend, server?: S3Server, keyPrefix = `http-${randomUUID()}/`): Promise<OpenedStore> {
  if (backend === 'fs') return { storage: await openFsStorage<KluisRecords>(dataDir), view: fsView(dataDir) };
  shared ??= s3Server();
  const options = s3Options(server ?? (await shared), keyPrefix, 'kluis-http');
  const storage = await openS3Storage<KluisRecords>(options);
  const client = createClient(options);
  const close = async () => {
    client.destroy();
    await storage.close();
  };
  return { storage: { ...storage, close }, view: s3View(client, options.bucket, options.prefix) };
}
