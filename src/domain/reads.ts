import { Problem } from '../errors.js';
import type { RecordStore } from '../storage/contracts.js';
import type { History } from './history.js';
import { ancestorsOf } from './collections.js';
import { passedDown } from './dav-locks.js';
import { publicLock, shownLock } from './locks.js';
import { mapLimit, READ_CONCURRENCY } from './bounded.js';
import { currentVersion } from './rules.js';
import type { Clock, CollectionRecord, FileRecord, Lock, Version } from './types.js';
import { childKey } from './paths.js';

export interface FileEntry {
  name: string;
  type: 'file';
  size: number;
  version: number;
  sha256: string;
  contentType: string | null;
  modifiedAt: string;
  locked: boolean;
}

export interface DirectoryEntry {
  name: string;
  type: 'directory';
}

export interface HistoryAnswer {
  path: string;
  versions: Version[];
  lock: Omit<Lock, 'token'> | null;
  /** Present when older versions remain: ask again with `before` set to it. */
  nextBefore?: number;
}

/** Read-side queries: nothing here writes. */
export class FileReader {
  constructor(
    private readonly records: RecordStore<FileRecord>,
    private readonly pages: History,
    private readonly clock: Clock,
    /** Collections made on /dav (MKCOL): listed here too, though no file is in them yet. */
    private readonly collections?: RecordStore<CollectionRecord>,
  ) {}

  /** Version `n`, or the current version; 404 for a missing file, version or delete marker. */
  async version(key: string, n?: number): Promise<Version> {
    const record = (await this.records.get(key))?.value;
    const version = n === undefined ? currentVersion(record) : await this.pages.version(record, n);
    if (!version) throw new Problem('not-found', n === undefined ? `no file at ${key}` : `${key} has no version ${n}`);
    if (version.deleted) throw new Problem('not-found', `version ${n} of ${key} is a delete marker`);
    if (version.pruned) throw new Problem('version-pruned', `version ${n} of ${key} was pruned by retention; its bytes are gone`);
    return version;
  }

  /**
   * One page of the history, newest first: up to `limit` versions numbered below `before`, the
   * live lock (without its token), and `nextBefore` when older versions remain.
   */
  async history(key: string, limit: number, before?: number): Promise<HistoryAnswer> {
    const [stored, covering] = await Promise.all([this.records.get(key), this.locksOver(ancestorsOf(key))]);
    const record = stored?.value;
    if (!record) throw new Problem('not-found', `nothing was ever stored at ${key}`);
    const versions = await this.pages.newest(record, limit, before);
    const oldest = versions.at(-1)?.version ?? 1;
    const lock = shownLock(record, this.clock()) ?? covering[0] ?? null;
    return { path: key, versions, lock: publicLock(lock), ...(oldest > 1 && versions.length === limit ? { nextBefore: oldest } : {}) };
  }

  /** The lock that refuses a write without its token: the file's own, else a /dav collection's above it (its `path` is the collection's). */
  async lock(key: string): Promise<Omit<Lock, 'token'>> {
    const [stored, covering] = await Promise.all([this.records.get(key), this.locksOver(ancestorsOf(key))]);
    const lock = publicLock(shownLock(stored?.value, this.clock()) ?? covering[0] ?? null);
    if (!lock) throw new Problem('not-found', `${key} is not checked out`);
    return lock;
  }

  /** Live Depth-infinity locks of the /dav collections `dirs`: they cover every member below. */
  private async locksOver(dirs: string[]): Promise<Lock[]> {
    const store = this.collections;
    const named = dirs.filter((dir) => dir !== '');
    if (!store || named.length === 0) return [];
    const records = await Promise.all(named.map(async (dir) => (await store.get(dir))?.value));
    const now = this.clock();
    return records.flatMap((record) => passedDown(record, now).filter((l) => !l.operation));
  }

  /**
   * One directory level: sub-directories, then files that have a current version (deleted
   * and merely reserved paths are left out). The root always exists.
   */
  async list(dir: string): Promise<{ path: string; entries: (DirectoryEntry | FileEntry)[] }> {
    const [listing, made, covering] = await Promise.all([this.records.list(dir), this.madeCollections(dir), this.locksOver([...ancestorsOf(dir), dir])]);
    if (!listing && !made.self && dir !== '') throw new Problem('not-found', `no directory ${dir}/`);
    const now = this.clock();
    const names = listing?.files ?? [];
    const files = await mapLimit(names, READ_CONCURRENCY, async (name): Promise<FileEntry | null> => {
      const record = (await this.records.get(childKey(dir, name)))?.value;
      const current = currentVersion(record);
      if (!current?.sha256) return null;
      return {
        name,
        type: 'file',
        size: current.size,
        version: current.version,
        sha256: current.sha256,
        contentType: current.contentType,
        modifiedAt: current.createdAt,
        locked: covering.length > 0 || shownLock(record, now) !== null,
      };
    });
    const subdirectories = [...new Set([...(listing?.directories ?? []), ...made.children])].sort();
    const directories: DirectoryEntry[] = subdirectories.map((name) => ({ name, type: 'directory' }));
    return { path: dir === '' ? '' : `${dir}/`, entries: [...directories, ...files.filter((f): f is FileEntry => f !== null)] };
  }

  /** Whether `dir` is a live collection made on /dav, and its live sub-collections made there. */
  private async madeCollections(dir: string): Promise<{ self: boolean; children: string[] }> {
    if (!this.collections) return { self: false, children: [] };
    const store = this.collections;
    const [own, listing] = await Promise.all([dir === '' ? undefined : store.get(dir), store.list(dir)]);
    const names = listing?.files ?? [];
    const made = (record: CollectionRecord | undefined) => record !== undefined && !record.deleted && !record.implicit;
    const live = await mapLimit(names, READ_CONCURRENCY, async (name) => (made((await store.get(childKey(dir, name)))?.value) ? name : null));
    return { self: made(own?.value), children: live.filter((name): name is string => name !== null) };
  }
}
