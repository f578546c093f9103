import { Problem } from '../errors.js';
import type { RecordStore } from '../storage/contracts.js';
import { compareAndSet } from './compare-and-set.js';
import { currentVersion } from './rules.js';
import { liveLocks } from './locks.js';
import { mapLimit, READ_CONCURRENCY } from './bounded.js';
import type { Clock, CollectionRecord, FileRecord, Lock } from './types.js';
import { childKey } from './paths.js';
import { passedDown } from './dav-locks.js';

/** The parent collection of a key ('' for a top-level name). */
export function parentOf(key: string): string {
  const cut = key.lastIndexOf('/');
  return cut < 0 ? '' : key.slice(0, cut);
}

/** Every ancestor collection of a key, the root ('') first: `a/b/c` → '', 'a', 'a/b'. */
export function ancestorsOf(key: string): string[] {
  const segments = key === '' ? [] : key.split('/');
  return segments.map((_, i) => segments.slice(0, i).join('/'));
}

/** What is at a key: a file with a current version, a collection, or nothing. */
export type Resource = { kind: 'file'; record: FileRecord } | { kind: 'collection'; record: CollectionRecord | undefined } | { kind: 'none'; record: FileRecord | undefined };

/** Members of one collection, as WebDAV sees them. */
export interface Members {
  files: string[];
  collections: string[];
}

/** Members with their records (a collection made by `/files` uploads has none). */
export interface Entries {
  files: { name: string; record: FileRecord }[];
  collections: { name: string; record: CollectionRecord | undefined }[];
  /** Paths with no file, reserved by a live lock (a LOCK on an unmapped URL, a check-out). */
  reserved: { name: string; record: FileRecord }[];
}

/**
 * Collections of the WebDAV mount. A collection exists when its record is live, or, with no
 * record at all, while file records sit below it (a directory made by a `/files` upload). A
 * deleted collection is a tombstone; a later MKCOL, lock or `/files` upload makes it live again.
 */
export class Collections {
  constructor(
    readonly store: RecordStore<CollectionRecord>,
    private readonly records: RecordStore<FileRecord>,
    private readonly clock: Clock = Date.now,
  ) {}

  async get(key: string): Promise<CollectionRecord | undefined> {
    return key === '' ? undefined : (await this.store.get(key))?.value;
  }

  /** Whether collection `key` exists ('' always does); `record` when already read (null: there is none). */
  async exists(key: string, record?: CollectionRecord | null): Promise<boolean> {
    if (key === '') return true;
    const value = record === undefined ? await this.get(key) : record;
    if (value && !value.implicit) return !value.deleted;
    return (await this.records.list(key)) !== undefined;
  }

  /**
   * The file or collection at `key`. A key may name both (`/files` allows `a/b` and `a/b/c`, as
   * S3 does): then the file answers, unless `collectionFirst` (the URL ended in `/`).
   */
  async resolve(key: string, collectionFirst = false): Promise<Resource> {
    if (key === '') return { kind: 'collection', record: undefined };
    const [file, collection] = await Promise.all([this.records.get(key), this.get(key)]);
    if (collectionFirst && (await this.exists(key, collection ?? null))) return { kind: 'collection', record: collection };
    if (file && currentVersion(file.value)) return { kind: 'file', record: file.value };
    if (await this.exists(key, collection ?? null)) return { kind: 'collection', record: collection };
    return { kind: 'none', record: file?.value };
  }

  /** Names of the live members of collection `key`. */
  async members(key: string): Promise<Members> {
    const { files, collections } = await this.entries(key);
    return { files: files.map((m) => m.name), collections: collections.map((m) => m.name) };
  }

