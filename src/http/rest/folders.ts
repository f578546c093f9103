import type { Context } from 'koa';
import { parseIf, submittedTokens as ifTokens } from '../dav/if-header.js';
import { makeFolder } from '../../domain/folders.js';
import type { Namespace } from '../../domain/namespace.js';
import type { Target } from '../../domain/paths.js';
import { Problem } from '../../errors.js';
import { callerOf } from '../auth.js';
import { parseLockToken } from '../lock-headers.js';
import { fileUrl } from './request.js';

/** The URL of a folder: `/files/<dir>/`, the root `/files/`. */
export function folderUrl(key: string): string {
  return key === '' ? '/files/' : `${fileUrl(key)}/`;
}

/**
 * The lock tokens a `/files` request submits, as a WebDAV `If` would: its `Lock-Token`, and every
 * token of its `If` (a folder holding several of the caller's locks moves with all of them).
 */
export function submittedTokens(ctx: Context): string[] {
  const direct = parseLockToken(ctx.get('Lock-Token') || undefined, undefined);
  const header = ctx.get('If');
  return [...new Set([...(direct ? [direct] : []), ...(header ? ifTokens(parseIf(header)) : [])])];
}

/**
 * POST /files/<dir>/?mkdir: an empty folder (and the missing ones above it), listed by `/files`
 * and a collection on /dav until deleted. 201 when made, 200 when it was there already; the
 * body names it. A lock on a folder above that guards its membership needs its `Lock-Token`.
 */
export async function mkdir(ctx: Context, target: Target, dav: Namespace): Promise<void> {
  if (!target.directory) throw new Problem('bad-request', '?mkdir makes a folder: end the URL in /');
  const made = await makeFolder(dav, callerOf(ctx), target.key, submittedTokens(ctx));
  ctx.status = made ? 201 : 200;
  ctx.set('Location', folderUrl(target.key));
  ctx.body = { path: target.key === '' ? '' : `${target.key}/`, created: made };
}
