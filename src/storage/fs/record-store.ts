import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { RevisionMismatch, StorageUnavailable, type Listing, type RecordStore, type Revision, type StoredRecord } from '../contracts.js';
import { blockingReadTurn, isNotFound, mkdirDurable, readSmallSync, syncDir } from './durable.js';
import type { Layout } from './layout.js';
import { lockRecord, type RecordLockOptions } from './record-lock.js';

/** A record lock whose mtime has not moved for this long belongs to a dead process. */
const STALE_MS = 10_000;

interface Envelope<T> {
  revision: number;
  value: T;
}

/**
 * Records as JSON files. put() is compare-and-set: under the record's lock (record-lock.ts:
 * cross-process, fenced against a writer that paused past its staleness) it reads the current
 * revision, compares, and replaces the file by a pending file + fsync + rename. Readers never
 * lock: rename is atomic, so a reader sees the old or the new record, never a mix.
 */
export class FsRecordStore<T> implements RecordStore<T> {
  private readonly options: RecordLockOptions;

  constructor(
    private readonly layout: Layout,
    options: Partial<RecordLockOptions> = {},
  ) {
    this.options = { staleMs: STALE_MS, fenced: true, ...options };
  }

  async get(key: string): Promise<StoredRecord<T> | undefined> {
    const envelope = await this.readEnvelope(this.layout.record(key).file);
    return envelope && { value: envelope.value, revision: String(envelope.revision) };
  }

  async put(key: string, value: T, expected: Revision | null, prepare?: () => Promise<void>): Promise<Revision> {
    const { dir, file, lock } = this.layout.record(key);
    await mkdirDurable(dir);
    // Checked again, without the lock, after waiting behind this process's other writers of the
    // record: a race already lost takes no lock.
    const wanted = async () => {
      const seen = await this.readEnvelope(file);
      return (seen ? String(seen.revision) : null) === expected;
    };
    const held = await lockRecord(file, lock, this.options, wanted);
    if (!held) throw new RevisionMismatch(key);
    try {
      const current = await this.readEnvelope(file);
      const actual = current ? String(current.revision) : null;
      if (actual !== expected) throw new RevisionMismatch(key);
      const revision = (current?.revision ?? 0) + 1;
      const envelope: Envelope<T> = { revision, value };
      const unavailable = (err: unknown): never => {
        throw isNotFound(err) ? new StorageUnavailable(`cannot write record ${key}: ${(err as Error).message}`, { cause: err }) : err;
      };
      // The record's bytes reach the disk while prepare publishes the blob (its own fsyncs):
      // nothing is visible until the rename below, which waits for both.
      const [prepared, written] = await Promise.allSettled([prepare?.(), held.write(JSON.stringify(envelope))]);
      if (prepared.status === 'rejected') throw prepared.reason;
      if (written.status === 'rejected') unavailable(written.reason);
      // Fenced off: the lock was taken over while this writer stalled, and the other's write stands.
      if (!(await held.publish().catch(unavailable))) throw new RevisionMismatch(key);
      return String(revision);
    } finally {
      await held.release();
    }
  }

  async list(dir: string): Promise<Listing | undefined> {
    let names: string[];
    try {
      names = await readdir(this.layout.recordDir(dir));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const files: string[] = [];
    const directories: string[] = [];
    for (const name of names) {
      if (name.startsWith('f~')) files.push(name.slice(2));
      else if (name.startsWith('d~')) directories.push(name.slice(2));
    }
    return { files: files.sort(), directories: directories.sort() };
  }

  async remove(key: string): Promise<void> {
    const { dir, file } = this.layout.record(key);
    await rm(file, { force: true });
    await syncDir(dir).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }

  async *scan(): AsyncIterable<string> {
    yield* walk(this.layout.records, []);
  }

  private async readEnvelope(file: string): Promise<Envelope<T> | undefined> {
    await blockingReadTurn();
    const data = readSmallSync(file);
    return data && (JSON.parse(data.toString('utf8')) as Envelope<T>);
  }
}

/** Record keys below `dir` (whose key segments are `segments`): `f~` files, `d~` directories; `l~` locks are skipped. */
async function* walk(dir: string, segments: string[]): AsyncIterable<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    // The records root must be there; a directory below it is never removed, but be lenient.
    if (segments.length > 0 && isNotFound(err)) return;
    throw err;
  }
  for (const name of names.sort()) {
    if (name.startsWith('f~')) yield [...segments, name.slice(2)].join('/');
    else if (name.startsWith('d~')) yield* walk(path.join(dir, name), [...segments, name.slice(2)]);
  }
}
