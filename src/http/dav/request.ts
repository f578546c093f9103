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

/** The request's own target, read from the raw URL (Koa's path would drop a `#`), in origin or absolute form. */
export function requestTarget(ctx: Context): Target {
  const raw = ctx.req.url ?? '/';
  const cut = raw.indexOf('?');
  const target = cut < 0 ? raw : raw.slice(0, cut);
  return davTarget(ABSOLUTE_FORM.exec(target)?.[1] || target);
}

/** A request target in absolute form (RFC 9112 §3.2.2): `scheme://authority` and the path. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(.*)$/s;

/** `scheme://authority` (or a network-path `//authority`) and what follows, as written (RFC 3986 §3, §4.2). */
const ABSOLUTE = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?\/\/([^/?#]*)(.*)$/s;

/** The href of a key: `/dav/a%20b/c`, with a trailing slash for a collection. */
export function hrefOf(key: string, collection: boolean): string {
  if (key === '') return `${MOUNT}/`;
  return `${MOUNT}/${key.split('/').map(encodeURIComponent).join('/')}${collection ? '/' : ''}`;
}

/**
 * `Destination` of COPY/MOVE: an absolute URL on this server (else 502) or an absolute path.
 * Its path is read as written and validated exactly as a request's own (a TAB, a backslash or a
 * dot segment is 400 `invalid-path`), never normalised by a URL parser first, which would drop
 * a TAB, turn `\` into `/` and resolve `..`, naming another resource than the one sent.
 */
export function destinationOf(ctx: Context): Target {
  const header = ctx.get('Destination');
  if (!header) throw new Problem('bad-request', 'COPY and MOVE need a Destination header');
  if (header.includes('#')) throw new Problem('bad-request', 'Destination names a resource: no query or fragment');
  const absolute = ABSOLUTE.exec(header);
  if (!absolute && !header.startsWith('/')) throw new Problem('bad-request', `Destination ${JSON.stringify(header)} is neither an absolute URL nor an absolute path`);
  if (absolute) {
    const [, scheme = ctx.protocol, authority = ''] = absolute;
    if (!/^https?$/i.test(scheme)) throw new Problem('bad-gateway', `Destination ${header} is not an HTTP URL of this server`);
    const host = ctx.get('Host');
    // userinfo (`user@`) names no server: the host is what follows it.
    const named = authority.slice(authority.lastIndexOf('@') + 1);
    if (host && hostKey(named, scheme) !== hostKey(host, scheme)) throw new Problem('bad-gateway', `Destination ${header} is on another server`);
  }
  const path = absolute ? absolute[3] || '/' : header;
  if (path.includes('?')) throw new Problem('bad-request', 'Destination names a resource: no query or fragment');
  return davTarget(path);
}

/** A host and port compared case-insensitively, the scheme's default port left out. */
function hostKey(authority: string, scheme: string): string {
  const lower = authority.toLowerCase();
  const port = scheme.toLowerCase() === 'https' ? ':443' : ':80';
  return lower.endsWith(port) ? lower.slice(0, -port.length) : lower;
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
