import type { Context } from 'koa';
import { Problem } from '../errors.js';

/** GET /healthz: the process is alive. */
export function healthz(ctx: Context): void {
  ctx.body = { status: 'ok' };
}

/** GET /readyz: the storage backend answers and the server is not draining; 503 otherwise. */
export function readyz(check: () => Promise<void>, draining: () => boolean = () => false) {
  return async (ctx: Context): Promise<void> => {
    if (draining()) throw new Problem('shutting-down', 'this server is shutting down', {}, { 'Retry-After': '5' });
    try {
      await check();
    } catch (err) {
      throw new Problem('storage-unavailable', `storage is not reachable: ${(err as Error).message}`, {}, { 'Retry-After': '5' });
    }
    ctx.body = { status: 'ready' };
  };
}
