import { Problem } from '../errors.js';
import type { Listing, RecordStore } from '../storage/contracts.js';
import { type ListingSummary, MAX_SUMMARY_ENTRIES, type SummaryEntry, summarize, summarizedEntries } from './listing-summary.js';
import type { History } from './history.js';
import { ancestorsOf } from './collections.js';
import { lockHolder, publicLock, shownLock } from './locks.js';
import { mapLimit, READ_CONCURRENCY } from './bounded.js';
import { currentVersion } from './rules.js';
import type { Clock, FileRecord, Lock, Version } from './types.js';
import { childKey } from './paths.js';
import { type DeletedFile, deletedFile } from './deleted-files.js';
import type { Collections } from './collections.js';
import type { DesktopFiles } from './desktop-files.js';

export interface FileEntry {
  name: string;
  type: 'file';
  size: number;
  version: number;
  sha256: string;
  contentType: string | null;
  modifiedAt: string;
  /** Who saved the current version. */
  author: string;
  locked: boolean;
  /** Who holds the lock, while `locked`: the user, and their client's label for them. */
  lockedBy?: { owner: string; label?: string };
}

/** A deleted file in a listing with `withDeleted`: its last version with content, and the delete. */
export type DeletedEntry = FileEntry & Omit<DeletedFile, keyof FileEntry>;

