import { Problem } from '../errors.js';
import { ancestorsOf, type Collections, liveCollection, parentOf } from './collections.js';
import { checkCompatible, coveringLocks, findLock, grant, type LockRequest, refresh, release, requireHeld, type Submitted, withLocks } from './dav-locks.js';
import type { FileService } from './files.js';
import { liveLocks } from './locks.js';
import { type Change, membershipLocks } from './membership.js';
import { checkWrite, conflictState, currentVersion, headNumber, type WriteIntent } from './rules.js';
import type { Caller, CollectionRecord, DeadProps, FileRecord, Lock, Lockable } from './types.js';
import { childKey, nameOf } from './paths.js';
import { DesktopFiles } from './desktop-files.js';

/** One PROPPATCH instruction: set a dead property to an XML value, or remove it. */
export type PropChange = { name: string; value: string } | { name: string; remove: true };

/** Members visited at most by one recursive operation (DELETE, COPY, MOVE, LOCK of a tree). */
export const MAX_TREE = 10_000;

/**
 * The namespace both APIs share: collections, locks on collections and on files (the same lock
 * record a `/files` check-out uses), locks a collection passes down to what is below it, and
 * dead properties. /dav works on it directly; /files asks it before each write
 * ({@link Namespace.beforeFilesWrite}). Every change is a compare-and-set on one record; a lock
 * inherited from a collection is read from the ancestors' records before the write.
 */
export class Namespace {
  constructor(
    readonly files: FileService,
    readonly collections: Collections,
    /** Desktop file names: /files writes none of them. */
    readonly desktop: DesktopFiles = new DesktopFiles(),
  ) {}

  /** 403 `desktop-file` when `key` is a desktop file's: /files neither writes nor shows one (domain/desktop-files.ts). */
  refuseDesktopFile(key: string): void {
    if (this.desktop.matches(key)) {
      throw new Problem('desktop-file', `${nameOf(key)} is a desktop file name (${this.desktop.patterns.join(', ')}): such files are kept without versions, on the WebDAV mount only`);
    }
  }

  now(): number {
    return this.files.now();
  }

  /** Live locks of the ancestors that cover `key`: depth infinity, or the parent's depth-0 ones for a change of membership; `above` when already read. */
  async inherited(key: string, membership: boolean, above?: Ancestor[]): Promise<{ root: string; locks: Lock[] }[]> {
    return coveringLocks(key, above ?? (await this.ancestors(key)), membership, this.now());
  }

  /** The records of the collections above `key` (the root has none), read at once. */
  async ancestors(key: string): Promise<Ancestor[]> {
    const dirs = ancestorsOf(key).filter((dir) => dir !== '');
    const records = await Promise.all(dirs.map((dir) => this.collections.get(dir)));
    return dirs.map((dir, i) => ({ dir, record: records[i] }));
  }

  /** 423 unless every lock inherited by `key` had one of its tokens submitted by its owner; `above` when already read. */
  async checkInherited(key: string, who: Submitted, membership: boolean, above?: Ancestor[]): Promise<void> {
    const covering = coveringLocks(key, above ?? (await this.ancestors(key)), membership, this.now());
    for (const { root, locks } of covering) requireHeld(`${key} (inside ${root || '/'})`, locks, who, { path: key, lockRoot: root });
  }

  /** Whether the collection `key` would be a member of exists; `above` when already read. */
  async parentExists(key: string, above?: Ancestor[]): Promise<boolean> {
    const parent = parentOf(key);
    if (parent === '') return true;
    return this.collections.exists(parent, (above ?? (await this.ancestors(key))).at(-1)?.record ?? null);
  }

  /**
   * Before a `/files` write of `key`: a lock inherited from a collection (Depth: infinity) needs
   * its token (409 `locked`, with the file's state), and so does a depth-0 lock of a collection
   * whose membership the write changes (domain/membership.ts): it makes a file or a sub-folder
   * where there is none (`write`, or `reserve` by a check-out) or removes a file (`remove`).
   * Such a token counts as submitted for that lock, not as the file's own. A `write` makes
   * deleted ancestor collections live again (a `/files` upload creates its parents). Returns
   * the intent to write with. `read`: the ancestors when the caller has already read them.
   */
  async beforeFilesWrite(key: string, caller: Caller, intent: WriteIntent, change: Change = 'write', read?: Ancestor[]): Promise<WriteIntent> {
    this.refuseDesktopFile(key);
    const token = intent.token;
    const above = read ?? (await this.ancestors(key));
    const now = this.now();
    const membership = await membershipLocks(this, key, above, change, token, now);
    const covering = [...coveringLocks(key, above, false, now), ...membership.entries];
    try {
      for (const { root, locks } of covering) requireHeld(`${key} (inside ${root || '/'})`, locks, { caller, tokens: token ? [token] : [] }, { path: key, lockRoot: root });
    } catch (err) {
      throw await this.withState(key, err);
    }
    if (change === 'write' && above.some((a) => a.record?.deleted)) await this.collections.revive(key, now);
    const prior = intent.guard;
    const { guard } = membership;
    const both = (record: FileRecord | undefined) => {
      prior?.(record);
      guard?.(record);
    };
    const guarded = guard ? { ...intent, guard: both } : intent;
    const held = covering.some((entry) => entry.locks.some((l) => l.token === token));
    return held ? { ...guarded, token: undefined, tokens: [...(intent.tokens ?? []), token as string] } : guarded;
  }

