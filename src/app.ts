import { randomBytes } from 'node:crypto';
import http from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import { Sessions } from './auth/sessions.js';
import type { UserDirectory } from './auth/users.js';
import type { Config } from './config.js';
import { DesktopFiles } from './domain/desktop-files.js';
import { createDomain } from './domain/services.js';
import { Uploads } from './domain/uploads.js';
import type { Clock, KluisRecords } from './domain/types.js';
import { adminRoutes } from './http/admin.js';
import { authenticate } from './http/auth.js';
import { EXPECTS_CONTINUE } from './http/body.js';
import { onClientError, onConnect } from './http/client-error.js';
import { Drain } from './http/drain.js';
import { healthz, readyz } from './http/health.js';
import { onClosingConnection } from './http/linger.js';
import { Metrics } from './http/metrics.js';
import { observe } from './http/observe.js';
import { openapi } from './http/openapi.js';
import { refuseCrossSite } from './http/cross-site.js';
import { problemMiddleware } from './http/problem.js';
import { cors } from './http/cors.js';
import { sessionRoutes } from './http/session.js';
import { uiRoutes } from './http/ui.js';
import { DAV_METHODS, davHandler } from './http/dav/index.js';
import { filesHandler } from './http/rest/files.js';
import { uploadsHandler } from './http/tus/index.js';
import type { Storage } from './storage/contracts.js';
import { applyRetention } from './maintenance/retention.js';
import { SmallBlobCache } from './storage/small-blobs.js';
import { timedStorage } from './storage/timed.js';

export interface AppDeps {
  config: Pick<Config, 'maxUploadBytes' | 'lockDefaultSeconds' | 'lockMaxSeconds'> &
    Partial<Pick<Config, 'retention' | 'uploadExpirySeconds' | 'uploadsPerUser' | 'sessionSecret' | 'corsOrigins' | 'desktopFiles'>>;
  storage: Storage<KluisRecords>;
  logger: Logger;
  /** Absent: the service is open and every caller is `anonymous`. */
  users?: UserDirectory | undefined;
  /** Defaults to Date.now; tests inject one to expire locks. */
  clock?: Clock;
  /** Graceful shutdown state; main.ts starts draining on SIGTERM. */
  drain?: Drain;
  /** Backend name for the storage latency metric (`fs`, `s3`). */
  backend?: string;
  /** The app's metrics; main.ts passes its own to feed the store gauges from background scans. */
  metrics?: Metrics;
  /** Handed the resumable uploads once built: main.ts sweeps expired ones in the background. */
  onUploads?: (uploads: Uploads) => void;
}

/** Methods the router answers on /files, beyond the standard ones. */
const METHODS = [...new Set(['HEAD', 'OPTIONS', 'GET', 'PUT', 'POST', 'DELETE', 'CHECKOUT', 'UNLOCK', 'LOCK', 'PATCH', ...DAV_METHODS])];

