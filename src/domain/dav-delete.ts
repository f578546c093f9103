import { Problem } from '../errors.js';
import { removeCompanion } from './companions.js';
import { withLocks } from './dav-locks.js';
import { currentVersion } from './rules.js';
import type { Caller, Lockable } from './types.js';
import type { Submitted } from './dav-locks.js';
import type { Member, Namespace } from './namespace.js';

/**
 * 423 unless the resource at `key` and, for a collection, every member may be deleted with
 * these tokens. Returns the members of a collection with their records, checked (one walk
 * serves check, copy and delete).
 */
export async function checkRemovable(dav: Namespace, key: string, kind: 'file' | 'collection', who: Submitted): Promise<Member[]> {
  await dav.checkInherited(key, who, true);
  if (kind === 'file') {
    dav.checkOwn(key, await dav.files.get(key), who);
    return [];
  }
  dav.checkOwn(key, await dav.collections.get(key), who);
  const members: Member[] = [];
  await dav.walk(key, async (member, memberKind, record) => {
    dav.checkOwn(member, record, who);
    members.push({ key: member, kind: memberKind, record });
  });
  return members;
}

/** What a DELETE removes, when the caller already knows it (a MOVE removes what it copied). */
export interface Removal {
  /** The `If` header's guard, on the record of a file. */
  guard?: (record: Lockable | undefined) => void;
  /** Exactly these members go, already checked. */
  members?: Member[];
  /**
   * A MOVE's source: the version each file had when it was copied (by key). A file whose
   * version moved on since (a write that began before the MOVE's claim and ended after its
   * copy) is not deleted: it stays, with the collections above it.
   */
  copied?: Map<string, number>;
}

/**
 * DELETE: a file gets a delete marker (its history stays); in a collection every file does
 * and every collection becomes a tombstone, refused (423) before anything changes if any is
 * locked. The AppleDouble companion goes too, unless this removes a MOVE's source (the MOVE
 * takes it along). Returns the keys of files kept because they changed since their copy.
 */
export async function deleteResource(dav: Namespace, caller: Caller, key: string, kind: 'file' | 'collection', tokens: string[], removal: Removal = {}): Promise<string[]> {
  const kept: string[] = [];
  const removeFile = async (file: string, guard?: Removal['guard']) => {
    const base = removal.copied?.get(file);
    try {
      await dav.files.remove(caller, file, { tokens, guard, conditions: {}, ...(base !== undefined ? { base } : {}) }, true);
    } catch (err) {
      if (base !== undefined && err instanceof Problem && err.code === 'modified') kept.push(file);
      else if (!(kind === 'collection' && err instanceof Problem && err.code === 'not-found')) throw err;
    }
  };
  if (kind === 'file') {
    // The file's own locks are checked in the compare-and-set of its delete marker.
    await dav.checkInherited(key, { caller, tokens }, true);
    await removeFile(key, removal.guard);
    if (!removal.copied) await removeCompanion(dav, caller, key, tokens);
    return kept;
  }
  const doomed = removal.members ?? (await checkRemovable(dav, key, kind, { caller, tokens }));
  for (const member of doomed.filter((m) => m.kind === 'file')) await removeFile(member.key);
  // A reserved path goes with its collection: its locks (checked above) are released.
  for (const member of doomed.filter((m) => m.kind === 'reserved')) {
    await dav.files.update(member.key, (record) => (record && !currentVersion(record) ? { next: withLocks(record, { lock: null }), result: undefined } : { result: undefined }));
  }
  const holdsKept = (dir: string) => kept.some((file) => file.startsWith(`${dir}/`));
  for (const member of doomed.filter((m) => m.kind === 'collection').reverse()) {
    if (!holdsKept(member.key)) await dav.collections.tombstone(member.key, dav.now());
  }
  if (!holdsKept(key)) await dav.collections.tombstone(key, dav.now());
  if (!removal.copied) await removeCompanion(dav, caller, key, tokens);
  return kept;
}
