import { Problem } from '../errors.js';
import { holderOf, liveLocks, lockSummary } from './locks.js';
import { currentVersion } from './rules.js';
import type { FileRecord, Lock } from './types.js';
import type { Ancestor, Namespace } from './namespace.js';

/** What a `/files` write does to the folders above it: makes or keeps a file, reserves a path, or deletes a file. */
export type Change = 'write' | 'reserve' | 'remove';

/** Depth-0 locks of collections whose membership a write changes, and a guard for its compare-and-set. */
export interface Membership {
  entries: { root: string; locks: Lock[] }[];
  /** Refuses, at the write, a file that stopped being a member since it was judged one (so its write would add it). */
  guard?: (record: FileRecord | undefined) => void;
}

/** A path is a member of its folder while it has a current version or a live lock reserves it (RFC 2518 §7.4). */
function isMember(record: FileRecord | undefined, now: number): boolean {
  return currentVersion(record) !== null || liveLocks(record, now).length > 0;
}

/**
 * A collection lock with Depth 0 guards its membership (RFC 4918 §7.5): this finds, among the
 * collections `above` a `/files` write of `key`, those whose members it adds or removes: the
 * parent when the write makes a file where there is none (or deletes one), and a higher one
 * when the write makes the missing sub-folder on the way down. Records are read only when some
 * collection above holds a depth-0 lock. `token`: the one the request sent (its holder needs no guard).
 */
export async function membershipLocks(dav: Namespace, key: string, above: Ancestor[], change: Change, token: string | undefined, now: number): Promise<Membership> {
  const zero = above.map((a) => ({ dir: a.dir, locks: liveLocks(a.record, now).filter((l) => l.depth !== 'infinity') })).filter((a) => a.locks.length > 0);
  if (zero.length === 0) return { entries: [] };
  const record = await dav.files.get(key);
  const member = change === 'remove' ? currentVersion(record) !== null : isMember(record, now);
  const entries: Membership['entries'] = [];
  let guarded: Lock | undefined;
  for (const { dir, locks } of zero) {
    const depth = dir === '' ? 0 : dir.split('/').length;
    const child = key
      .split('/')
      .slice(0, depth + 1)
      .join('/');
    if (child === key) {
      if (change === 'remove' ? member : !member) entries.push({ root: dir, locks });
      else if (change !== 'remove' && !locks.some((l) => l.token === token)) guarded = locks[0];
    } else if (change !== 'remove' && !(await dav.collections.exists(child))) {
      entries.push({ root: dir, locks });
    }
  }
  if (!guarded) return { entries };
  const lock = guarded;
  return {
    entries,
    guard: (current) => {
      if (!isMember(current, dav.now())) {
        throw new Problem('locked', `${key} would be added to ${lock.path}, locked by ${holderOf(lock)} until ${lock.expiresAt}; send its Lock-Token`, {
          path: key,
          lockRoot: lock.path,
          lock: lockSummary(lock),
        });
      }
    },
  };
}
