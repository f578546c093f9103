import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Sessions } from '../auth/sessions.js';
import type { UserDirectory } from '../auth/users.js';
import type { Caller } from '../domain/types.js';
import { Problem } from '../errors.js';
import { ANONYMOUS, authenticate, callerOf, overHttps, sessionCookieName, sessionCookieOf } from './auth.js';
import { openBody } from './body.js';

/** A sign-in body is a name and a password: anything longer is refused unread. */
const SIGN_IN_BYTES = 4096;

export interface SessionDeps {
  users: UserDirectory | undefined;
  /** Present when users are configured. */
  sessions: Sessions | undefined;
}

/** What `GET /session` and a sign-in answer: who the UI is, and the CSRF token of its cookie. */
interface Whoami {
  mode: 'open' | 'users';
  user: Caller | null;
  csrf?: string;
  expiresAt?: string;
}

/**
 * The web UI's identity: `GET /session` (who am I, and the CSRF token), `POST /session` (sign
 * in with `{ "name", "password" }` as JSON, which sets an HttpOnly, SameSite=Strict cookie) and
 * `DELETE /session` (sign out). Scripts keep using Basic or Bearer and never need these.
 */
export function sessionRoutes(router: Router, deps: SessionDeps): void {
  router.get('/session', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (!deps.users || !deps.sessions) {
      ctx.body = { mode: 'open', user: ANONYMOUS } satisfies Whoami;
      return;
    }
    const cookie = sessionCookieOf(ctx);
    const session = deps.sessions.verify(cookie);
    const user = session && deps.users.find(session.name);
    if (cookie && session && user) {
      ctx.body = { mode: 'users', user, csrf: deps.sessions.csrf(cookie), expiresAt: new Date(session.expiresAt).toISOString() } satisfies Whoami;
    } else if (ctx.get('Authorization')) {
      await authenticate(deps.users)(ctx, async () => {});
      ctx.body = { mode: 'users', user: callerOf(ctx) } satisfies Whoami;
    } else {
      ctx.body = { mode: 'users', user: null } satisfies Whoami;
    }
  });
  router.post('/session', async (ctx) => {
    const { users, sessions } = deps;
    if (!users || !sessions) throw new Problem('not-found', 'no users are configured: nobody signs in, everyone is anonymous');
    const { name, password } = await signInBody(ctx);
    const user = await users.basic(name, password);
    if (!user) throw new Problem('unauthorized', 'the name or the password is wrong', {}, { 'WWW-Authenticate': 'Bearer realm="kluis"' });
    const { cookie, expiresAt } = sessions.issue(user.name);
    setCookie(ctx, cookie, new Date(expiresAt));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { mode: 'users', user, csrf: sessions.csrf(cookie), expiresAt: new Date(expiresAt).toISOString() } satisfies Whoami;
  });
  router.delete('/session', (ctx) => {
    // Signing out needs no CSRF token: it only forgets a cookie, and SameSite=Strict keeps other sites from sending it.
    setCookie(ctx, '', new Date(0));
    ctx.status = 204;
  });
  router.all('/session', (ctx) => {
    ctx.set('Allow', 'GET, POST, DELETE');
    throw new Problem('method-not-allowed', `${ctx.method} is not served on /session`);
  });
}

/** The session cookie: HttpOnly, SameSite=Strict, every path; Secure (and `__Host-`) over HTTPS. */
function setCookie(ctx: Context, value: string, expires: Date): void {
  const secure = overHttps(ctx);
  // Behind a TLS proxy kluis itself speaks HTTP: the cookie is still sent as the browser's HTTPS one.
  if (secure) ctx.cookies.secure = true;
  ctx.cookies.set(sessionCookieName(ctx), value, { httpOnly: true, sameSite: 'strict', path: '/', secure, expires, overwrite: true });
}

/**
 * `{ "name": "…", "password": "…" }` as `application/json` only: a form on another site cannot
 * send that type without a preflight, so nobody can be signed in to someone else's account.
 */
async function signInBody(ctx: Context): Promise<{ name: string; password: string }> {
  if (!ctx.is('application/json')) throw new Problem('unsupported-media-type', 'sign in with a JSON body { "name", "password" }');
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > SIGN_IN_BYTES) throw new Problem('too-large', `a sign-in body is at most ${SIGN_IN_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of openBody(ctx.req, ctx.res)) {
    size += (chunk as Buffer).length;
    if (size > SIGN_IN_BYTES) throw new Problem('too-large', `a sign-in body is at most ${SIGN_IN_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Problem('bad-request', 'the sign-in body is not JSON');
  }
  const { name, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof name !== 'string' || typeof password !== 'string' || name === '') throw new Problem('bad-request', 'the sign-in body needs "name" and "password" strings');
  return { name, password };
}
