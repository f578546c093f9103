import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageUnavailable, type BlobStore, type StagedBlob } from '../contracts.js';
import { mkdirDurable, syncDir } from './durable.js';
import type { Layout } from './layout.js';
import type { TempArea } from './temp-area.js';

/** Large chunks: fewer syscalls and hash updates per byte. */
const CHUNK = 1 << 20;

export class FsBlobStore implements BlobStore {
  constructor(
    private readonly layout: Layout,
    private readonly temp: TempArea,
  ) {}

  async stage(source: Readable): Promise<StagedBlob> {
    const file = this.temp.file();
    // flush: fsync before close, so the pipeline settles only once the bytes are durable.
    const sink = createWriteStream(file, { flags: 'wx', flush: true, highWaterMark: CHUNK });
    try {
      await pipeline(source, sink);
    } catch (err) {
      // The file may still be opening when the source fails: unlink only once the sink has closed.
      if (!sink.closed) await once(sink, 'close').catch(() => {});
      await unlink(file).catch(() => {});
      // The source's own errors (client gone, too large) pass through; a missing staging area is the store's.
      if (isNotFound(err)) throw new StorageUnavailable(`cannot stage an upload: ${(err as Error).message}`, { cause: err });
      throw err;
    }
    return { id: file };
  }

  async commit(staged: StagedBlob, sha256: string): Promise<void> {
    const target = this.layout.blob(sha256);
    if (await exists(target)) {
      await this.discard(staged);
      return;
    }
    const dir = path.dirname(target);
    await mkdirDurable(dir);
    // Identical content from a concurrent commit may win the race: rename replaces it atomically.
    await rename(staged.id, target);
    await syncDir(dir);
  }

  async discard(staged: StagedBlob): Promise<void> {
    await unlink(staged.id).catch(() => {});
  }

  async size(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.layout.blob(sha256))).size;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.layout.blob(sha256);
    // Opened first so that a missing blob rejects here rather than as a stream error.
    const handle = await open(file, 'r');
    return handle.createReadStream({ highWaterMark: CHUNK, ...range });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT' || (err as NodeJS.ErrnoException | null)?.code === 'ENOTDIR';
}
