import type { Context, Next } from 'koa';
import { Problem } from '../errors.js';

/** Answered while draining too: probes and scrapes must see the state, not a refusal. */
const ALWAYS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Graceful shutdown, shared by main.ts (which starts draining on SIGTERM) and the app (which
 * refuses new work while draining). A request counts as in flight until both its handler has
 * returned (so an aborted upload has removed its staged bytes) and its response is closed (so a
 * download is not cut).
 */
export class Drain {
  private state: 'serving' | 'draining' = 'serving';
  private active = 0;
  private waiting: (() => void)[] = [];

  get draining(): boolean {
    return this.state === 'draining';
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.active;
  }

  /** From now on new requests get 503 `shutting-down` and `/readyz` is 503. */
  start(): void {
    this.state = 'draining';
  }

  /** Resolves once no request is in flight. */
  settled(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }

  middleware() {
    return async (ctx: Context, next: Next): Promise<void> => {
      if (this.draining) {
        ctx.set('Connection', 'close');
        if (!ALWAYS.has(ctx.path)) throw new Problem('shutting-down', 'this server is shutting down and takes no new requests; nothing was done', {}, { 'Retry-After': '5' });
      }
      this.active++;
      let parts = 2; // the handler, and the response
      const done = () => {
        if (--parts > 0) return;
        this.active--;
        if (this.active === 0) for (const resolve of this.waiting.splice(0)) resolve();
      };
      ctx.res.once('close', done);
      try {
        await next();
      } finally {
        done();
      }
    };
  }
}
