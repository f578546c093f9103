import type { RecordStore, Revision } from '../storage/contracts.js';
import { liveLocks, lockHolder } from './locks.js';
import { childKey } from './paths.js';
import { currentVersion } from './rules.js';
import type { FileRecord } from './types.js';

/** What a listing shows of one file, apart from its lock state (which depends on the time). */
export interface ListedFile {
  size: number;
  version: number;
  sha256: string;
  contentType: string | null;
  modifiedAt: string;
  /** Who saved the current version. */
  author: string;
}

/** One file of a {@link ListingSummary}, valid while its record is at `revision`. */
export interface SummaryEntry {
  revision: Revision;
  /** null: the file has no current version (deleted, or only reserved), so it is not listed. */
  file: ListedFile | null;
  /** When its last shown lock expires (ms since the epoch), null when it has none. */
  lockedUntil: number | null;
  /** Who holds that lock (and their client's label for them). */
  lockedBy?: { owner: string; label?: string } | undefined;
}

/**
 * What a listing of one directory showed, by file name, each entry with the revision of the
 * record it came from. A listing that gets the records' revisions with the names (S3 lists
 * ETags) reads only the records whose revision differs from the summary's, so an unchanged
 * directory lists with one read however many files it holds. It is a cache: an entry whose
 * revision no longer matches is read again, so a stale or lost summary costs reads, never a
 * wrong answer.
 */
export interface ListingSummary {
  entries: Record<string, SummaryEntry>;
}

/** Directories with more files than this are listed from their records (a summary is one object, read whole). */
export const MAX_SUMMARY_ENTRIES = 10_000;

/** The key a directory's summary is stored under (`~` as the last segment: no file name is looked up there). */
export function summaryKey(dir: string): string {
  return dir === '' ? '~' : `${dir}/~`;
}

/** The summary entry of a record read at `revision`. */
export function summarize(record: FileRecord | undefined, revision: Revision): SummaryEntry {
  const current = currentVersion(record);
  const shown = liveLocks(record, 0).filter((lock) => !lock.operation);
  const lockedUntil = shown.length > 0 ? Math.max(...shown.map((lock) => Date.parse(lock.expiresAt))) : null;
  const last = shown.find((lock) => Date.parse(lock.expiresAt) === lockedUntil);
  const file = current?.sha256
    ? { size: current.size, version: current.version, sha256: current.sha256, contentType: current.contentType, modifiedAt: current.createdAt, author: current.author }
    : null;
  return { revision, file, lockedUntil, ...(last ? { lockedBy: lockHolder(last) } : {}) };
}

/**
 * The entries of the files `revisions` names (name → revision of its record, as listed): from
 * `summaries` where the revision matches, else read from `records`. When any entry was read,
 * the summary is written back for the next listing (compare-and-set on the one read; a lost
 * race or a failed write is left for a later listing).
 */
export async function summarizedEntries(
  dir: string,
  revisions: Map<string, Revision>,
  records: RecordStore<FileRecord>,
  summaries: RecordStore<ListingSummary>,
  readAll: <T, R>(items: T[], read: (item: T) => Promise<R>) => Promise<R[]>,
): Promise<Map<string, SummaryEntry>> {
  const key = summaryKey(dir);
  const stored = await summaries.get(key).catch(() => undefined);
  const known = stored?.value.entries ?? {};
  // An entry written before summaries named the author and the lock holder is read again, once.
  const current = (entry: SummaryEntry | undefined, revision: Revision) =>
    entry?.revision === revision && (entry.file === null || entry.file.author !== undefined) && (entry.lockedUntil === null || entry.lockedBy !== undefined);
  const stale = [...revisions].filter(([name, revision]) => !current(known[name], revision)).map(([name]) => name);
  const fresh = await readAll(stale, async (name) => {
    const read = await records.get(childKey(dir, name));
    return [name, read ? summarize(read.value, read.revision) : null] as const;
  });
  const entries = new Map<string, SummaryEntry>();
  for (const [name, revision] of revisions) if (current(known[name], revision)) entries.set(name, known[name] as SummaryEntry);
  for (const [name, entry] of fresh) {
    if (entry) entries.set(name, entry);
    else entries.delete(name);
  }
  const dropped = Object.keys(known).some((name) => !revisions.has(name));
  if (stale.length > 0 || dropped) {
    // A lost race (RevisionMismatch) or a store that is away: a later listing writes it.
    await summaries.put(key, { entries: Object.fromEntries(entries) }, stored?.revision ?? null).catch(() => {});
  }
  return entries;
}
