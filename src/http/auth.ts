import type { Context, Next } from 'koa';
import type { Sessions } from '../auth/sessions.js';
import type { UserDirectory } from '../auth/users.js';
import type { Caller } from '../domain/types.js';
import { Problem } from '../errors.js';

export const ANONYMOUS: Caller = { name: 'anonymous', role: 'user' };

/** The web UI's session cookie: `__Host-` (HTTPS only, this host only, every path) over HTTPS. */
export const SESSION_COOKIE = 'kluis_session';
const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
/** The header that carries a session's CSRF token. */
export const CSRF_HEADER = 'X-CSRF-Token';

/**
 * Whether the browser reached kluis over HTTPS: directly, or through the TLS proxy kluis is meant
 * to stand behind (`X-Forwarded-Proto`; a client that lies about it only marks its own cookie Secure).
 */
export function overHttps(ctx: Context): boolean {
  return ctx.secure || ctx.get('X-Forwarded-Proto').split(',')[0]?.trim().toLowerCase() === 'https';
}

/** The name the session cookie has on this request's scheme. */
export function sessionCookieName(ctx: Context): string {
  return overHttps(ctx) ? HOST_SESSION_COOKIE : SESSION_COOKIE;
}

/** The session cookie this request carries (over HTTPS only the `__Host-` one, which no other host can plant). */
export function sessionCookieOf(ctx: Context): string | undefined {
  return ctx.cookies.get(sessionCookieName(ctx)) || undefined;
}

/** Methods that change nothing: a cookie authenticates them without a CSRF token. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND']);

/** The caller the auth middleware set (every mount's requests: /files, /dav, /admin). */
export function callerOf(ctx: Context): Caller {
  return ctx.state.caller as Caller;
}

const CHALLENGE = 'Basic realm="kluis", charset="UTF-8", Bearer realm="kluis"';
/** For the web UI (a request with a session cookie or a CSRF header): no Basic, so no browser prompt. */
const UI_CHALLENGE = 'Bearer realm="kluis"';

/**
 * Sets `ctx.state.caller`. Open service (no users): everyone is `anonymous`. Otherwise HTTP
 * Basic (RFC 7617) or Bearer (RFC 6750) is required, or the web UI's session cookie (when
 * `sessions` is given), whose requests that change something must carry its CSRF token.
 * Failures are 401 with a challenge.
 */
export function authenticate(users: UserDirectory | undefined, sessions?: Sessions) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.caller = users ? await identifyRequest(ctx, users, sessions) : ANONYMOUS;
    await next();
  };
}

async function identifyRequest(ctx: Context, users: UserDirectory, sessions: Sessions | undefined): Promise<Caller> {
  const header = ctx.get('Authorization');
  const cookie = sessions ? sessionCookieOf(ctx) : undefined;
  const fromUi = cookie !== undefined || ctx.req.headers[CSRF_HEADER.toLowerCase()] !== undefined;
  if (header || !cookie || !sessions) return identify(users, header, fromUi ? UI_CHALLENGE : CHALLENGE);
  const session = sessions.verify(cookie);
  const caller = session && users.find(session.name);
  if (!caller) throw new Problem('unauthorized', 'the session has ended: sign in again', {}, { 'WWW-Authenticate': UI_CHALLENGE });
  if (!SAFE.has(ctx.method) && !sessions.csrfMatches(cookie, ctx.get(CSRF_HEADER))) {
    throw new Problem('csrf', `a ${ctx.method} authenticated by the session cookie needs the session's ${CSRF_HEADER} header (GET /session gives it)`);
  }
  return caller;
}

/** The caller named by an `Authorization` header; 401 with `challenge` when there is none or it is wrong. */
async function identify(users: UserDirectory, header: string, challenge = CHALLENGE): Promise<Caller> {
  const [scheme, value] = header.trim().split(/\s+/, 2);
  let caller: Caller | undefined;
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) caller = await users.basic(decoded.slice(0, colon), decoded.slice(colon + 1));
  } else if (scheme?.toLowerCase() === 'bearer' && value) {
    caller = await users.bearer(value);
  }
  if (!caller) {
    throw new Problem('unauthorized', header ? 'the credentials are not valid' : 'credentials are required (HTTP Basic or Bearer)', {}, { 'WWW-Authenticate': challenge });
  }
  return caller;
}

/** 403 for read-only users on anything that writes. */
export function requireWriter(caller: Caller): void {
  if (caller.role === 'read-only') throw new Problem('forbidden', `${caller.name} is read-only`);
}

/**
 * Operations endpoints (/admin/…): admins only when users are configured (401 without
 * credentials, 403 for other roles). An open service has no admins, and everyone may.
 * A session cookie is not accepted here: scripts call these with credentials of their own.
 */
export function requireAdmin(users: UserDirectory | undefined) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (users) {
      const caller = await identify(users, ctx.get('Authorization'));
      if (caller.role !== 'admin') throw new Problem('forbidden', `${caller.name} is not an admin`);
      ctx.state.caller = caller;
    } else {
      ctx.state.caller = ANONYMOUS;
    }
    await next();
  };
}
