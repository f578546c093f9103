import { randomUUID } from 'node:crypto';
import { Problem } from '../errors.js';
import type { BlobStore, RecordStore, StagedBlob } from '../storage/contracts.js';
import { compareAndSet, type Seen } from './compare-and-set.js';
import { addToRanges, type History } from './history.js';
import { checkCompatible, release, withLocks } from './dav-locks.js';
import { liveLock, liveLocks, type LockTimeouts } from './locks.js';
import { type RetentionRule, versionsToPrune } from './retention.js';
import { checkLock, checkWrite, conflictState, currentVersion, headNumber, type WriteIntent } from './rules.js';
import type { Caller, Clock, DeadProps, FileRecord, Lock, Version } from './types.js';

/**
 * What happened to locks and content, for metrics: a lock taken, refreshed or released by its
 * holder, an expired lock replaced by a later write, a lock broken by an admin (`forced`); an
 * upload whose bytes were stored (`blob-new`) or already stored (`dedup-hit`).
 */
export type FileEvent = 'lock-taken' | 'lock-refreshed' | 'lock-released' | 'lock-expired' | 'lock-forced' | 'blob-new' | 'dedup-hit';

export interface FileServiceOptions {
  records: RecordStore<FileRecord>;
  /** Where older versions are paged out to; shared with the readers for its cache. */
  history: History;
  blobs: BlobStore;
  clock: Clock;
  lockTimeouts: LockTimeouts;
  /**
   * Paths kept without history (desktop files, src/domain/desktop-files.ts): a record made under
   * such a name is {@link FileRecord.unversioned} and keeps only its newest version.
   */
  unversioned?: (key: string) => boolean;
  /** Told of each {@link FileEvent} once its write is stored. */
  events?: (event: FileEvent) => void;
}

/** Bytes already staged and hashed, waiting to become a version. */
export interface StagedContent {
  staged: StagedBlob;
  sha256: string;
  size: number;
  contentType: string | null;
  comment?: string | undefined;
  /** The tag of the resumable upload it comes from (src/domain/uploads.ts), kept on its version. */
  upload?: string | undefined;
  /** Hex SHA-1 and MD5 of the content, when computed (kept on its version). */
  sha1?: string | undefined;
  md5?: string | undefined;
  /** The client's modification time of the file, ISO 8601 (kept on its version). */
  mtime?: string | undefined;
}

export interface WriteResult {
  version: Version;
  /** True when the path had no current version before (HTTP 201). */
  created: boolean;
  /** True when a check-in released the lock. */
  released: boolean;
}

/** What one compare-and-set round decided: the record to write (if any) and the answer. */
export interface Decision<R> {
  next?: FileRecord;
  result: R;
  /** The new record references the staged blob, which must be committed first. */
  needsBlob?: boolean;
}

/**
 * The rules of versions and check-outs. Every change is decided on a freshly read record and
 * written by compare-and-set; a lost race re-reads and decides again, so no check ever runs
 * between a read and a separate, unguarded write.
 */
export class FileService {
  constructor(private readonly opts: FileServiceOptions) {}

  get lockTimeouts(): LockTimeouts {
    return this.opts.lockTimeouts;
  }

  /**
   * Early refusal before a body is read; the authoritative check runs again at commit. Returns
   * the record it read, for the commit's first round ({@link upload}'s `seen`).
   */
  async precheck(caller: Caller, key: string, intent: WriteIntent, lockRequired = false): Promise<Seen<FileRecord>> {
    const stored = await this.opts.records.get(key);
    checkWrite(key, stored?.value, caller, intent, this.opts.clock(), lockRequired);
    return { stored };
  }

