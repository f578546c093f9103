import { Problem } from '../errors.js';
import { moveCompanion } from './companions.js';
import { parentOf } from './collections.js';
import { copyTree, listTree } from './dav-copy.js';
import { checkRemovable, deleteResource } from './dav-delete.js';
import { makeFolder } from './folders.js';
import { MoveClaim } from './move-claim.js';
import type { Member, Namespace } from './namespace.js';
import type { Caller, Version } from './types.js';

/** A COPY or MOVE, as /dav (COPY, MOVE) and /files (`?move-to`) ask for it. */
export interface CopyMoveRequest {
  from: string;
  to: string;
  /** The source URL ended in `/`: the collection of that name rather than a file of the same name. */
  fromCollection: boolean;
  /** The destination URL ended in `/`. */
  toCollection: boolean;
  /** Collections: members too (`infinity`) or the collection alone (`0`, COPY only). */
  depth: '0' | 'infinity';
  /** Replace what is at the destination (it is deleted first); else 412 when something is there. */
  overwrite: boolean;
  move: boolean;
  /** Lock tokens the request submitted. */
  tokens: string[];
  /**
   * The rules of `/files`: each URL names exactly the kind it spells (a file, or a folder when it
   * ends in `/`; a twin of the other kind is neither the source nor in the way), and missing
   * folders above the destination are made, as an upload makes them. Without it (/dav), either
   * URL reaches the one resource there, and a missing parent collection is 409 `conflict`.
   */
  files?: boolean;
}

export interface CopyMoveResult {
  kind: 'file' | 'collection';
  /** Nothing was at the destination before (HTTP 201). */
  created: boolean;
  /** A file: the version written at the destination. */
  version?: Version;
  /** Files copied. */
  files: number;
  /** A MOVE's source files left in place: written to while they were moved (see {@link deleteResource}). */
  kept: string[];
}

/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9) of a file or a collection tree. A request refused with a
 * 4xx has changed nothing: every check, and the walk of a source tree, runs before the first
 * write, and a MOVE first claims its source (domain/move-claim.ts), so that of racing MOVEs of
 * one source exactly one copies it. MOVE is a copy then a delete of what was copied: a crash
 * between the two leaves both, never neither. Locks stay behind. `checked` runs once the paths
 * are judged and before any lock is (/dav: its `If` header, so that 412 comes before 423).
 */
export async function copyMove(dav: Namespace, caller: Caller, request: CopyMoveRequest, checked?: () => Promise<void>): Promise<CopyMoveResult> {
  const { from, to, move, overwrite, depth } = request;
  const source = await dav.collections.resolve(from, request.fromCollection);
  const hidden = request.files && !request.fromCollection && dav.desktop.matches(from);
  if (source.kind === 'none' || hidden || (request.files && source.kind !== (request.fromCollection ? 'collection' : 'file'))) throw new Problem('not-found', `nothing at ${from || '/'}`);
  if (request.files && !request.toCollection) dav.refuseDesktopFile(to);
  if (from === to) throw new Problem('forbidden', 'the source and the destination are the same resource');
  if (from === '' || (source.kind === 'collection' && to.startsWith(`${from}/`))) throw new Problem('forbidden', 'a collection cannot be copied or moved into itself');
  if (to === '') throw new Problem('forbidden', 'the root collection cannot be replaced');
  const above = await dav.ancestors(to);
  const parentMissing = !(await dav.parentExists(to, above));
  if (parentMissing && !request.files) throw new Problem('conflict', `the parent collection of ${to} does not exist`);
  await checked?.();
  let existing = await dav.collections.resolve(to, request.toCollection);
  if (request.files && existing.kind !== source.kind) existing = { kind: 'none', record: undefined };
  if (existing.kind === 'collection' && from.startsWith(`${to}/`)) throw new Problem('forbidden', `the destination ${to} holds the source; it cannot be replaced by it`);
  await dav.checkInherited(to, { caller, tokens: request.tokens }, existing.kind === 'none', above);
  if (existing.kind !== 'none' && !overwrite) throw new Problem('precondition-failed', `${to} exists and Overwrite is F`);
  const claim = move ? await MoveClaim.take(dav, caller, from, source.kind, request.tokens) : undefined;
  const tokens = claim ? [...request.tokens, claim.token] : request.tokens;
  try {
    // Checked and walked once the claim holds (no lock can be taken on the tree since), before any write.
    let members: Member[] | undefined;
    if (move) members = await checkRemovable(dav, from, source.kind, { caller, tokens });
    else if (source.kind === 'collection' && depth === 'infinity') members = await listTree(dav, from);
    if (parentMissing) await makeFolder(dav, caller, parentOf(to), tokens);
    if (existing.kind !== 'none') await deleteResource(dav, caller, to, existing.kind, tokens);
    const copied = await copyTree(dav, caller, { source: from, destination: to, depth, tokens, createOnly: !overwrite, collection: source.kind === 'collection', members });
    // What was copied goes, as it was copied; the claim goes with the source.
    const kept = move ? await deleteResource(dav, caller, from, source.kind, tokens, { members: copied.members, copied: copied.versions }) : [];
    claim?.stop();
    if (move && kept.length === 0) await moveCompanion(dav, caller, from, to, request.tokens);
    return { kind: source.kind, created: existing.kind === 'none', files: copied.versions.size, kept, ...(copied.version ? { version: copied.version } : {}) };
  } catch (err) {
    await claim?.release().catch(() => undefined);
    throw err;
  }
}
