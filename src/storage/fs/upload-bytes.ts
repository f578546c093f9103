import { createReadStream } from 'node:fs';
import { link, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { StagedBlob, UploadBytes, UploadPosition } from '../contracts.js';
import { isNotFound, mkdirDurable, syncDir, writeTemp } from './durable.js';
import { DurableFileSink } from './file-sink.js';
import type { TempArea } from './temp-area.js';

/** Read-back chunk size. */
const BATCH = 1 << 20;
const ID = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The bytes of each resumable upload as one file, `uploads/bytes/<id>`, appended in place
 * and fsynced before an append resolves. No process owns it: the temp area's reclamation of
 * dead processes never touches it. Staging for a commit is a hard link into this process's
 * temp area (no byte is copied), which the blob store then renames into place or unlinks.
 */
export class FsUploadBytes implements UploadBytes {
  constructor(
    readonly dir: string,
    private readonly temp: TempArea,
  ) {}

  async create(id: string): Promise<UploadPosition> {
    await mkdirDurable(this.dir);
    await writeTemp(this.file(id), '');
    await syncDir(this.dir);
    return { length: 0 };
  }

  async append(id: string, from: UploadPosition, source: Readable, abandon?: AbortSignal): Promise<UploadPosition & { error?: unknown }> {
    // A source that fails ends the sink instead of destroying it: what arrived is written and
    // made durable (the sink's fsync before 'finish'), then counted. Listened to at once: the
    // source may fail while the file is looked at.
    let error: unknown;
    let sink: DurableFileSink | undefined;
    source.once('error', (err) => {
      error = err;
      if (!sink || sink.destroyed) return;
      source.unpipe(sink);
      sink.end();
    });
    // Abandoned: what is buffered is dropped, not written (a write already under way may land).
    abandon?.addEventListener(
      'abort',
      () => {
        if (!sink) return;
        source.unpipe(sink);
        sink.destroy(new Error('the append was abandoned'));
      },
      { once: true },
    );
    const file = this.file(id);
    // Once staged, the file may be a published blob too (a hard link): it is never written again.
    if ((await stat(file)).nlink > 1) throw new Error(`the bytes of upload ${id} are staged for a commit; they take no more`);
    if (abandon?.aborted) throw new Error('the append was abandoned');
    if (error !== undefined || source.destroyed) return { length: from.length, error: error ?? new Error('the body ended before it was read') };
    sink = new DurableFileSink(file, from.length);
    source.pipe(sink);
    await finished(sink);
    return error === undefined ? { length: from.length + sink.written } : { length: from.length + sink.written, error };
  }

  async read(id: string, { length }: UploadPosition): Promise<Readable> {
    const file = this.file(id);
    await stat(file); // a missing upload rejects here rather than as a stream error
    return length === 0 ? Readable.from([]) : createReadStream(file, { start: 0, end: length - 1, highWaterMark: BATCH });
  }

  async stage(id: string, { length }: UploadPosition): Promise<StagedBlob> {
    const file = this.file(id);
    if ((await stat(file)).size !== length) {
      // Bytes past the acknowledged length (a crash during an append) must not be published.
      const handle = await open(file, 'r+');
      try {
        await handle.truncate(length);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    const staged = this.temp.file();
    await link(file, staged);
    return { id: staged };
  }

  async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }

  async *list(): AsyncIterable<{ id: string; modifiedAt: number }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const name of names) {
      if (!ID.test(name)) continue;
      const info = await stat(path.join(this.dir, name)).catch(() => undefined);
      if (info) yield { id: name, modifiedAt: info.mtimeMs };
    }
  }

  private file(id: string): string {
    if (!ID.test(id)) throw new Error(`not an upload id: ${id}`);
    return path.join(this.dir, id);
  }
}
