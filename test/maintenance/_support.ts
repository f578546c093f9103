/**
 * Shared fixture of the maintenance tests (not a test file): a fresh store on either backend,
 * with uploads through the domain FileService and the two ways blobs lose their references
 * (retention pruning a version, a writer that lost its record race after committing).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import { FileService } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import type { Caller, Version, KluisRecords } from '../../src/domain/types.js';
import { RevisionMismatch, type BlobInfo, type Storage } from '../../src/storage/contracts.js';
import { type Backend, openTestStore } from '../helpers/backend.js';
import { tempDir } from '../helpers/server.js';
import { s3Server, type S3Server } from '../s3/ceph.js';

export const BACKENDS: Backend[] = ['fs', 's3'];
export const CALLER: Caller = { name: 'alice', role: 'user' };
export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** One S3 server for the test file, started on first use. */
let server: Promise<S3Server> | undefined;
test.after.always(async () => {
  if (server) await (await server).stop();
});

export interface Fixture {
  storage: Storage<KluisRecords>;
  files: FileService;
  /** A new version of `key` with `data`, as an HTTP upload makes it. */
  upload(key: string, data: Buffer | string): Promise<Version>;
  /** A delete marker on `key`. */
  remove(key: string): Promise<void>;
  /** A committed blob no record references (a writer that lost its record race). */
  orphan(data: Buffer | string): Promise<string>;
  /** Mark version `n` of `key` pruned, as retention does. */
  prune(key: string, n: number): Promise<void>;
  /** Every committed blob, by sha256. */
  blobs(): Promise<Map<string, BlobInfo>>;
  /** sha256 → size of every blob some record still needs. */
  referenced(): Promise<Map<string, number>>;
}

export async function fixture(t: ExecutionContext, backend: Backend): Promise<Fixture> {
  const dir = await tempDir('kluis-maint-');
  if (backend === 's3') server ??= s3Server();
  const { storage } = await openTestStore(dir, backend, backend === 's3' ? await server : undefined);
  t.teardown(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  const files = new FileService({ records: storage.records, history: new History(storage.history), blobs: storage.blobs, clock: Date.now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  const stage = async (data: Buffer | string) => {
    const bytes = Buffer.from(data);
    return { staged: await storage.blobs.stage(Readable.from([bytes])), sha256: sha256(bytes), size: bytes.length, contentType: 'application/octet-stream' };
  };
  return {
    storage,
    files,
    upload: async (key, data) => (await files.upload(CALLER, key, { conditions: {} }, await stage(data))).version,
    remove: async (key) => void (await files.remove(CALLER, key, { conditions: {} })),
    orphan: async (data) => {
      const content = await stage(data);
      await storage.blobs.commit(content.staged, content.sha256);
      return content.sha256;
    },
    prune: async (key, n) => {
      for (;;) {
        const stored = await storage.records.get(key);
        if (!stored) throw new Error(`no record ${key}`);
        const versions = stored.value.versions.map((v): Version => (v.version === n ? { ...v, pruned: true } : v));
        try {
          await storage.records.put(key, { ...stored.value, versions }, stored.revision);
          return;
        } catch (err) {
          if (!(err instanceof RevisionMismatch)) throw err;
        }
      }
    },
    blobs: async () => {
      const out = new Map<string, BlobInfo>();
      for await (const blob of storage.blobs.list()) out.set(blob.sha256, blob);
      return out;
    },
    referenced: async () => {
      const keys: string[] = [];
      for await (const key of storage.records.scan()) keys.push(key);
      const out = new Map<string, number>();
      await inParallel(keys, async (key) => {
        for (const v of (await storage.records.get(key))?.value.versions ?? []) {
          if (v.sha256 && !v.deleted && !v.pruned) out.set(v.sha256, v.size);
        }
      });
      return out;
    },
  };
}

/** Every blob a record needs exists, has its size and reads back with its SHA-256. */
export async function assertIntact(t: ExecutionContext, f: Fixture, context = ''): Promise<void> {
  const needed = [...(await f.referenced())];
  await inParallel(needed, async ([hash, size]) => {
    const stored = await f.storage.blobs.size(hash);
    t.is(stored, size, `${context}referenced blob ${hash} is ${stored === undefined ? 'missing' : `${stored} bytes, not ${size}`}`);
    if (stored === undefined) return;
    const digest = createHash('sha256');
    for await (const chunk of await f.storage.blobs.read(hash)) digest.update(chunk as Buffer);
    t.is(digest.digest('hex'), hash, `${context}blob ${hash} does not read back with its hash`);
  });
}

/** `fn` on every item, 16 at a time. */
export async function inParallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}
