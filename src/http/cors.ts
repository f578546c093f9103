import type { Context, Next } from 'koa';
import { FILES_ALLOW } from './rest/files.js';
import { UPLOADS_ALLOW } from './tus/index.js';

/**
 * CORS (the Fetch standard's CORS protocol) for web apps on other origins that call /files and
 * /uploads (docs/api.md#cors). Only origins listed in `KLUIS_CORS_ORIGINS` get any CORS header;
 * for every other origin kluis answers as if CORS did not exist. No
 * `Access-Control-Allow-Credentials`: a cross-origin app sends `Authorization` itself, which
 * needs no credentials mode, so the web UI's session cookie never works from another origin.
 */

/** The methods /files and /uploads serve, as their `Allow` headers list them. */
export const CORS_METHODS = [...new Set([...FILES_ALLOW.split(', '), ...UPLOADS_ALLOW.split(', ')])];

/**
 * Every request header /files and /uploads read that a script may set (`Content-Length` and
 * `Transfer-Encoding` are the browser's). test/http/cors.test.ts checks the handlers read no other.
 * The web UI's CSRF header is left out on purpose: it belongs to the same-origin session.
 */
export const CORS_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'Content-Digest',
  'Content-MD5',
  'If',
  'If-Match',
  'If-None-Match',
  'If-Modified-Since',
  'If-Unmodified-Since',
  'If-Range',
  'Range',
  'Lock-Token',
  'Timeout',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Offset',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Checksum',
  'Upload-Complete',
  'Upload-Draft-Interop-Version',
  'X-Request-Id',
];

/**
 * Answer headers a script on another origin may read, beyond the CORS-safelisted ones
 * (`Content-Type`, `Content-Length`, `Last-Modified`, `Cache-Control`…): the one list, for
 * /files and for both resumable protocols.
 */
export const EXPOSED_HEADERS = [
  'ETag',
  'File-Version',
  'Location',
  'Content-Location',
  'Content-Range',
  'Content-Disposition',
  'Accept-Ranges',
  'Lock-Token',
  'Timeout',
  'Link',
  'Allow',
  'Retry-After',
  'WWW-Authenticate',
  'X-Request-Id',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Defer-Length',
  'Upload-Expires',
  'Upload-Metadata',
  'Upload-Complete',
  'Upload-Draft-Interop-Version',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
];

/** How long a browser may keep a preflight's answer, in seconds (Chromium caps it at 7200). */
export const PREFLIGHT_MAX_AGE = 7200;

/**
 * The CORS middleware for the paths `applies` accepts. With no origins it does nothing. With
 * some, every answer on those paths varies by `Origin` (and an OPTIONS by
 * `Access-Control-Request-Method`), so that no cache hands one origin's answer to another.
 * From a listed origin, a preflight (OPTIONS with `Access-Control-Request-Method`) is answered
 * here, 204, before authentication (a browser sends no credentials with it); any other request
 * goes on with `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers` set first, so
 * that they stay on every answer, refusals (problem+json, 401) included.
 */
export function cors(origins: readonly string[], applies: (path: string) => boolean) {
  const allowed = new Set(origins);
  const preflight = {
    'Access-Control-Allow-Methods': CORS_METHODS.join(', '),
    'Access-Control-Allow-Headers': CORS_REQUEST_HEADERS.join(', '),
    'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE),
  };
  const exposed = EXPOSED_HEADERS.join(', ');
  return async (ctx: Context, next: Next): Promise<void> => {
    if (allowed.size === 0 || !applies(ctx.path)) return next();
    ctx.vary('Origin');
    if (ctx.method === 'OPTIONS') ctx.vary('Access-Control-Request-Method');
    const origin = ctx.get('Origin');
    if (!allowed.has(origin)) return next();
    ctx.set('Access-Control-Allow-Origin', origin);
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method') !== '') {
      ctx.set(preflight);
      ctx.status = 204;
      return;
    }
    ctx.set('Access-Control-Expose-Headers', exposed);
    await next();
  };
}
