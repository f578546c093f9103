import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import type { StagedContent } from '../../src/domain/files.js';
import type { Caller, KluisRecords } from '../../src/domain/types.js';
import { Problem, type ProblemCode } from '../../src/errors.js';
import type { BlobStore, RecordStore, Storage } from '../../src/storage/contracts.js';
import { openFsStorage } from '../../src/storage/fs/index.js';
import { openMemoryStorage } from '../../src/storage/memory/index.js';
import { tempDir } from '../helpers/server.js';

export const alice: Caller = { name: 'alice', role: 'user' };
export const bob: Caller = { name: 'bob', role: 'user' };
/** The injected clock's start: any fixed time works, the domain never reads the real clock. */
export const START = Date.parse('2024-05-01T12:00:00.000Z');

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A fresh in-memory store (src/storage/memory), closed when the test ends: what the domain
 * tests run on. It passes the same contract suites as fs and S3 (test/contracts/).
 */
export function memoryStore(t: ExecutionContext): { storage: Storage<KluisRecords> } {
  const storage = openMemoryStorage<KluisRecords>();
  t.teardown(() => storage.close());
  return { storage };
}

/**
 * The real local-disk store in a fresh temp dir, closed and removed when the test ends: for a
 * test that looks at files on disk (its staging area, its blob or history files).
 */
export async function fsStore(t: ExecutionContext, prefix: string): Promise<{ dir: string; storage: Storage<KluisRecords> }> {
  const dir = await tempDir(prefix);
  const storage = await openFsStorage<KluisRecords>(dir);
  t.teardown(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, storage };
}

/**
 * `store`, except that after `race(n)` its next n puts wait for each other before going on, so
 * that n writers have all read and decided on the same revision: the worst interleaving, made
 * certain rather than left to scheduling.
 */
export function racing<T>(store: RecordStore<T>): { store: RecordStore<T>; race(n: number): void } {
  let racers = 0;
  let release = () => {};
  let opened = Promise.resolve();
  return {
    store: {
      get: (key) => store.get(key),
      list: (key) => store.list(key),
      scan: () => store.scan(),
      put: async (key, value, expected, prepare) => {
        if (racers > 0) {
          if (--racers === 0) release();
          await opened;
        }
        return store.put(key, value, expected, prepare);
      },
    },
    race: (n) => {
      racers = n;
      opened = new Promise<void>((resolve) => (release = resolve));
    },
  };
}

/** `text` staged as the content of an upload. */
export async function stageText(blobs: BlobStore, text: string): Promise<StagedContent> {
  const staged = await blobs.stage(Readable.from([Buffer.from(text)]));
  return { staged, sha256: sha256(text), size: Buffer.byteLength(text), contentType: 'text/plain' };
}

/** Assert that `promise` is refused with a Problem of `code`; returns it. */
export async function refused(t: ExecutionContext, promise: Promise<unknown>, code: ProblemCode): Promise<Problem | undefined> {
  const err = await t.throwsAsync(promise, { instanceOf: Problem });
  t.is(err?.code, code);
  return err;
}