export interface DirectoryEntry {
  name: string;
  type: 'directory';
  /** Deleted on /dav or moved away, with deleted files in it (listed only with `withDeleted`). */
  deleted?: true;
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
    private readonly versionHistory: History,
    private readonly clock: Clock,
    /** The collections of /dav: those made there (MKCOL) are listed too, and their locks shown. */
    private readonly collections?: Collections,
    /** Per-directory listing summaries, where the store keeps them (src/domain/listing-summary.ts). */
    private readonly summaries?: RecordStore<ListingSummary>,
    /** Desktop files, which /files neither lists nor serves (src/domain/desktop-files.ts). */
    private readonly desktop?: DesktopFiles,
  ) {}

  /** The names of a listing's files that /files shows: every one but desktop files. */
  private shown(dir: string, names: string[]): string[] {
    const desktop = this.desktop;
    return desktop ? names.filter((name) => !desktop.matches(childKey(dir, name))) : names;
  }

  /** The entries of a listing from the directory's summary, when the store keeps them and listed the revisions. */
  private async summarized(dir: string, listing: Listing | undefined): Promise<Map<string, SummaryEntry> | undefined> {
    const revisions = listing?.revisions;
    if (!this.summaries || !revisions || revisions.size > MAX_SUMMARY_ENTRIES) return undefined;
    return summarizedEntries(dir, revisions, this.records, this.summaries, (items, read) => mapLimit(items, READ_CONCURRENCY, read));
  }

  private locksOver(dirs: string[]): Promise<Lock[]> {
    return this.collections ? this.collections.locksPassedDown(dirs) : Promise.resolve([]);
  }

  private madeCollections(dir: string): Promise<{ self: boolean; children: string[]; gone: string[] }> {
    return this.collections ? this.collections.made(dir) : Promise.resolve({ self: false, children: [], gone: [] });
  }

  /** Version `n`, or the current version; 404 for a missing file, version or delete marker. */
  async version(key: string, n?: number): Promise<Version> {
    const record = (await this.records.get(key))?.value;
    const version = n === undefined ? currentVersion(record) : await this.versionHistory.version(record, n);
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
    const versions = await this.versionHistory.newest(record, limit, before);
    const oldest = versions.at(-1)?.version ?? 1;
    const lock = shownLock(record, this.clock()) ?? covering[0] ?? null;
    return { path: key, versions, lock: publicLock(lock), ...(oldest > 1 && versions.length === limit ? { nextBefore: oldest } : {}) };
  }

  /**
   * The lock that refuses a write without its token: the file's own, else a /dav collection's
   * above it (its `path` is the collection's). Its token is shown only to `owner` when given
   * (with users configured, the lock's owner fetching its own token back).
   */
  async lock(key: string, owner?: string): Promise<Omit<Lock, 'token'> & { token?: string }> {
    const [stored, covering] = await Promise.all([this.records.get(key), this.locksOver(ancestorsOf(key))]);
    const shown = shownLock(stored?.value, this.clock()) ?? covering[0] ?? null;
    if (!shown) throw new Problem('not-found', `${key} is not checked out`);
    return owner !== undefined && shown.owner === owner ? shown : (publicLock(shown) as Omit<Lock, 'token'>);
  }

  /**
   * Whether `dir/` has something to show: a sub-directory, or a file with a current version
   * (read one record at a time, stopping at the first). Cheaper than {@link list} on a big folder.
   */
  async hasEntries(dir: string): Promise<boolean> {
    const [listing, made] = await Promise.all([this.records.list(dir), this.madeCollections(dir)]);
    if (subdirectories(listing, made).some((d) => !d.gone)) return true;
    if (!listing) return false;
    for (const name of this.shown(dir, listing.files)) if (currentVersion((await this.records.get(childKey(dir, name)))?.value)) return true;
    return false;
  }

  /**
   * One directory level: sub-directories, then files that have a current version (merely
   * reserved paths are left out; deleted files, and folders deleted on /dav or moved away,
   * unless `withDeleted`). The root always exists.
   */
  async list(dir: string, withDeleted = false): Promise<{ path: string; entries: (DirectoryEntry | FileEntry)[] }> {
    const [listing, made, covering] = await Promise.all([this.records.list(dir), this.madeCollections(dir), this.locksOver([...ancestorsOf(dir), dir])]);
    if (!listing && !made.self && dir !== '') throw new Problem('not-found', `no directory ${dir}/`);
    const names = this.shown(dir, listing?.files ?? []);
    const summarized = await this.summarized(dir, listing);
    const now = this.clock();
    const files = await mapLimit(names, READ_CONCURRENCY, async (name): Promise<FileEntry | DeletedEntry | null> => {
      const read = summarized ? undefined : await this.records.get(childKey(dir, name));
      const entry = summarized ? summarized.get(name) : read && summarize(read.value, read.revision);
      const own = entry !== undefined && entry.lockedUntil !== null && entry.lockedUntil > now;
      const locked = covering.length > 0 || own;
      const holder = own ? entry?.lockedBy : covering[0] && lockHolder(covering[0]);
      if (entry?.file) return { name, type: 'file', ...entry.file, locked, ...(holder ? { lockedBy: holder } : {}) };
      // Deleted (or only reserved): its record tells, read unless the listing read it already.
      const record = withDeleted && entry ? (read ?? (await this.records.get(childKey(dir, name))))?.value : undefined;
      const deleted = record && (await deletedFile(record, this.versionHistory));
      return deleted ? { name, type: 'file', ...deleted, locked } : null;
    });
    const directories = subdirectories(listing, made).flatMap(({ name, gone }): DirectoryEntry[] => {
      if (!gone) return [{ name, type: 'directory' }];
      return withDeleted ? [{ name, type: 'directory', deleted: true }] : [];
    });
    return { path: dir === '' ? '' : `${dir}/`, entries: [...directories, ...files.filter((f): f is FileEntry => f !== null)] };
  }
}

/**
 * The sub-directories of a listing and of the collections made on /dav, sorted; `gone` for one
 * deleted on /dav or moved away (gone, as it is on /dav, though its deleted files stay in it).
 */
function subdirectories(listing: Listing | undefined, made: { children: string[]; gone: string[] }): { name: string; gone: boolean }[] {
  const gone = new Set(made.gone);
  return [...new Set([...(listing?.directories ?? []), ...made.children])].sort().map((name) => ({ name, gone: gone.has(name) }));
}
