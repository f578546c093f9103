import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { clientGone, Problem, type ProblemCode } from '../errors.js';
import { StorageUnavailable } from '../storage/contracts.js';
import type { Metrics } from './metrics.js';
import { loggedPath } from './observe.js';
import { LINGER_MS, lingerOnClose } from './linger.js';

/** Map a status that did not come from a Problem (Koa, a parser) to a catalogue code. */
function codeFor(status: number): ProblemCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 405) return 'method-not-allowed';
  if (status === 413) return 'too-large';
  if (status >= 400 && status < 500) return 'bad-request';
  if (status === 503) return 'storage-unavailable';
  return 'internal';
}

/** Storage errors that mean "the backend is not there", answered 503 with Retry-After. */
const UNAVAILABLE = new Set(['EACCES', 'EROFS', 'EIO', 'ELOCKED', 'ECONNREFUSED', 'ETIMEDOUT']);
/** The disk (or quota) is full: 507, nothing stored; reads go on, and writes work again once space returns. */
const FULL = new Set(['ENOSPC', 'EDQUOT']);

/** Turn any thrown value into a Problem: the one place errors become HTTP. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  const code = errnoOf(err);
  if (code === 'ECONNRESET' || (err as Error | null)?.message === 'aborted') {
    // The client went away in the middle of its body: its fault, not the service's.
    return clientGone();
  }
  if (code && FULL.has(code)) {
    return new Problem('insufficient-storage', `storage is full (${code}); nothing was stored`, {}, { 'Retry-After': '60' });
  }
  if (err instanceof StorageUnavailable) {
    return new Problem('storage-unavailable', `${err.message}; nothing was stored`, {}, { 'Retry-After': '5' });
  }
  if (code && UNAVAILABLE.has(code)) {
    return new Problem('storage-unavailable', `storage failed (${code}); nothing was stored`, {}, { 'Retry-After': '5' });
  }
  const status = (err as { status?: unknown; expose?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: unknown }).expose) {
    return new Problem(codeFor(status), (err as Error).message);
  }
  return new Problem('internal', 'an unexpected error occurred; it was logged');
}

/** Headers a refusal carries when whoever raised it named none: the domain speaks in codes, not headers. */
const DEFAULT_HEADERS: Partial<Record<ProblemCode, Record<string, string>>> = {
  // Contention that did not settle: another writer won a thousand times; try again at once.
  'storage-unavailable': { 'Retry-After': '1' },
};

/** 5xx codes that a client's request causes, not a fault of the server or its storage. */
const CLIENT_CAUSED = new Set<string>(['bad-gateway']);

/** Writes the problem+json answer for refusals; unknown failures are logged, never shown. */
export function problemMiddleware(logger: Logger, metrics: Metrics) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new Problem('not-found', `no route for ${ctx.method} ${ctx.path}`);
    } catch (err) {
      const problem = toProblem(err);
      metrics.problem(problem);
      if (problem.status === 409 || problem.status === 412 || problem.status === 423) logConflict(logger, ctx, problem);
      // A refusal while draining is the shutdown working as meant: its request line says enough.
      // A 502 for a COPY/MOVE Destination on another host is the client's doing: a warning, no stack.
      if (CLIENT_CAUSED.has(problem.code)) logger.warn({ reqId: ctx.state.requestId, code: problem.code, method: ctx.method, path: loggedPath(ctx.path), detail: problem.message }, 'refused');
      else if (problem.status >= 500 && problem.code !== 'shutting-down') logger.error({ err, method: ctx.method, url: loggedPath(ctx.url) }, 'request failed');
      if (ctx.headerSent || !ctx.writable) return;
      ctx.status = problem.status;
      ctx.set({ ...DEFAULT_HEADERS[problem.code], ...problem.headers });
      ctx.type = 'application/problem+json';
      ctx.body = problem.toJSON();
      // A refused upload whose body was not read: close the connection, but only once the body
      // that was on its way has been read and thrown away (within bounds), or the answer is lost.
      if (!ctx.req.complete) {
        ctx.set('Connection', 'close');
        lingerOnClose(ctx.req, LINGER_MS, (bytes, end) => metrics.lingered(bytes, end));
      }
    }
  };
}

/** One warn line per conflict: its code, and the lock holder or the current version (never a token). */
function logConflict(logger: Logger, ctx: Context, problem: Problem): void {
  const { currentVersion, currentSha256, lock } = problem.extras as { currentVersion?: number; currentSha256?: string; lock?: { owner?: string; label?: string; expiresAt?: string } | null };
  logger.warn(
    {
      reqId: ctx.state.requestId,
      code: problem.code,
      method: ctx.method,
      path: loggedPath(ctx.path),
      user: (ctx.state.caller as { name?: string } | undefined)?.name,
      currentVersion,
      currentSha256,
      ...(lock ? { lockOwner: lock.owner, ...(lock.label ? { lockLabel: lock.label } : {}), lockExpiresAt: lock.expiresAt } : {}),
    },
    'conflict',
  );
}

/** The errno code of an error or of its cause (a StorageUnavailable may wrap one). */
function errnoOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | null, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  }
  return undefined;
}
