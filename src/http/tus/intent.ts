import type { Context } from 'koa';
import type { UploadIntent } from '../../domain/upload-state.js';
import { parseLockToken } from '../lock-headers.js';
import { requestConditions } from '../preconditions.js';
import { hasFlag, intParam } from '../rest/request.js';

/**
 * The preconditions a commit retry sends (`POST /uploads/<id>`), read as /files reads a
 * write's: `Lock-Token` (or `If`), `?base=N`, `If-Match` / `If-None-Match` /
 * `If-Unmodified-Since`, `?checkin`. Only what was sent: the rest stays as recorded.
 */
export function retryIntent(ctx: Context): Partial<UploadIntent> {
  const token = parseLockToken(ctx.get('Lock-Token') || undefined, ctx.get('If') || undefined);
  const base = intParam(ctx, 'base', 0);
  const conditions = requestConditions(ctx, false);
  const sent = Object.values(conditions).some((v) => v !== undefined);
  return {
    ...(token !== undefined ? { token } : {}),
    ...(base !== undefined ? { base } : {}),
    ...(sent ? { conditions } : {}),
    ...(hasFlag(ctx, 'checkin') ? { checkin: true } : {}),
  };
}

/** The preconditions a creation records, checked then and again at the commit. */
export function createIntent(ctx: Context): UploadIntent {
  return { conditions: {}, checkin: false, ...retryIntent(ctx) };
}
