import type { Context } from 'koa';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { Problem } from '../errors.js';

/** Prometheus metrics of one app (its own registry, so several apps can share a process). */
export class Metrics {
  readonly registry = new Registry();
  private readonly problems = new Counter({
    name: 'kluis_problems_total',
    help: 'Refused or failed requests by problem code (conflicts: locked, modified, not-checked-out, precondition-failed)',
    labelNames: ['code', 'status'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kluis_' });
  }

  problem(problem: Problem): void {
    this.problems.inc({ code: problem.code, status: String(problem.status) });
  }

  /** GET /metrics: Prometheus text exposition. */
  handler() {
    return async (ctx: Context): Promise<void> => {
      ctx.set('Content-Type', this.registry.contentType);
      ctx.body = await this.registry.metrics();
    };
  }
}