  /**
   * A new version from staged bytes; with `checkin`, the caller's lock is released in the same
   * write. `seen`: the precheck's read of the record, which the first round decides on.
   */
  async upload(caller: Caller, key: string, intent: WriteIntent, content: StagedContent, checkin = false, seen?: Seen<FileRecord>): Promise<WriteResult> {
    let committed = false;
    let fresh = false;
    // Whether the record write may have landed unseen: it failed, and not by a refusal.
    let uncertain = false;
    try {
      const result = await this.update(
        key,
        (record, now) => {
          // A resumable upload's commit retried after its version was written: that version,
          // whatever happened since (its own preconditions held when it was written).
          const made = content.upload && record?.versions.find((v) => v.upload === content.upload);
          if (made) return { result: { version: made, created: false, released: checkin } };
          const lock = checkWrite(key, record, caller, intent, now, checkin);
          return this.addVersion(key, record, caller, lock, now, content, checkin);
        },
        async () => {
          if (!committed) fresh = await this.opts.blobs.commit(content.staged, content.sha256);
          committed = true;
        },
        seen,
      );
      if (committed) this.opts.events?.(fresh ? 'blob-new' : 'dedup-hit');
      if (result.released) this.opts.events?.('lock-released');
      return result;
    } catch (err) {
      uncertain = !(err instanceof Problem);
      throw err;
    } finally {
      if (!committed) await this.opts.blobs.discard(content.staged);
      else await this.opts.blobs.settle?.(content.staged, uncertain); // the record write has ended
    }
  }

  /** Release the caller's lock without new content (check-in with an empty body). */
  async checkin(caller: Caller, key: string, intent: WriteIntent, seen?: Seen<FileRecord>): Promise<{ version: Version | null; released: true }> {
    return this.update(
      key,
      (record, now) => {
        checkWrite(key, record, caller, intent, now, true);
        const next = { ...(record as FileRecord), lock: null };
        return { next, result: { version: currentVersion(record), released: true as const } };
      },
      undefined,
      seen,
    ).then((out) => {
      this.opts.events?.('lock-released');
      return out;
    });
  }

  /** A delete marker version; the history stays. With `releaseLocks` (WebDAV), no lock stays either. */
  async remove(caller: Caller, key: string, intent: WriteIntent, releaseLocks = false): Promise<Version> {
    return this.update(key, (record, now) => {
      const lock = checkWrite(key, record, caller, intent, now);
      if (!record || !currentVersion(record)) throw new Problem('not-found', `no file at ${key}`);
      const marker: Version = {
        version: headNumber(record) + 1,
        sha256: null,
        size: 0,
        contentType: null,
        createdAt: new Date(now).toISOString(),
        author: caller.name,
        deleted: true,
      };
      const next = this.withVersion(key, record, marker, releaseLocks ? null : lock);
      // WebDAV: a DELETE removes every lock on the resource (RFC 4918 §9.6.1).
      return { next: releaseLocks ? withLocks(next, { lock: null }) : next, result: marker };
    });
  }

  /** A new version whose content is version `n`'s. */
  async restore(caller: Caller, key: string, n: number, intent: WriteIntent, comment?: string): Promise<WriteResult> {
    return this.update(key, async (record, now) => {
      const lock = checkWrite(key, record, caller, intent, now);
      const source = await this.opts.history.version(record, n);
      if (!source) throw new Problem('not-found', `${key} has no version ${n}`);
      if (source.deleted || !source.sha256) throw new Problem('bad-request', `version ${n} of ${key} is a delete marker; restore a version with content`);
      if (source.pruned) throw new Problem('version-pruned', `version ${n} of ${key} was pruned by retention; its bytes are gone`);
      const content = { ...sameBytes(source), comment: comment ?? `restored from version ${n}` };
      return this.addVersion(key, record, caller, lock, now, content, false);
    });
  }

  /**
   * WebDAV COPY/MOVE: a new version at `key` with the content of `source` (a version of any
   * file; content-addressed, so no byte is copied) and, when given, its dead properties.
   */
  async copyVersion(caller: Caller, key: string, intent: WriteIntent, source: Version, props: DeadProps | undefined): Promise<WriteResult> {
    return this.update(key, (record, now) => {
      const lock = checkWrite(key, record, caller, intent, now);
      // A copy keeps the client's modification time, as a file copied on a disk does.
      const content = { ...sameBytes(source), mtime: source.mtime };
      const decision = this.addVersion(key, record, caller, lock, now, content, false);
      const base = decision.next ?? (record as FileRecord);
      const { props: _old, ...rest } = base;
      return { ...decision, next: props && Object.keys(props).length > 0 ? { ...rest, props } : rest };
    });
  }

