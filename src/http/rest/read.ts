import type { Context } from 'koa';
import { evaluate } from '../../domain/preconditions.js';
import type { FileReader } from '../../domain/reads.js';
import type { Target } from '../../domain/paths.js';
import type { Version } from '../../domain/types.js';
import { Problem } from '../../errors.js';
import type { SmallBlobCache } from '../../storage/small-blobs.js';
import { callerOf } from '../auth.js';
import { parseRange } from '../range.js';
import { sandboxUserContent } from '../user-content.js';
import { fileUrl, hasFlag, intParam } from './request.js';
import { requestConditions } from '../preconditions.js';

/** Versions per `?versions` answer unless `?limit` says otherwise, and the most it may say. */
export const HISTORY_PAGE = { default: 100, max: 1000 };

export interface ReadDeps {
  reader: FileReader;
  /** Blob reads, small blobs from memory. */
  content: SmallBlobCache;
  /** A file URL naming no file but a folder redirects to the folder (/files; WebDAV clients ask PROPFIND). */
  folderRedirects?: boolean;
  /** `?lock` shows the caller its own lock's token (users configured: the owner is a person). */
  ownTokens?: boolean;
  /** The ETag of a version from its SHA-256 (default: the hex, quoted; /dav writes base64url). */
  etag?: (sha256: string) => string;
}

/** GET and HEAD: a listing, a history, a lock, or the bytes of a version. */
export async function read(ctx: Context, target: Target, deps: ReadDeps): Promise<void> {
  if (target.directory) {
    ctx.body = await deps.reader.list(target.key, hasFlag(ctx, 'deleted'));
  } else if (hasFlag(ctx, 'versions')) {
    await history(ctx, target.key, deps.reader);
  } else if (hasFlag(ctx, 'lock')) {
    ctx.body = await deps.reader.lock(target.key, deps.ownTokens ? callerOf(ctx).name : undefined);
  } else {
    const n = intParam(ctx, 'version', 1);
    const version = await deps.reader.version(target.key, n).catch(async (err: unknown) => {
      if (!deps.folderRedirects || n !== undefined || !(err instanceof Problem) || err.code !== 'not-found') throw err;
      // `GET /files/docs` when there is no file docs but a folder docs/: that is what was meant.
      // A folder with something in it: one whose files were all deleted or moved away is no folder to send anyone to.
      if (!(await deps.reader.hasEntries(target.key))) throw err;
      return undefined;
    });
    if (version) {
      await download(ctx, target.key, version, deps);
      return;
    }
    // 302, not 301: a file of that name may appear beside the folder later, and no cache must keep the redirect.
    ctx.body = null;
    ctx.status = 302;
    ctx.set('Location', `${fileUrl(target.key)}/`);
  }
}

/**
 * `?versions[&limit=N][&before=V]`: newest first, one page at a time. When older versions
 * remain, the body's `next` and a `Link: <…>; rel="next"` header give the URL of the next page.
 */
async function history(ctx: Context, key: string, reader: FileReader): Promise<void> {
  const limit = intParam(ctx, 'limit', 1) ?? HISTORY_PAGE.default;
  if (limit > HISTORY_PAGE.max) throw new Problem('bad-request', `?limit must be at most ${HISTORY_PAGE.max}`);
  const { nextBefore, ...page } = await reader.history(key, limit, intParam(ctx, 'before', 1));
  if (nextBefore === undefined) {
    ctx.body = page;
    return;
  }
  const next = `${fileUrl(key)}?versions&limit=${limit}&before=${nextBefore}`;
  ctx.set('Link', `<${next}>; rel="next"`);
  ctx.body = { ...page, next };
}

/** The bytes of one version, with validators, conditional GET (304/412) and a single Range (206/416). */
async function download(ctx: Context, key: string, version: Version, { content, etag: etagOf }: ReadDeps): Promise<void> {
  const sha256 = version.sha256 as string;
  const etag = etagOf ? etagOf(sha256) : `"${sha256}"`;
  const lastModified = new Date(version.createdAt);
  ctx.set({
    ETag: etag,
    'Last-Modified': lastModified.toUTCString(),
    'Accept-Ranges': 'bytes',
    'File-Version': String(version.version),
  });
  const outcome = evaluate(requestConditions(ctx, true), { etag: sha256, lastModified }, true);
  if (outcome === 'not-modified') {
    ctx.status = 304;
    return;
  }
  if (outcome === 'precondition-failed') throw new Problem('precondition-failed', `a conditional header evaluated false for ${key}`);

  // RFC 9110 §13.1.5: a Range is honoured only if If-Range (when sent) still matches.
  const ifRange = ctx.get('If-Range');
  const rangeApplies = ifRange === '' || ifRange === etag || ifRange === lastModified.toUTCString();
  const range = rangeApplies ? parseRange(ctx.get('Range') || undefined, version.size) : undefined;
  const contentType = version.contentType ?? 'application/octet-stream';
  ctx.set('Content-Type', contentType); // verbatim, as stored
  sandboxUserContent(ctx, key, contentType);
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${version.size}`);
  } else {
    ctx.status = 200;
  }
  const length = range ? range.end - range.start + 1 : version.size;
  // An empty file or a HEAD needs no stream (Koa would leave a HEAD's stream unread).
  if (ctx.method !== 'HEAD' && length > 0) ctx.body = await content.read(sha256, version.size, range);
  else if (length === 0) ctx.body = '';
  ctx.length = length;
}
