import type { Context } from 'koa';
import { copyTree } from '../../domain/dav-copy.js';
import type { Target } from '../../domain/paths.js';
import type { WebDav } from '../../domain/webdav.js';
import { Problem } from '../../errors.js';
import { callerOf } from '../rest/request.js';
import { checkIf, type DavIf } from './conditions.js';
import { depthOf, destinationOf, overwriteOf } from './request.js';

/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9). Overwrite: T deletes what is at the destination first
 * (204), F refuses it (412); a new destination is 201. MOVE is a copy then a delete of the
 * source: a crash between the two leaves both, never neither. Locks stay behind.
 */
export async function copyMove(ctx: Context, dav: WebDav, target: Target, ifs: DavIf, move: boolean): Promise<void> {
  const destination = destinationOf(ctx);
  const depth = depthOf(ctx, ['0', 'infinity'] as const, 'infinity');
  if (move && depth !== 'infinity') throw new Problem('bad-request', 'MOVE of a collection moves all of it: Depth must be infinity');
  const overwrite = overwriteOf(ctx);
  const from = target.key;
  const to = destination.key;
  const source = await dav.collections.resolve(from);
  if (source.kind === 'none') throw new Problem('not-found', `nothing at ${from || '/'}`);
  if (from === to) throw new Problem('forbidden', 'the source and the destination are the same resource');
  if (from === '' || (source.kind === 'collection' && to.startsWith(`${from}/`))) throw new Problem('forbidden', 'a collection cannot be copied or moved into itself');
  if (to === '') throw new Problem('forbidden', 'the root collection cannot be replaced');
  const above = await dav.ancestors(to);
  if (!(await dav.parentExists(to, above))) throw new Problem('conflict', `the parent collection of ${to} does not exist`);
  await checkIf(ctx, dav, from, ifs);
  const caller = callerOf(ctx);
  if (move) await dav.checkRemovable(from, source.kind, { caller, tokens: ifs.tokens });
  const existing = await dav.collections.resolve(to);
  await dav.checkInherited(to, { caller, tokens: ifs.tokens }, existing.kind === 'none', above);
  if (existing.kind !== 'none') {
    if (!overwrite) throw new Problem('precondition-failed', `${to} exists and Overwrite is F`);
    await dav.removeAny(caller, to, existing.kind, ifs.tokens);
  }
  const copied = await copyTree(dav, caller, { source: from, destination: to, depth, tokens: ifs.tokens });
  // What was copied goes: a member added meanwhile is not deleted uncopied.
  if (move) await dav.removeAny(caller, from, source.kind, ifs.tokens, undefined, copied);
  ctx.status = existing.kind === 'none' ? 201 : 204;
}