  /** Take the lock, or refresh it when the request carries the holder's token. Reserves a path with no file. */
  async checkout(caller: Caller, key: string, intent: WriteIntent, seconds: number, label?: string): Promise<{ lock: Lock; refreshed: boolean }> {
    return this.update(key, (record, now) => {
      const held = checkWrite(key, record, caller, intent, now);
      // A shared WebDAV lock's token lets its holder write, not take the exclusive lock beside it.
      if (!held) checkCompatible(key, liveLocks(record, now), { scope: 'exclusive' });
      const expiresAt = new Date(now + seconds * 1000).toISOString();
      // A refresh keeps the label unless it names a new one.
      const named = label !== undefined ? { label } : {};
      const lock: Lock = held
        ? { ...held, expiresAt, ...named }
        : { path: key, token: `urn:uuid:${randomUUID()}`, owner: caller.name, createdAt: new Date(now).toISOString(), expiresAt, baseVersion: headNumber(record), ...named };
      const next: FileRecord = { ...(record ?? { path: key, versions: [] }), lock };
      return { next, result: { lock, refreshed: held !== null } };
    }).then((out) => {
      this.opts.events?.(out.refreshed ? 'lock-refreshed' : 'lock-taken');
      return out;
    });
  }

  /** Release without a new version: with the holder's token, or by an admin with `force`. */
  async uncheckout(caller: Caller, key: string, token: string | undefined, force: boolean): Promise<void> {
    if (force && caller.role !== 'admin') throw new Problem('forbidden', `only an admin may break a lock; ${caller.name} is not one`);
    await this.update(key, (record, now) => {
      if (force) {
        if (!liveLock(record, now)) throw new Problem('not-checked-out', `${key} is not checked out`, conflictState(key, record, now));
        return { next: { ...(record as FileRecord), lock: null }, result: undefined };
      }
      checkLock(key, record, caller, { token }, now, true);
      // The token may name a WebDAV shared lock: release that one, keep the others.
      return { next: withLocks(record as FileRecord, release(record, token as string, caller, now) ?? { lock: null }), result: undefined };
    });
    this.opts.events?.(force ? 'lock-forced' : 'lock-released');
  }

  /**
   * Pin version `n` (retention never prunes it) or unpin it. Metadata only: no new version, and
   * the lock rules of content writes do not apply; read-only callers are refused by the HTTP layer.
   */
  async pin(key: string, n: number, pinned: boolean): Promise<Version> {
    return this.update(key, async (record) => {
      const version = await this.opts.history.version(record, n);
      if (!record || !version) throw new Problem('not-found', `${key} has no version ${n}`);
      if (version.deleted) throw new Problem('bad-request', `version ${n} of ${key} is a delete marker; only versions with content are pinned`);
      if (version.pruned) throw new Problem('version-pruned', `version ${n} of ${key} was pruned by retention; its bytes are gone`);
      if ((version.pinned === true) === pinned) return { result: version };
      const { pinned: _old, ...rest } = version;
      const next: Version = pinned ? { ...rest, pinned: true } : rest;
      if (n > (record.sealed ?? 0)) return { next: { ...record, versions: record.versions.map((v) => (v.version === n ? next : v)) }, result: next };
      // A paged version: its flag lives in the record's list, the page never changes.
      const { sealedPinned = [], ...base } = record;
      const list = pinned ? [...sealedPinned, n] : sealedPinned.filter((p) => p !== n);
      return { next: list.length > 0 ? { ...base, sealedPinned: list } : base, result: next };
    });
  }

  /** Mark the versions `rule` lets go as pruned (their blobs are then unreferenced); returns their numbers and bytes. */
  async prune(key: string, rule: RetentionRule): Promise<{ versions: number[]; bytes: number }> {
    return this.update(key, async (record, now) => {
      const all = record ? await this.opts.history.all(record) : [];
      const doomed = new Set(versionsToPrune(all, rule, now));
      if (!record || doomed.size === 0) return { result: { versions: [], bytes: 0 } };
      const gone = all.filter((v) => doomed.has(v.version));
      const bytes = gone.reduce((sum, v) => sum + v.size, 0);
      const sealedPruned = addToRanges(
        record.sealedPruned ?? [],
        gone.filter((v) => v.version <= (record.sealed ?? 0)).map((v) => v.version),
      );
      const versions = record.versions.map((v): Version => (doomed.has(v.version) ? { ...v, pruned: true } : v));
      return {
        next: { ...record, versions, ...(sealedPruned.length > 0 ? { sealedPruned } : {}) },
        result: { versions: [...doomed], bytes },
      };
    });
  }