  /** 409 `locked` (423 on /dav) when a collection lock covering `key` leaves no room for a new lock of `scope` on it; `above` when already read. */
  async checkLockable(key: string, scope: 'exclusive' | 'shared', above?: Ancestor[]): Promise<void> {
    try {
      for (const { locks } of await this.inherited(key, false, above)) checkCompatible(key, locks, { scope });
    } catch (err) {
      throw await this.withState(key, err);
    }
  }

  /** A refusal with the file's state added, as every `/files` 409 carries it (what the refusal names wins). */
  async withState(key: string, err: unknown): Promise<unknown> {
    if (err instanceof Problem) Object.assign(err.extras, { ...conflictState(key, await this.files.get(key), this.now()), ...err.extras });
    return err;
  }

  /** 423 unless one of `record`'s own live locks had its token submitted by its owner. */
  checkOwn(key: string, record: Lockable | undefined, who: Submitted): void {
    requireHeld(key, liveLocks(record, this.now()), who, { path: key });
  }

  /** Every live lock on `key` itself and inherited from its collections (for DAV:lockdiscovery and If). */
  async locksOn(key: string, record: Lockable | undefined): Promise<Lock[]> {
    const inherited = (await this.inherited(key, false)).flatMap((entry) => entry.locks);
    return [...liveLocks(record, this.now()), ...inherited];
  }

  /**
   * LOCK: a new lock on a file (an unmapped URL is reserved, 201), or on a collection (Depth
   * infinity covers every member, so no member may hold a conflicting lock).
   */
  async lock(caller: Caller, key: string, request: LockRequest, tokens: string[], guard?: (record: Lockable | undefined) => void, collectionFirst = false): Promise<{ lock: Lock; created: boolean }> {
    const above = await this.ancestors(key);
    for (const { locks } of coveringLocks(key, above, false, this.now())) checkCompatible(key, locks, request);
    const resource = await this.collections.resolve(key, collectionFirst);
    if (resource.kind === 'collection') {
      if (request.depth === 'infinity') await this.checkTree(key, request);
      const lock = await this.collections.update(key, (record) => {
        guard?.(record);
        const base = liveCollection(key, record, this.now());
        const granted = grant(key, base, caller, request, this.now(), 0);
        return { next: withLocks(base, granted.fields), result: granted.lock };
      });
      return { lock, created: false };
    }
    if (!(await this.parentExists(key, above))) throw new Problem('conflict', `the parent collection of ${key} does not exist`);
    await this.checkInherited(key, { caller, tokens }, resource.kind === 'none', above); // locking an unmapped URL adds a member
    return this.files.update(key, (record, now) => {
      guard?.(record);
      const granted = grant(key, record, caller, request, now, headNumber(record));
      const next = withLocks(record ?? { path: key, versions: [], lock: null }, granted.fields);
      return { next, result: { lock: granted.lock, created: !currentVersion(record) } };
    });
  }

  /** No member of collection `key` holds a lock that conflicts with `request`. */
  private async checkTree(key: string, request: LockRequest): Promise<void> {
    await this.walk(key, async (member, _kind, record) => checkCompatible(member, liveLocks(record, this.now()), request));
  }

  /** Refresh the lock `token` on `key` or inherited by it; 412 when there is no such lock. */
  async refresh(caller: Caller, key: string, token: string, seconds: number, collectionFirst = false): Promise<Lock> {
    const root = await this.lockRoot(key, token, collectionFirst);
    if (root.kind === 'file') {
      return this.files.update(root.key, (record, now) => {
        const done = refresh(record, token, caller, seconds, now);
        if (!done || !record) throw noLock(key);
        return { next: withLocks(record, done.fields), result: done.lock };
      });
    }
    return this.collections.update(root.key, (record) => {
      const done = refresh(record, token, caller, seconds, this.now());
      if (!done || !record) throw noLock(key);
      return { next: withLocks(record, done.fields), result: done.lock };
    });
  }

