import type { Context } from 'koa';
import { copyTree, listTree } from '../../domain/dav-copy.js';
import { checkRemovable, deleteResource } from '../../domain/dav-delete.js';
import { MoveClaim } from '../../domain/move-claim.js';
import type { Target } from '../../domain/paths.js';
import type { Member, Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';

import { checkIf, type DavIf } from './conditions.js';
import { depthOf, destinationOf, overwriteOf } from './request.js';
import { callerOf } from '../auth.js';

/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9). Overwrite: T deletes what is at the destination first
 * (204), F refuses it (412, decided in the compare-and-set that creates the destination); a new
 * destination is 201. A request refused with a 4xx has changed nothing: every check, and the
 * walk of a source tree, runs before the first write, and a MOVE first claims its source
 * (domain/move-claim.ts), so that of racing MOVEs of one source exactly one copies it. MOVE is a
 * copy then a delete of what was copied: a crash between the two leaves both, never neither.
 * Locks stay behind.
 */
export async function copyMove(ctx: Context, dav: Namespace, target: Target, ifs: DavIf, move: boolean): Promise<void> {
  const destination = destinationOf(ctx);
  const depth = depthOf(ctx, ['0', 'infinity'] as const, 'infinity');
  if (move && depth !== 'infinity') throw new Problem('bad-request', 'MOVE of a collection moves all of it: Depth must be infinity');
  const overwrite = overwriteOf(ctx);
  const from = target.key;
  const to = destination.key;
  const source = await dav.collections.resolve(from, target.directory);
  if (source.kind === 'none') throw new Problem('not-found', `nothing at ${from || '/'}`);
  if (from === to) throw new Problem('forbidden', 'the source and the destination are the same resource');
  if (from === '' || (source.kind === 'collection' && to.startsWith(`${from}/`))) throw new Problem('forbidden', 'a collection cannot be copied or moved into itself');
  if (to === '') throw new Problem('forbidden', 'the root collection cannot be replaced');
  const above = await dav.ancestors(to);
  if (!(await dav.parentExists(to, above))) throw new Problem('conflict', `the parent collection of ${to} does not exist`);
  await checkIf(ctx, dav, from, ifs, target.directory);
  const caller = callerOf(ctx);
  const existing = await dav.collections.resolve(to, destination.directory);
  if (existing.kind === 'collection' && from.startsWith(`${to}/`)) throw new Problem('forbidden', `the destination ${to} holds the source; it cannot be replaced by it`);
  await dav.checkInherited(to, { caller, tokens: ifs.tokens }, existing.kind === 'none', above);
  if (existing.kind !== 'none' && !overwrite) throw new Problem('precondition-failed', `${to} exists and Overwrite is F`);
  const claim = move ? await MoveClaim.take(dav, caller, from, source.kind, ifs.tokens) : undefined;
  const tokens = claim ? [...ifs.tokens, claim.token] : ifs.tokens;
  try {
    // Checked and walked once the claim holds (no lock can be taken on the tree since), before any write.
    let members: Member[] | undefined;
    if (move) members = await checkRemovable(dav, from, source.kind, { caller, tokens });
    else if (source.kind === 'collection' && depth === 'infinity') members = await listTree(dav, from);
    if (existing.kind !== 'none') await deleteResource(dav, caller, to, existing.kind, tokens);
    const copied = await copyTree(dav, caller, { source: from, destination: to, depth, tokens, createOnly: !overwrite, collection: source.kind === 'collection', members });
    // What was copied goes, as it was copied; the claim goes with the source.
    if (move) await deleteResource(dav, caller, from, source.kind, tokens, { members: copied.members, copied: copied.versions });
    claim?.stop();
  } catch (err) {
    await claim?.release().catch(() => undefined);
    throw err;
  }
  ctx.status = existing.kind === 'none' ? 201 : 204;
}
