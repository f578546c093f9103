import { LRUCache } from 'lru-cache';
import { RevisionMismatch, type RecordStore } from '../storage/contracts.js';
import type { FileRecord, HistoryPage, Version } from './types.js';

export type { HistoryPage } from './types.js';

/**
 * Versions per history page. A record keeps its newest versions (1..PAGE_SIZE of them) and
 * moves older ones, PAGE_SIZE at a time, into immutable pages: an upload rewrites a record of
 * bounded size whatever the length of the history, and writes one page every PAGE_SIZE uploads.
 */
export const PAGE_SIZE = 16;

/** Pages kept in memory per process; a page never changes once written, so no invalidation. */
const CACHED_PAGES = 4096;

/** Sealed versions' pin flags and pruned ranges live in the record, so pages stay immutable. */
function flagged(record: FileRecord, v: Version): Version {
  const { pinned: _p, pruned: _r, ...rest } = v;
  const pinned = record.sealedPinned?.includes(v.version) === true;
  const pruned = record.sealedPruned?.some(([a, b]) => v.version >= a && v.version <= b) === true;
  return { ...rest, ...(pinned ? { pinned: true as const } : {}), ...(pruned ? { pruned: true as const } : {}) };
}

/**
 * Where a record's older versions live: pages in a record store of their own, keyed
 * `<path>/<page number>`. A page's content is fixed by the versions it holds (flags are kept in
 * the record), so writing it is idempotent and a writer that loses a race leaves either
 * nothing or the very page the winner needs.
 */
export class History {
  private readonly cache = new LRUCache<string, Version[]>({ max: CACHED_PAGES });

  constructor(private readonly pages: RecordStore<HistoryPage>) {}

  /** Version `n` with its flags, or undefined when the file has no such version. */
  async version(record: FileRecord | undefined, n: number): Promise<Version | undefined> {
    if (!record || !Number.isSafeInteger(n) || n < 1) return undefined;
    const sealed = record.sealed ?? 0;
    if (n > sealed) return record.versions.find((v) => v.version === n);
    const page = await this.page(record.path, Math.floor((n - 1) / PAGE_SIZE));
    const v = page[(n - 1) % PAGE_SIZE];
    return v && flagged(record, v);
  }

  /** Up to `limit` versions numbered below `before`, newest first. */
  async newest(record: FileRecord, limit: number, before = Infinity): Promise<Version[]> {
    const out: Version[] = [];
    for (let i = record.versions.length - 1; i >= 0 && out.length < limit; i--) {
      const v = record.versions[i] as Version;
      if (v.version < before) out.push(v);
    }
    let n = Math.min(record.sealed ?? 0, before - 1);
    while (out.length < limit && n >= 1) {
      const page = await this.page(record.path, Math.floor((n - 1) / PAGE_SIZE));
      for (let i = (n - 1) % PAGE_SIZE; i >= 0 && out.length < limit; i--, n--) out.push(flagged(record, page[i] as Version));
    }
    return out;
  }

  /** The whole history, oldest first, flags applied (maintenance: retention, GC, stats). */
  async all(record: FileRecord): Promise<Version[]> {
    const sealed = record.sealed ?? 0;
    const out: Version[] = [];
    for (let k = 0; k * PAGE_SIZE < sealed; k++) {
      for (const v of await this.page(record.path, k)) out.push(flagged(record, v));
    }
    return [...out, ...record.versions];
  }

  /**
   * The record to write with its oldest versions sealed into pages, keeping at least one in the
   * record; the pages are written before it resolves (they stay invisible until a record with
   * a higher `sealed` is written). Pin flags move to `sealedPinned`, pruned ones to ranges.
   */
  async seal(record: FileRecord): Promise<FileRecord> {
    if (record.versions.length <= PAGE_SIZE) return record;
    let next = record;
    const writes: Promise<void>[] = [];
    while (next.versions.length > PAGE_SIZE) {
      const first = (next.sealed ?? 0) + 1;
      const moved = next.versions.slice(0, PAGE_SIZE);
      if (moved[0]?.version !== first) throw new Error(`record ${record.path}: version ${first} expected at the head of its tail`);
      const pinned = [...(next.sealedPinned ?? []), ...moved.filter((v) => v.pinned).map((v) => v.version)];
      const pruned = addToRanges(
        next.sealedPruned ?? [],
        moved.filter((v) => v.pruned).map((v) => v.version),
      );
      const page: HistoryPage = { path: record.path, first, versions: moved.map(({ pinned: _p, pruned: _r, ...rest }) => rest) };
      writes.push(this.write(page));
      next = {
        ...next,
        versions: next.versions.slice(PAGE_SIZE),
        sealed: first + PAGE_SIZE - 1,
        ...(pinned.length > 0 ? { sealedPinned: pinned } : {}),
        ...(pruned.length > 0 ? { sealedPruned: pruned } : {}),
      };
    }
    await Promise.all(writes);
    return next;
  }

  private async write(page: HistoryPage): Promise<void> {
    const k = (page.first - 1) / PAGE_SIZE;
    try {
      await this.pages.put(pageKey(page.path, k), page, null);
    } catch (err) {
      // Already written, by an earlier attempt or a racing writer: with the same content.
      if (!(err instanceof RevisionMismatch)) throw err;
    }
    this.remember(`${page.path}\0${k}`, page.versions);
  }

  private async page(path: string, k: number): Promise<Version[]> {
    const id = `${path}\0${k}`;
    const cached = this.cache.get(id);
    if (cached) return cached;
    const stored = (await this.pages.get(pageKey(path, k)))?.value;
    if (!stored || stored.versions.length !== PAGE_SIZE) throw new Error(`history page ${k} of ${path} is missing or damaged`);
    this.remember(id, stored.versions);
    return stored.versions;
  }

  private remember(id: string, versions: Version[]): void {
    this.cache.set(id, versions);
  }
}

function pageKey(path: string, k: number): string {
  return `${path}/${k}`;
}

/** Inclusive ranges, sorted and merged, with the numbers `ns` added. */
export function addToRanges(ranges: readonly [number, number][], ns: readonly number[]): [number, number][] {
  const all = [...ranges, ...ns.map((n): [number, number] => [n, n])].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of all) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
