import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Written bytes after which a background fdatasync starts, so the final fsync has little left. */
const SYNC_EVERY = 64 << 20;
/** Buffered bytes before the stream stops accepting (writev gathers them into one call). */
const HIGH_WATER = 2 << 20;

/**
 * A new file (`wx`) written from a stream, or with `at` an existing file continued from byte
 * `at` (what lies past it is cut first), durable when the stream finishes: 'finish' comes
 * only after an fsync. While data flows, every SYNC_EVERY bytes an fdatasync runs alongside the
 * writes, so the disk writes back during the upload instead of all at the end (the kernel would
 * otherwise hold a whole large upload in the page cache until the final fsync).
 */
export class DurableFileSink extends Writable {
  private handle: FileHandle | undefined;
  /** Bytes written so far. */
  written = 0;
  private syncedAt = 0;
  private syncing: Promise<void> | undefined;
  private syncError: Error | undefined;

  constructor(
    private readonly file: string,
    private readonly at?: number,
  ) {
    super({ highWaterMark: HIGH_WATER });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    (async () => {
      const handle = await open(this.file, this.at === undefined ? 'wx' : 'r+');
      this.handle = handle;
      if (this.at !== undefined) await handle.truncate(this.at);
    })().then(() => callback(), callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.write_(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.handle as FileHandle;
    (async () => {
      await this.syncing;
      // A failed background sync fails the file, even if a later fsync reports nothing.
      if (this.syncError) throw this.syncError;
      await handle.sync();
    })().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) {
      callback(err);
      return;
    }
    // A background sync may still run on the descriptor: close after it.
    Promise.resolve(this.syncing)
      .catch(() => {})
      .then(() => handle.close())
      .then(
        () => callback(err),
        (closeErr: Error) => callback(err ?? closeErr),
      );
  }

  private async write_(buffers: Buffer[]): Promise<void> {
    const handle = this.handle as FileHandle;
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending, this.at === undefined ? undefined : this.at + this.written);
      this.written += bytesWritten;
      pending = rest(pending, bytesWritten);
    }
    if (this.written - this.syncedAt >= SYNC_EVERY && !this.syncing) {
      this.syncedAt = this.written;
      this.syncing = handle
        .datasync()
        .catch((err: Error) => {
          this.syncError ??= err;
        })
        .finally(() => {
          this.syncing = undefined;
        });
    }
  }
}

/** What remains of `buffers` after the first `n` bytes were written. */
function rest(buffers: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
