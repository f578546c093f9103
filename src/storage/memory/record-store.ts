import { RevisionMismatch, StorageUnavailable, type Listing, type RecordStore, type Revision, type StoredRecord } from '../contracts.js';
import { splitKey } from '../keys.js';

interface Entry<T> {
  /** Counts the writes of this key: 1 for the first. */
  revision: number;
  value: T;
}

/**
 * Records in a Map, for tests. put() is compare-and-set under a per-key queue (the fs
 * backend's record lock, in memory): the revision is checked before `prepare` runs, so a put
 * that loses the race never prepares, and no other put of the key runs until this one is
 * written or refused. Values are stored and handed out as deep copies (structuredClone):
 * a caller that changes an object after put() or get() does not change the stored record.
 * Directories are not stored: list() derives them from the keys, as S3 does from its object
 * keys (records are never deleted, so a directory exists while any record is below it).
 */
export class MemoryRecordStore<T> implements RecordStore<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** The tail of each key's queue of puts. */
  private readonly queues = new Map<string, Promise<void>>();
  private closed = false;

  async get(key: string): Promise<StoredRecord<T> | undefined> {
    splitKey(key);
    const entry = this.entries.get(key);
    return entry && { value: structuredClone(entry.value), revision: String(entry.revision) };
  }

  async put(key: string, value: T, expected: Revision | null, prepare?: () => Promise<void>): Promise<Revision> {
    splitKey(key);
    const copy = structuredClone(value); // as it is now, whatever the caller does with it meanwhile
    return this.exclusive(key, async () => {
      if (this.closed) throw new StorageUnavailable(`cannot write record ${key}: the in-memory store is closed`);
      const current = this.entries.get(key);
      if ((current ? String(current.revision) : null) !== expected) throw new RevisionMismatch(key);
      await prepare?.();
      const revision = (current?.revision ?? 0) + 1;
      this.entries.set(key, { revision, value: copy });
      return String(revision);
    });
  }

  async list(dir: string): Promise<Listing | undefined> {
    const segments = dir === '' ? [] : splitKey(dir);
    const prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;
    const files = new Set<string>();
    const directories = new Set<string>();
    for (const key of this.entries.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) files.add(rest);
      else directories.add(rest.slice(0, slash));
    }
    // The root always exists; another directory only while a record is below it.
    if (dir !== '' && files.size === 0 && directories.size === 0) return undefined;
    return { files: [...files].sort(), directories: [...directories].sort() };
  }

  async *scan(): AsyncIterable<string> {
    // The keys as they are now: each once; one created meanwhile is not listed.
    yield* [...this.entries.keys()];
  }

  /** Later puts fail as on a store that is gone; reads go on. */
  async remove(key: string): Promise<void> {
    splitKey(key);
    await this.exclusive(key, async () => {
      this.entries.delete(key);
    });
  }

  close(): void {
    this.closed = true;
  }

  /** Run `fn` once every earlier put of `key` has settled; the next waits for it in turn. */
  private async exclusive<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    let release = () => {};
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.queues.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }
}
