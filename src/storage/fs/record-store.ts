import { link, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { RevisionMismatch, StorageUnavailable, type Listing, type RecordStore, type Revision, type StoredRecord } from '../contracts.js';
import { isNotFound, mkdirDurable, readSmallFile, replaceWith, syncDir, writeTemp } from './durable.js';
import type { Layout } from './layout.js';
import type { TempArea } from './temp-area.js';

/** A record lock whose mtime has not moved for this long belongs to a dead process. */
const STALE_MS = 10_000;
/** Rounds of reading a record whose newest revision was removed while it was read (newer ones exist). */
const READ_ROUNDS = 100;

interface Envelope<T> {
  revision: number;
  value: T;
}

export interface FsRecordStoreOptions {
  /** Milliseconds after which a record lock that is not refreshed is taken over (default 10 s). */
  staleMs?: number;
  /**
   * Commit a revision by an exclusive link() (the default: fenced). `false` renames it over the
   * newest instead, as stores without fencing did: only for the test that shows the difference.
   */
  fenced?: boolean;
}

/**
 * Records as JSON files, one per revision: `v~<name>/<n>`, the newest number being the record.
 * put() is compare-and-set. Under a proper-lockfile lock (a mkdir, atomic across processes and
 * refreshed while held, so that writers of one record wait in turn) it reads the newest
 * revision, compares, writes the next one to a temp file, fsyncs it, and links it in as
 * `v~<name>/<n+1>`. link() fails when that name exists, and that is the fence: a writer that
 * stalled past the lock's staleness (a paused process, a thread pool stuck behind slow fsyncs)
 * while another took the lock over and wrote finds its revision taken, and loses the race
 * instead of overwriting the other's write, which a rename would have done (POSIX has no
 * conditional rename). Older revisions are removed once two newer ones exist. Readers never
 * lock: a revision file is complete before it is linked, so a reader sees the old or the new.
 * A record of the earlier layout (one file `f~<name>`, replaced by rename) is read until the
 * record is next written; the write that makes its first revision file removes it.
 */
export class FsRecordStore<T> implements RecordStore<T> {
  private readonly staleMs: number;
  private readonly fenced: boolean;

  constructor(
    private readonly layout: Layout,
    private readonly temp: TempArea,
    options: FsRecordStoreOptions = {},
  ) {
    this.staleMs = options.staleMs ?? STALE_MS;
    this.fenced = options.fenced ?? true;
  }

  async get(key: string): Promise<StoredRecord<T> | undefined> {
    const envelope = (await this.read(key))?.envelope;
    return envelope && { value: envelope.value, revision: String(envelope.revision) };
  }

  async put(key: string, value: T, expected: Revision | null, prepare?: () => Promise<void>): Promise<Revision> {
    const { dir, revisions, file, lock } = this.layout.record(key);
    await mkdirDurable(dir);
    const release = await lockfile.lock(file, {
      lockfilePath: lock,
      realpath: false,
      stale: this.staleMs,
      // Contention is short (one read and one fsynced write); wait out a dead holder's stale lock.
      retries: { retries: 400, factor: 1.3, minTimeout: 1, maxTimeout: 50, randomize: true },
      // A lock taken over from under us is no danger: the revision's link below is the fence.
      onCompromised: () => {},
    });
    try {
      const stored = await this.read(key);
      const current = stored?.envelope;
      const actual = current ? String(current.revision) : null;
      if (actual !== expected) throw new RevisionMismatch(key);
      const revision = (current?.revision ?? 0) + 1;
      const envelope: Envelope<T> = { revision, value };
      const unavailable = (err: unknown): never => {
        throw isNotFound(err) ? new StorageUnavailable(`cannot write record ${key}: ${(err as Error).message}`, { cause: err }) : err;
      };
      // The record's bytes reach the disk while prepare publishes the blob (its own fsyncs):
      // nothing is visible until the link below, which waits for both.
      const temp = this.temp.file();
      const [prepared, written] = await Promise.allSettled([prepare?.(), writeTemp(temp, JSON.stringify(envelope))]);
      if (prepared.status === 'rejected') {
        if (written.status === 'fulfilled') await unlink(temp).catch(() => {});
        throw prepared.reason;
      }
      if (written.status === 'rejected') unavailable(written.reason);
      await mkdirDurable(revisions).catch(unavailable);
      await this.commit(key, temp, revisions, revision).catch(unavailable);
      // Tidy: the revision before the previous one goes, and so does a record file of the earlier layout.
      if (current && current.revision > 1) await unlink(path.join(revisions, String(current.revision - 1))).catch(() => {});
      if (stored?.legacy) await unlink(file).catch(() => {});
      return String(revision);
    } finally {
      await release().catch(() => {});
    }
  }

  /**
   * Publish the durable file `temp` as revision `revision` in `revisions`: by an exclusive
   * link (the fence), then fsync the directory. A writer that stalled long enough for its
   * revision number to be written and tidied away again finds a newer revision there: it
   * takes its link back and loses the race, as it would have to an existing name.
   */
  private async commit(key: string, temp: string, revisions: string, revision: number): Promise<void> {
    const target = path.join(revisions, String(revision));
    if (!this.fenced) return replaceWith(temp, target);
    try {
      await link(temp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RevisionMismatch(key);
      throw err;
    } finally {
      await unlink(temp).catch(() => {});
    }
    if ((await newestRevision(revisions)) !== revision) {
      await unlink(target).catch(() => {});
      throw new RevisionMismatch(key);
    }
    await syncDir(revisions);
  }

  /** The newest revision of `key` (`legacy`: its record file of the earlier layout), or undefined when it has none. */
  private async read(key: string): Promise<{ envelope: Envelope<T>; legacy: boolean } | undefined> {
    const { revisions, file } = this.layout.record(key);
    for (let round = 0; round < READ_ROUNDS; round++) {
      const newest = await newestRevision(revisions);
      if (newest === undefined) {
        const legacy = await readSmallFile(file);
        if (legacy) return { envelope: JSON.parse(legacy.toString('utf8')) as Envelope<T>, legacy: true };
        // The first revision may have been linked, and the old file removed, since the listing.
        if ((await newestRevision(revisions)) === undefined) return undefined;
        continue;
      }
      const data = await readSmallFile(path.join(revisions, String(newest)));
      if (data) return { envelope: JSON.parse(data.toString('utf8')) as Envelope<T>, legacy: false };
      // Removed meanwhile: two newer revisions were written since the listing; list again.
    }
    throw new StorageUnavailable(`record ${key} kept changing while it was read; try again`);
  }

  async list(dir: string): Promise<Listing | undefined> {
    let names: string[];
    try {
      names = await readdir(this.layout.recordDir(dir));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const files = new Set<string>();
    const directories: string[] = [];
    for (const name of names) {
      if (name.startsWith('v~') || name.startsWith('f~')) files.add(name.slice(2));
      else if (name.startsWith('d~')) directories.push(name.slice(2));
    }
    return { files: [...files].sort(), directories: directories.sort() };
  }

  async *scan(): AsyncIterable<string> {
    yield* walk(this.layout.records, []);
  }
}

/** The highest revision number in `revisions`, or undefined when there is none (or no directory). */
async function newestRevision(revisions: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(revisions);
  } catch (err) {
    if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
  let newest: number | undefined;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const n = Number(name);
    if (newest === undefined || n > newest) newest = n;
  }
  return newest;
}

/** Record keys below `dir` (whose key segments are `segments`): `v~` and `f~` records, `d~` directories; `l~` locks are skipped. */
async function* walk(dir: string, segments: string[]): AsyncIterable<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    // The records root must be there; a directory below it is never removed, but be lenient.
    if (segments.length > 0 && isNotFound(err)) return;
    throw err;
  }
  const records = new Set<string>();
  for (const name of names) if (name.startsWith('v~') || name.startsWith('f~')) records.add(name.slice(2));
  const subdirectories = new Set(names.filter((name) => name.startsWith('d~')).map((name) => name.slice(2)));
  // Keys in name order, a record before the directory of the same name.
  for (const name of [...new Set([...records, ...subdirectories])].sort()) {
    if (records.has(name)) yield [...segments, name].join('/');
    if (subdirectories.has(name)) yield* walk(path.join(dir, `d~${name}`), [...segments, name]);
  }
}
