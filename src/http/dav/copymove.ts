import type { Context } from 'koa';
import { copyMove as copyOrMove } from '../../domain/copy-move.js';
import type { Target } from '../../domain/paths.js';
import type { Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';

import { checkIf, type DavIf } from './conditions.js';
import { depthOf, destinationOf, overwriteOf } from './request.js';
import { callerOf } from '../auth.js';

/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9), done by domain/copy-move.ts (which `/files?move-to`
 * shares). Overwrite: T deletes what is at the destination first (204), F refuses it (412,
 * decided in the compare-and-set that creates the destination); a new destination is 201. The
 * `If` header is judged once the paths are, before any lock.
 */
export async function copyMove(ctx: Context, dav: Namespace, target: Target, ifs: DavIf, move: boolean): Promise<void> {
  const destination = destinationOf(ctx);
  const depth = depthOf(ctx, ['0', 'infinity'] as const, 'infinity');
  if (move && depth !== 'infinity') throw new Problem('bad-request', 'MOVE of a collection moves all of it: Depth must be infinity');
  const request = {
    from: target.key,
    to: destination.key,
    fromCollection: target.directory,
    toCollection: destination.directory,
    depth,
    overwrite: overwriteOf(ctx),
    move,
    tokens: ifs.tokens,
  };
  const result = await copyOrMove(dav, callerOf(ctx), request, () => checkIf(ctx, dav, target.key, ifs, target.directory));
  ctx.status = result.created ? 201 : 204;
}
