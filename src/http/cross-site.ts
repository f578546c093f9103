import type { Context, Next } from 'koa';
import { Problem } from '../errors.js';

/** Methods that change nothing: any site may send them. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND']);

/**
 * Refuse a request that changes something when a browser says another site sent it, whatever
 * authenticates it: a browser sends remembered Basic credentials along with a form or a
 * `no-cors` fetch from any page, and an open service needs none, so a session's CSRF token alone
 * does not cover them. Browsers say where a request comes from in `Sec-Fetch-Site` and `Origin`;
 * scripts, curl and WebDAV clients send neither and are not affected. An origin listed in
 * `KLUIS_CORS_ORIGINS` may write (its requests went through CORS).
 */
export function refuseCrossSite(corsOrigins: readonly string[]) {
  const listed = new Set(corsOrigins);
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!SAFE.has(ctx.method)) {
      const origin = ctx.get('Origin');
      const site = ctx.get('Sec-Fetch-Site');
      const fromListed = origin !== '' && listed.has(origin);
      // A browser that says where the request comes from is believed (a TLS proxy may rewrite
      // Host, and Origin may be "null" under a strict Referrer-Policy); an older one that does
      // not is judged by its Origin against this host.
      const crossSite = site !== '' ? site !== 'same-origin' && site !== 'none' : origin !== '' && !sameHost(origin, ctx.host);
      if (!fromListed && crossSite) {
        throw new Problem('csrf', `a ${ctx.method} sent by another site (${origin || site}) is refused: only this origin's pages, or origins in KLUIS_CORS_ORIGINS, may change anything`);
      }
    }
    await next();
  };
}

/** Whether `origin` names this host (its scheme is not compared: a TLS proxy may stand in front). */
function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
