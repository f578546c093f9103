import type { Context } from 'koa';
import { copyMove } from '../../domain/copy-move.js';
import type { Namespace } from '../../domain/namespace.js';
import { parsePlainPath, type Target } from '../../domain/paths.js';
import { Problem } from '../../errors.js';
import { callerOf } from '../auth.js';
import { folderUrl, submittedTokens } from './folders.js';
import { fileUrl, hasFlag, stringParam } from './request.js';

/**
 * POST /files/<path>?move-to=<destination>[&overwrite], and of a folder (both URLs end in `/`):
 * the WebDAV MOVE (domain/copy-move.ts) under the `/files` rules: each URL names exactly a file
 * or exactly a folder, missing folders above the destination are made, a lock held by someone
 * else is 409 `locked`. The destination is the query value as text (`encodeURIComponent` of the
 * path), relative to /files/. 201 when the destination was free, 200 when `&overwrite` replaced
 * what was there (without it, 412 `precondition-failed`).
 */
export async function move(ctx: Context, target: Target, dav: Namespace): Promise<void> {
  const value = stringParam(ctx, 'move-to');
  if (!value) throw new Problem('bad-request', '?move-to needs the destination path, relative to /files/ (a folder ends in /)');
  const destination = parsePlainPath(value);
  if (destination.directory !== target.directory) {
    throw new Problem('bad-request', 'a file moves to a file path, a folder to a folder path: end both in / or neither');
  }
  const from = target.key;
  const to = destination.key;
  let result: Awaited<ReturnType<typeof copyMove>>;
  try {
    const request = {
      from,
      to,
      fromCollection: target.directory,
      toCollection: target.directory,
      depth: 'infinity' as const,
      overwrite: hasFlag(ctx, 'overwrite'),
      move: true,
      tokens: submittedTokens(ctx),
      files: true,
    };
    result = await copyMove(dav, callerOf(ctx), request);
  } catch (err) {
    // As every /files 409 and 412: the state of the file refused (the destination's, unless the refusal names another).
    if (err instanceof Problem && (err.status === 409 || err.status === 412) && err.extras.currentVersion === undefined) {
      throw await dav.withState(typeof err.extras.path === 'string' ? err.extras.path : to, err);
    }
    throw err;
  }
  ctx.status = result.created ? 201 : 200;
  if (result.version) {
    const { version } = result;
    ctx.set({ ETag: `"${version.sha256}"`, Location: fileUrl(to, version.version), 'File-Version': String(version.version) });
    ctx.body = { path: to, from, ...version };
    return;
  }
  ctx.set('Location', folderUrl(to));
  ctx.body = { path: `${to}/`, from: `${from}/`, files: result.files, kept: result.kept };
}
