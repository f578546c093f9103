import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { UserDirectory } from '../auth/users.js';
import type { Clock, KluisRecords } from '../domain/types.js';
import { Problem } from '../errors.js';
import { collectGarbage, DEFAULT_GRACE_SECONDS, MIN_GRACE_SECONDS } from '../maintenance/gc.js';
import type { RetentionReport } from '../maintenance/retention.js';
import { type StorageStats, storageStats } from '../maintenance/stats.js';
import type { Storage } from '../storage/contracts.js';
import type { Uploads } from '../domain/uploads.js';
import { requireAdmin, callerOf } from './auth.js';
import { hasFlag, intParam } from './rest/request.js';

export interface AdminDeps {
  storage: Pick<Storage<KluisRecords>, 'records' | 'history' | 'blobs' | 'uploads'>;
  /** Absent: the service is open and anyone may call these, as anyone may delete any file. */
  users?: UserDirectory | undefined;
  /** T0 of a collection (default Date.now); must agree with the store's clock. */
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  /** One retention pass (POST /admin/retention). */
  retention: () => Promise<RetentionReport>;
  /** Told of each stats answer (the metrics' store gauges). */
  onStats?: ((stats: StorageStats) => void) | undefined;
  /** Resumable uploads, for `POST /admin/uploads` (a sweep of expired ones now). */
  uploads: Uploads;
}

/**
 * The admin API: `GET /admin/stats`, `POST /admin/gc[?dry-run][&grace=<seconds>]` and
 * `POST /admin/retention` (one retention pass now), `POST /admin/uploads` (reclaim expired
 * resumable uploads now), JSON answers. With users configured only role `admin` may call them (401 without credentials,
 * 403 `forbidden` for anyone else).
 */
export function adminRoutes(router: Router, deps: AdminDeps): void {
  const guard = requireAdmin(deps.users);
  router.all('/admin/stats', guard, statsHandler(deps));
  router.all('/admin/gc', guard, gcHandler(deps));
  router.all('/admin/retention', guard, async (ctx: Context) => {
    allow(ctx, 'POST');
    const report = await deps.retention();
    deps.logger?.info({ retention: report, caller: callerOf(ctx).name }, 'retention pass finished');
    ctx.body = report;
  });
  router.all('/admin/uploads', guard, async (ctx: Context) => {
    allow(ctx, 'POST');
    const report = await deps.uploads.sweep();
    deps.logger?.info({ uploads: report, caller: callerOf(ctx).name }, 'upload sweep finished');
    ctx.body = report;
  });
}

/** GET /admin/stats: counts of files, versions and blobs, bytes stored and uploaded. */
export function statsHandler(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    allow(ctx, 'GET', 'HEAD');
    const stats = await storageStats(deps.storage, (deps.clock ?? Date.now)());
    deps.onStats?.(stats);
    ctx.body = stats;
  };
}

/**
 * POST /admin/gc: one garbage collection run (src/maintenance/gc.ts), answered with its
 * report once done. `?dry-run` removes nothing; `?grace=` is in seconds, at least
 * MIN_GRACE_SECONDS (default one hour).
 */
export function gcHandler(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    allow(ctx, 'POST');
    const graceSeconds = intParam(ctx, 'grace', MIN_GRACE_SECONDS) ?? DEFAULT_GRACE_SECONDS;
    const report = await collectGarbage({
      records: deps.storage.records,
      history: deps.storage.history,
      blobs: deps.storage.blobs,
      graceMs: graceSeconds * 1000,
      dryRun: hasFlag(ctx, 'dry-run'),
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    deps.logger?.info({ gc: report, caller: callerOf(ctx).name }, 'garbage collection finished');
    ctx.body = report;
  };
}

function allow(ctx: Context, ...methods: string[]): void {
  if (methods.includes(ctx.method)) return;
  const list = methods.join(', ');
  throw new Problem('method-not-allowed', `${ctx.method} is not supported on ${ctx.path}; allowed: ${list}`, {}, { Allow: list });
}