/** Build the Koa application: middleware order and mounts. No I/O happens here. */
export function createApp(deps: AppDeps): Koa {
  const clock = deps.clock ?? Date.now;
  const { config } = deps;
  const drain = deps.drain ?? new Drain();
  const metrics = deps.metrics ?? new Metrics();
  const backend = deps.backend ?? 'storage';
  const storage = timedStorage(deps.storage, (op, outcome, seconds) => metrics.storage(backend, op, outcome, seconds));
  const { files, reader, dav, digests } = createDomain(storage, {
    clock,
    lockTimeouts: { defaultSeconds: config.lockDefaultSeconds, maxSeconds: config.lockMaxSeconds },
    events: (event) => metrics.event(event),
    desktopFiles: new DesktopFiles(config.desktopFiles),
  });
  const uploads = new Uploads({
    store: storage.uploads,
    files,
    dav,
    clock,
    expirySeconds: config.uploadExpirySeconds ?? 86400,
    maxOpenPerUser: config.uploadsPerUser ?? 100,
    maxBytes: config.maxUploadBytes,
    events: (event) => metrics.upload(event),
  });

  deps.onUploads?.(uploads);
  const sessions = deps.users ? new Sessions(config.sessionSecret ?? randomBytes(32).toString('base64url'), clock) : undefined;
  const router = new Router({ methods: METHODS });
  // Windows' mini-redirector asks the server root whether it speaks WebDAV before it maps /dav/.
  router.options('/', (ctx) => {
    ctx.set({ DAV: '1, 2', 'MS-Author-Via': 'DAV', Allow: 'OPTIONS' });
    ctx.status = 200;
  });
  router.get('/healthz', healthz);
  router.get(
    '/readyz',
    readyz(
      () => storage.check(),
      () => drain.draining,
    ),
  );
  router.get('/metrics', metrics.handler());
  sessionRoutes(router, { users: deps.users, sessions });
  uiRoutes(router);
  router.get('/openapi.json', openapi);
  const retention = () => applyRetention(storage.records, files, config.retention ?? []);
  adminRoutes(router, { storage, users: deps.users, clock, logger: deps.logger, retention, onStats: (stats) => metrics.stats(stats), uploads });
  const content = new SmallBlobCache(storage.blobs);
  router.all(
    /^\/files(?:\/.*)?$/,
    authenticate(deps.users, sessions),
    filesHandler({ files, reader, dav, blobs: storage.blobs, content, maxUploadBytes: config.maxUploadBytes, uploads, ownTokens: deps.users !== undefined, folderRedirects: true }),
  );
  // tus discovery (OPTIONS) needs no credentials: a browser's preflight carries none.
  const signIn = authenticate(deps.users, sessions);
  router.all(/^\/uploads(?:\/.*)?$/, (ctx, next) => (ctx.method === 'OPTIONS' ? next() : signIn(ctx, next)), uploadsHandler({ uploads, maxUploadBytes: config.maxUploadBytes }));
  router.all(/^\/dav(?:\/.*)?$/, authenticate(deps.users, sessions), davHandler({ dav, reader, digests, blobs: storage.blobs, content, maxUploadBytes: config.maxUploadBytes }));

  const app = new Koa();
  app.silent = true;
  app.use(observe(deps.logger, metrics));
  // CORS for /files and /uploads only, outside the problem answers and the drain so that their
  // refusals carry it too. Not /dav (its clients are no web pages) nor /admin (docs/api.md#cors).
  app.use(cors(config.corsOrigins ?? [], (path) => /^\/(?:files|uploads)(?:\/|$)/.test(path)));
  app.use(problemMiddleware(deps.logger, metrics));
  app.use(refuseCrossSite(config.corsOrigins ?? []));
  app.use(drain.middleware());
  app.use(router.routes());
  return app;
}

/**
 * The HTTP server around the app: 501 problems for methods the parser refuses, 100 Continue
 * sent only once a request is accepted (so a refused upload is never sent), and an idle
 * timeout on sockets instead of a total one (a large upload may take hours, a stalled one may not).
 */
export function createServer(app: Koa, bodyIdleSeconds: number, headersTimeoutMs = 60_000): http.Server {
  const callback = app.callback();
  // A request pipelined behind a refusal that closes its connection is not served (src/http/linger.ts).
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (onClosingConnection(req)) {
      req.resume();
      return;
    }
    void callback(req, res);
  };
  // Headers that trickle in without ever completing are cut at headersTimeout (408), checked
  // every second (Node's default check runs every 30 s).
  const server = http.createServer({ headersTimeout: headersTimeoutMs, connectionsCheckingInterval: 1000 }, handler);
  server.on('checkContinue', (req, res) => {
    (req as http.IncomingMessage & { [EXPECTS_CONTINUE]?: boolean })[EXPECTS_CONTINUE] = true;
    handler(req, res);
  });
  server.on('clientError', onClientError);
  server.on('connect', onConnect);
  server.requestTimeout = 0;
  server.setTimeout(bodyIdleSeconds * 1000, (socket) => socket.destroy());
  return server;
}