  async get(key: string): Promise<FileRecord | undefined> {
    return (await this.opts.records.get(key))?.value;
  }

  now(): number {
    return this.opts.clock();
  }

  private addVersion(key: string, record: FileRecord | undefined, caller: Caller, lock: Lock | null, now: number, content: Omit<StagedContent, 'staged'>, checkin: boolean): Decision<WriteResult> {
    const current = currentVersion(record);
    if (current && current.sha256 === content.sha256) {
      // Same bytes as the current version: idempotent, no new version; a new client mtime (a
      // sync client re-sending a touched file) is metadata, set on the current version.
      const touched = content.mtime !== undefined && content.mtime !== current.mtime ? { ...current, mtime: content.mtime } : current;
      const result = { version: touched, created: false, released: checkin };
      const versions = touched === current ? undefined : [...(record as FileRecord).versions.slice(0, -1), touched];
      if (!checkin && !versions) return { result };
      return { next: { ...(record as FileRecord), ...(versions ? { versions } : {}), ...(checkin ? { lock: null } : {}) }, result };
    }
    const version: Version = {
      version: headNumber(record) + 1,
      sha256: content.sha256,
      size: content.size,
      contentType: content.contentType,
      createdAt: new Date(now).toISOString(),
      author: caller.name,
      ...(content.comment ? { comment: content.comment } : {}),
      ...(content.upload ? { upload: content.upload } : {}),
      ...(content.sha1 ? { sha1: content.sha1 } : {}),
      ...(content.md5 ? { md5: content.md5 } : {}),
      ...(content.mtime ? { mtime: content.mtime } : {}),
    };
    const next = this.withVersion(key, record, version, checkin ? null : lock);
    return { next, result: { version, created: current === null, released: checkin }, needsBlob: true };
  }

  /**
   * The record with `version` appended; the holder's lock (if any) follows the file to its new
   * head. A desktop file's record (made under such a name, or kept as one since) keeps only it;
   * a save that appends instead (the name is no desktop file's now) makes it an ordinary file
   * for good, so a file that has had versions never loses them.
   */
  private withVersion(key: string, record: FileRecord | undefined, version: Version, lock: Lock | null): FileRecord {
    const held = lock ? { ...lock, baseVersion: version.version } : null;
    const fresh = !record || record.versions.length === 0 || (record.unversioned && !record.sealed && record.versions.length === 1 && !record.versions[0]?.pinned);
    if (this.opts.unversioned?.(key) && fresh) return { ...(record ?? {}), path: key, versions: [version], lock: held, unversioned: true };
    const { unversioned: _kind, ...rest } = record ?? {};
    return { ...rest, path: key, versions: [...(record?.versions ?? []), version], lock: held };
  }

  /**
   * One compare-and-set of the record of `key` ({@link compareAndSet}): `decide` runs every rule
   * on the record it is about to replace, at the time `now` of its round; `prepare` runs once a
   * write that needs the staged blob is decided. Records are paged into history as they grow.
   * `seen`: an earlier read the first round decides on ({@link compareAndSet}).
   */
  async update<R>(key: string, decide: (record: FileRecord | undefined, now: number) => Decision<R> | Promise<Decision<R>>, prepare?: () => Promise<void>, seen?: Seen<FileRecord>): Promise<R> {
    let now = this.opts.clock();
    const out = await compareAndSet<FileRecord, R>(
      this.opts.records,
      key,
      async (record) => {
        now = this.opts.clock();
        const decision = await decide(record, now);
        return { ...decision, prepare: decision.needsBlob ? prepare : undefined };
      },
      (next) => this.opts.history.seal(next),
      seen,
    );
    const old = out.replaced?.lock;
    if (out.written && old && !liveLock(out.replaced, now) && out.written.lock?.token !== old.token) this.opts.events?.('lock-expired');
    return out.result;
  }
}

/** The content of an existing version, for a new version with the same bytes (restore, COPY, MOVE). */
function sameBytes(source: Version): Omit<StagedContent, 'staged'> {
  return { sha256: source.sha256 as string, size: source.size, contentType: source.contentType, sha1: source.sha1, md5: source.md5 };
}
