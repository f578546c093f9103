import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createApp, createServer } from './app.js';
import { UserDirectory } from './auth/users.js';
import { clusterMetrics, runPrimary } from './cluster.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import type { KluisRecords } from './domain/types.js';
import { Drain } from './http/drain.js';
import { createLogger } from './logger.js';
import { Metrics } from './http/metrics.js';
import { every } from './maintenance/every.js';
import type { Uploads } from './domain/uploads.js';
import { retentionPass } from './maintenance/retention.js';
import { storageStats } from './maintenance/stats.js';
import { reclaimDeadStaging } from './storage/fs/index.js';
import { openStorage } from './storage/open.js';

/**
 * Read the environment; with KLUIS_WORKERS > 1 become the primary of that many worker
 * processes, otherwise (and in each worker) serve.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config);
  const worker = cluster.isWorker ? Number(process.env.KLUIS_WORKER_INDEX ?? 0) : undefined;
  logWarnings(logger, !worker);
  followParent();
  if (config.usersFile && !config.sessionSecret) {
    // Cluster workers inherit it; other instances cannot know it.
    config.sessionSecret = process.env.KLUIS_SESSION_SECRET = randomBytes(32).toString('base64url');
    logger.warn('KLUIS_SESSION_SECRET is not set: web UI sign-ins end when kluis restarts, and other instances do not accept them');
  }
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config.workers, logger, config.s3 ? undefined : () => reclaimDeadStaging(config.dataDir));
  await serve(config, worker === undefined ? logger : logger.child({ worker }), worker);
}

/**
 * Node's process warnings (the AWS SDK's "will require node >= 22" on Node 20, say) go into the
 * JSON log instead of stderr's plain text; the SDK's start-up warning once per instance, by its
 * `first` process (a cluster's other workers, which emit the same, keep it to their debug level).
 */
function logWarnings(logger: Logger, first: boolean): void {
  process.removeAllListeners('warning'); // Node's own listener, which prints to stderr
  process.on('warning', (warning) => {
    // Every worker loads the AWS SDK and warns of its Node version alike: worker 0 says it for all.
    const startup = warning.message.startsWith('NodeVersionSupportWarning');
    const { name, message, stack } = warning;
    const code = (warning as { code?: string }).code;
    logger[startup && !first ? 'debug' : 'warn']({ warning: { name, message, ...(code ? { code } : {}), stack } }, `Node.js warning: ${name}`);
  });
}

/**
 * Under `npm start`, npm passes SIGTERM to the shell that runs kluis, and the shell dies without
 * passing it on: kluis would run on, reparented. When the process that started it is gone, kluis
 * sends itself SIGTERM and drains as if it had been sent to it (a cluster's primary stops its workers).
 */
function followParent(): void {
  if (process.env.npm_lifecycle_event !== 'start' || cluster.isWorker) return;
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  watch.unref();
}

/** Open storage, listen; on SIGTERM/SIGINT stop accepting and drain. `worker`: the index of a cluster worker. */
async function serve(config: Config, logger: Logger, worker?: number): Promise<void> {
  const users = config.usersFile ? await UserDirectory.load(config.usersFile) : undefined;
  const storage = await openStorage<KluisRecords>(config);
  const drain = new Drain();
  const metrics = new Metrics(cluster.isWorker ? { clusterText: () => clusterMetrics() } : {});
  let sweep: (() => void) | undefined;
  const onUploads = (uploads: Uploads) => {
    // Every instance may sweep (a removal of an expired upload is idempotent); in a cluster, worker 0.
    if (!worker)
      sweep = every(
        config.uploadSweepSeconds,
        'upload sweep',
        () => uploads.sweep(),
        (report) => report.expired + report.orphans > 0 && logger.info({ uploads: report }, 'expired uploads reclaimed'),
        logger,
      );
  };
  const app = createApp({ config, storage, logger, users, drain, backend: config.storage, metrics, onUploads });
  const server = createServer(app, config.bodyIdleSeconds);
  // Background retention (KLUIS_RETENTION); every instance may run it: prunes are compare-and-set.
  // In a cluster only worker 0 does, and only its scan sets the store gauges.
  const background = worker
    ? []
    : [
        config.retention.length === 0
          ? () => {}
          : every(config.retentionIntervalSeconds, 'retention pass', retentionPass(storage, config), (retention) => logger.info({ retention }, 'retention pass done'), logger),
        // The store and live-lock gauges: one full scan (a record read per file) per interval.
        every(
          config.statsIntervalSeconds,
          'storage scan',
          () => storageStats(storage),
          (stats) => metrics.stats(stats),
          logger,
        ),
      ];

  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const where = config.s3 ? { bucket: config.s3.bucket, prefix: config.s3.prefix, endpoint: config.s3.endpoint } : { dataDir: config.dataDir };
    logger.info({ port, storage: config.storage, ...where }, `kluis listening on http://localhost:${port}/files/`);
    // Said once per instance: by the only process, or by a cluster's worker 0.
    if (worker) return;
    if (!users) {
      logger.warn(
        'OPEN MODE: no users file (KLUIS_USERS_FILE) is configured, so anyone who can reach this port can read, write and delete every file; every caller is "anonymous", and a lock guards cooperating clients from accidental overwrites, not from a hostile one (WebDAV shows lock tokens to every caller, all being "anonymous")',
      );
    } else {
      logger.info({ users: users.size }, 'authentication required (HTTP Basic or Bearer)');
    }
  });

  /**
   * Drain: new requests get 503 `shutting-down` (the port stays open so probes see it),
   * requests in flight run for up to the grace period, then their connections are closed
   * (an aborted upload removes its staged bytes and acknowledges nothing); exit 0.
   */
  const stop = async (signal: string) => {
    if (drain.draining) return;
    drain.start();
    for (const stopJob of background) stopJob();
    sweep?.();
    const grace = config.shutdownGraceSeconds;
    logger.info({ signal, inFlight: drain.inFlight, graceSeconds: grace }, 'draining: new requests are refused, requests in flight may finish');
    server.closeIdleConnections();
    const finished = await Promise.race([drain.settled().then(() => true), sleep(grace * 1000).then(() => false)]);
    if (!finished) {
      logger.warn({ inFlight: drain.inFlight }, 'grace period over: closing the connections of requests still in flight');
      server.closeAllConnections();
      await Promise.race([drain.settled(), sleep(5000)]);
    }
    server.close();
    server.closeAllConnections();
    await storage.close().catch((err: unknown) => logger.error({ err }, 'closing storage failed'));
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker whose primary is gone (killed) stops too, rather than serve on unsupervised.
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary gone'));
}

main().catch((err: unknown) => {
  process.stderr.write(`kluis: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