  /**
   * Live members of collection `key` with their records, read {@link READ_CONCURRENCY} at a time:
   * files with a current version, collections that exist. A name can be both a file and a
   * collection (twins): it is then in both lists, so that a walk of the tree sees both.
   */
  async entries(key: string): Promise<Entries> {
    const [fileList, collectionList] = await Promise.all([this.records.list(key), this.store.list(key)]);
    const fileRecords = await mapLimit(fileList?.files ?? [], READ_CONCURRENCY, async (name) => (await this.records.get(childKey(key, name)))?.value);
    const files: Entries['files'] = [];
    const reserved: Entries['reserved'] = [];
    (fileList?.files ?? []).forEach((name, i) => {
      const record = fileRecords[i];
      if (record && currentVersion(record)) files.push({ name, record });
      else if (record && liveLocks(record, this.clock()).length > 0) reserved.push({ name, record });
    });
    const directories = new Set(fileList?.directories ?? []);
    const candidates = [...new Set([...directories, ...(collectionList?.files ?? [])])].sort();
    const states = await mapLimit(candidates, READ_CONCURRENCY, async (name) => {
      const record = await this.get(childKey(key, name));
      // As exists(), without listing a directory the listing above already showed.
      return { name, record, exists: record && !record.implicit ? !record.deleted : directories.has(name) };
    });
    return { files, collections: states.filter((c) => c.exists).map(({ name, record }) => ({ name, record })), reserved };
  }

  /** Live locks of the collections `dirs` that cover every member below them (Depth infinity), for reads to show; a MOVE's claim is not shown. */
  async locksPassedDown(dirs: string[]): Promise<Lock[]> {
    const named = dirs.filter((dir) => dir !== '');
    const records = await Promise.all(named.map((dir) => this.get(dir)));
    const now = this.clock();
    return records.flatMap((record) => passedDown(record, now).filter((l) => !l.operation));
  }

  /**
   * Whether `dir` is a live collection made on /dav or by `?mkdir` (not one made by `/files`
   * uploads), its live sub-collections made so, and those deleted (on /dav, or moved away).
   */
  async made(dir: string): Promise<{ self: boolean; children: string[]; gone: string[] }> {
    const [own, listing] = await Promise.all([this.get(dir), this.store.list(dir)]);
    const explicit = (record: CollectionRecord | undefined) => record !== undefined && !record.deleted && !record.implicit;
    const states = await mapLimit(listing?.files ?? [], READ_CONCURRENCY, async (name) => ({ name, record: await this.get(childKey(dir, name)) }));
    const children = states.filter((s) => explicit(s.record)).map((s) => s.name);
    return { self: explicit(own), children, gone: states.filter((s) => s.record?.deleted === true).map((s) => s.name) };
  }

  /**
   * Make every ancestor of `key` a live collection again where it was deleted (a `/files`
   * upload creates its parents). Ancestors with no record are left implicit.
   */
  async revive(key: string, now: number): Promise<void> {
    for (const dir of ancestorsOf(key).slice(1)) {
      const record = await this.get(dir);
      if (record?.deleted) await this.update(dir, (current) => (current?.deleted ? { next: liveCollection(dir, current, now), result: undefined } : { result: undefined }));
    }
  }

  /** MKCOL: 405 when something is there, 409 when the parent collection is missing. */
  async create(key: string, now: number): Promise<void> {
    if (!(await this.exists(parentOf(key)))) throw new Problem('conflict', `the parent collection of ${key} does not exist; create it first (MKCOL)`);
    const file = await this.records.get(key);
    if (file && currentVersion(file.value)) throw new Problem('method-not-allowed', `${key} is a file`);
    await this.update(key, async (record) => {
      if (await this.exists(key, record ?? null)) throw new Problem('method-not-allowed', `the collection ${key} already exists`);
      return { next: liveCollection(key, record, now), result: undefined };
    });
  }

  /** Mark collection `key` deleted (its members are deleted by the caller). */
  async tombstone(key: string, now: number): Promise<void> {
    await this.update(key, (record) => {
      const { implicit: _implicit, ...base } = record ?? liveCollection(key, undefined, now);
      return { next: { ...base, deleted: true, lock: null, shared: [], props: {} }, result: undefined };
    });
  }

  /** One compare-and-set of the collection record of `key` ({@link compareAndSet}). */
  async update<R>(key: string, decide: (record: CollectionRecord | undefined) => { next?: CollectionRecord; result: R } | Promise<{ next?: CollectionRecord; result: R }>): Promise<R> {
    return (await compareAndSet(this.store, key, decide)).result;
  }
}

/** A live, explicit collection record, keeping the locks and properties of `record` unless it was deleted. */
export function liveCollection(key: string, record: CollectionRecord | undefined, now: number): CollectionRecord {
  if (record?.implicit) {
    const { implicit: _implicit, ...explicit } = record;
    return explicit;
  }
  if (record && !record.deleted) return record;
  return { path: key, createdAt: new Date(now).toISOString(), lock: null };
}
