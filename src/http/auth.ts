import type { Context, Next } from 'koa';
import type { UserDirectory } from '../auth/users.js';
import type { Caller } from '../domain/types.js';
import { Problem } from '../errors.js';

export const ANONYMOUS: Caller = { name: 'anonymous', role: 'user' };

/** The caller the auth middleware set (every mount's requests: /files, /dav, /admin). */
export function callerOf(ctx: Context): Caller {
  return ctx.state.caller as Caller;
}

const CHALLENGE = 'Basic realm="kluis", charset="UTF-8", Bearer realm="kluis"';

/**
 * Sets `ctx.state.caller`. Open service (no users): everyone is `anonymous`. Otherwise HTTP
 * Basic (RFC 7617) or Bearer (RFC 6750) is required; failures are 401 with a challenge.
 */
export function authenticate(users: UserDirectory | undefined) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.caller = users ? await identify(users, ctx.get('Authorization')) : ANONYMOUS;
    await next();
  };
}

async function identify(users: UserDirectory, header: string): Promise<Caller> {
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
    throw new Problem('unauthorized', header ? 'the credentials are not valid' : 'credentials are required (HTTP Basic or Bearer)', {}, { 'WWW-Authenticate': CHALLENGE });
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
