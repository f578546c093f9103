import type { Context } from 'koa';
import { parseUrlPath, type Target } from '../../domain/paths.js';
import { Problem } from '../../errors.js';

/** The mount point of the WebDAV namespace. */
export const MOUNT = '/dav';

/**
 * The key of a /dav URL path (still percent-encoded, query removed). A raw `#` is refused:
 * it never belongs in a request target, and dropping what follows would name another file.
 */
export function davTarget(rawPath: string): Target {
  if (rawPath.includes('#')) throw new Problem('invalid-path', 'a raw # in the request target; percent-encode it as %23');
  if (rawPath !== MOUNT && !rawPath.startsWith(`${MOUNT}/`)) throw new Problem('not-found', `${rawPath} is not below ${MOUNT}/`);
  return parseUrlPath(rawPath.slice(MOUNT.length + 1));
}

/** The request's own target, read from the raw URL (Koa's path would drop a `#`). */
export function requestTarget(ctx: Context): Target {
  const raw = ctx.req.url ?? '/';
  const cut = raw.indexOf('?');
  return davTarget(cut < 0 ? raw : raw.slice(0, cut));
}

/** The href of a key: `/dav/a%20b/c`, with a trailing slash for a collection. */
export function hrefOf(key: string, collection: boolean): string {
  if (key === '') return `${MOUNT}/`;
  return `${MOUNT}/${key.split('/').map(encodeURIComponent).join('/')}${collection ? '/' : ''}`;
}

/** `Destination` of COPY/MOVE: an absolute URL on this server (else 502) or an absolute path. */
export function destinationOf(ctx: Context): Target {
  const header = ctx.get('Destination');
  if (!header) throw new Problem('bad-request', 'COPY and MOVE need a Destination header');
  let url: URL;
  try {
    url = new URL(header, `http://${ctx.get('Host') || 'localhost'}`);
  } catch {
    throw new Problem('bad-request', `Destination ${JSON.stringify(header)} is not a URL`);
  }
  if (url.host !== (ctx.get('Host') || url.host)) throw new Problem('bad-gateway', `Destination ${header} is on another server`);
  if (header.includes('#') || url.search) throw new Problem('bad-request', 'Destination names a resource: no query or fragment');
  return davTarget(url.pathname);
}

/** `Depth`: one of `allowed`, or the default when absent; anything else is 400. */
export function depthOf<D extends string>(ctx: Context, allowed: readonly D[], fallback: D): D {
  const raw = ctx.get('Depth').trim().toLowerCase();
  if (raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new Problem('bad-request', `Depth: ${raw} is not allowed here; use one of ${allowed.join(', ')}`);
  return raw as D;
}

/** `Overwrite: T` (the default) or `F`. */
export function overwriteOf(ctx: Context): boolean {
  const raw = ctx.get('Overwrite').trim().toUpperCase();
  if (raw === '' || raw === 'T') return true;
  if (raw === 'F') return false;
  throw new Problem('bad-request', `Overwrite: ${raw} must be T or F`);
}

/** True when the request carries a body (declared or chunked). */
export function hasBody(ctx: Context): boolean {
  const length = ctx.get('Content-Length');
  return (length !== '' && length !== '0') || ctx.get('Transfer-Encoding') !== '';
}