  /** UNLOCK: release the lock `token` on `key` or inherited by it; 409 when there is none. */
  async unlock(caller: Caller, key: string, token: string, collectionFirst = false): Promise<void> {
    const root = await this.lockRoot(key, token, collectionFirst).catch(() => {
      throw new Problem('conflict', `no live lock on ${key} has the token ${token}`);
    });
    const drop = <T extends Lockable>(record: T | undefined) => {
      const fields = release(record, token, caller, this.now());
      if (!fields || !record) throw new Problem('conflict', `no live lock on ${key} has the token ${token}`);
      return { next: withLocks(record, fields), result: undefined };
    };
    if (root.kind === 'file') await this.files.update(root.key, (record) => drop(record));
    else await this.collections.update(root.key, (record) => drop(record));
  }

  /** Where the lock `token` that applies to `key` lives: on `key` itself or on an ancestor. */
  private async lockRoot(key: string, token: string, collectionFirst: boolean): Promise<{ kind: 'file' | 'collection'; key: string }> {
    const now = this.now();
    const resource = await this.collections.resolve(key, collectionFirst);
    if (resource.kind !== 'collection' && findLock(resource.record, token, now)) return { kind: 'file', key };
    if (resource.kind === 'collection' && findLock(resource.record, token, now)) return { kind: 'collection', key };
    for (const { root, locks } of await this.inherited(key, false)) {
      if (locks.some((l) => l.token === token)) return { kind: 'collection', key: root };
    }
    throw noLock(key);
  }

  /** PROPPATCH: apply every change or none (the caller answers 424 for the others when one fails). */
  async patchProps(caller: Caller, key: string, kind: 'file' | 'collection', tokens: string[], changes: PropChange[]): Promise<void> {
    const apply = (props: DeadProps | undefined): DeadProps | undefined => {
      const next = { ...(props ?? {}) };
      for (const change of changes) {
        if ('remove' in change) delete next[change.name];
        else next[change.name] = change.value;
      }
      const size = Object.entries(next).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      if (size > MAX_PROPS_BYTES) throw new Problem('insufficient-storage', `dead properties of ${key} would take ${size} bytes; the limit is ${MAX_PROPS_BYTES}`);
      return Object.keys(next).length > 0 ? next : undefined;
    };
    await this.checkInherited(key, { caller, tokens }, false);
    if (kind === 'file') {
      await this.files.update(key, (record, now) => {
        checkWrite(key, record, caller, { tokens, conditions: {} }, now);
        return { next: withProps(record as FileRecord, apply(record?.props)), result: undefined };
      });
      return;
    }
    await this.collections.update(key, (record) => {
      this.checkOwn(key, record, { caller, tokens });
      const base = liveCollection(key, record, this.now());
      return { next: withProps(base, apply(base.props)), result: undefined };
    });
  }

  /**
   * Visit every member below collection `key` with its record (depth first, a collection
   * before its members), at most {@link MAX_TREE}.
   */
  async walk(key: string, visit: (member: string, kind: MemberKind, record: Lockable | undefined) => Promise<void>, depth = Infinity): Promise<void> {
    let seen = 0;
    const down = async (dir: string, level: number): Promise<void> => {
      const entries = await this.collections.entries(dir);
      const flat: [string, MemberKind, Lockable | undefined][] = [
        ...entries.files.map(({ name, record }) => [name, 'file', record] as [string, MemberKind, Lockable]),
        ...entries.reserved.map(({ name, record }) => [name, 'reserved', record] as [string, MemberKind, Lockable]),
      ];
      for (const [name, kind, record] of flat) {
        if (++seen > MAX_TREE) throw tooBig(key);
        await visit(childKey(dir, name), kind, record);
      }
      for (const { name, record } of entries.collections) {
        if (++seen > MAX_TREE) throw tooBig(key);
        await visit(childKey(dir, name), 'collection', record);
        if (level + 1 < depth) await down(childKey(dir, name), level + 1);
      }
    };
    await down(key, 0);
  }
}

/** A member below a collection, by key, with its record when read. */
export interface Member {
  key: string;
  kind: MemberKind;
  record?: Lockable | undefined;
}

/** A member as {@link Namespace.walk} visits it: a file, a collection, or a path reserved by a lock on an unmapped URL. */
export type MemberKind = 'file' | 'collection' | 'reserved';

/** A collection above a key and its record (none for a directory made by `/files` uploads). */
export interface Ancestor {
  dir: string;
  record: CollectionRecord | undefined;
}

/** Dead properties kept per resource, names and values together (UTF-8 bytes). */
export const MAX_PROPS_BYTES = 64 * 1024;

function withProps<T extends FileRecord | CollectionRecord>(record: T, props: DeadProps | undefined): T {
  const { props: _old, ...rest } = record;
  return (props ? { ...rest, props } : rest) as T;
}

function noLock(key: string): Problem {
  return new Problem('precondition-failed', `no live lock on ${key} has the token sent`);
}

function tooBig(key: string): Problem {
  return new Problem('forbidden', `${key} has more than ${MAX_TREE} members; work on smaller collections`);
}
