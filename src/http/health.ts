import type { Context } from 'koa';
import { Problem } from '../errors.js';

/** GET /healthz: the process is alive. */
export function healthz(ctx: Context): void {
  ctx.body = { status: 'ok' };
}

/** GET /readyz: the storage backend answers; 503 `storage-unavailable` otherwise. */
export function readyz(check: () => Promise<void>) {
  return async (ctx: Context): Promise<void> => {
    try {
      await check();
    } catch (err) {
      throw new Problem('storage-unavailable', `storage is not reachable: ${(err as Error).message}`, {}, { 'Retry-After': '5' });
    }
    ctx.body = { status: 'ready' };
  };
}
